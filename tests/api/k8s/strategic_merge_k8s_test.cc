// Strategic merge patch on real kinds, with the patches `kubectl apply` and `kubectl patch`
// send, against PatchMetaFor's tables.

#include <gtest/gtest.h>

#include "api/k8s/patch/patch_meta.h"
#include "api/k8s/patch/strategic_merge_patch.h"

namespace capstan::api::k8s::patch {
namespace {

const PatchMeta& DeploymentMeta() { return PatchMetaFor("apps", "v1", "Deployment"); }

Json Deployment() {
  return Json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web", "tier": "fe"},
                 "finalizers": ["a", "b", "c"]},
    "spec": {
      "replicas": 3,
      "selector": {"matchLabels": {"app": "web"}},
      "strategy": {"type": "RollingUpdate",
                   "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
      "template": {
        "metadata": {"labels": {"app": "web"}},
        "spec": {
          "containers": [{
            "name": "app", "image": "old",
            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
            "ports": [{"containerPort": 80, "protocol": "TCP"}],
            "resources": {"limits": {"cpu": "1"}}
          }],
          "volumes": [{"name": "data", "emptyDir": {}},
                      {"name": "cfg", "configMap": {"name": "old-config"}}],
          "tolerations": [{"key": "a", "operator": "Exists"},
                          {"key": "b", "operator": "Exists"}],
          "restartPolicy": "Always"
        }
      }
    },
    "status": {"replicas": 3,
               "conditions": [{"type": "Available", "status": "True"},
                              {"type": "Progressing", "status": "True"}]}
  })");
}

Json Apply(const Json& original, std::string_view patch, const PatchMeta& meta) {
  auto got = ApplyStrategicMergePatch(original, Json::parse(patch), meta);
  EXPECT_TRUE(got) << got.error().message();
  return got ? *got : Json();
}

TEST(StrategicMergeK8sTest, ApplyChangesImageAndDropsEnvVar) {
  Json got = Apply(Deployment(), R"({"spec":{"template":{"spec":{
      "$setElementOrder/containers":[{"name":"app"}],
      "containers":[{"$setElementOrder/env":[{"name":"A"}],
                     "env":[{"$patch":"delete","name":"B"}],
                     "image":"new","name":"app"}]}}}})",
                   DeploymentMeta());
  Json want = Deployment();
  Json& app = want["spec"]["template"]["spec"]["containers"][0];
  app["image"] = "new";
  app["env"] = Json::parse(R"([{"name":"A","value":"1"}])");
  EXPECT_EQ(got, want) << got.dump(2);
}

TEST(StrategicMergeK8sTest, ContainerAndServicePortsMergeByKey) {
  // A new container port is merged by containerPort; $setElementOrder places it.
  Json got = Apply(Deployment(), R"({"spec":{"template":{"spec":{"containers":[{"name":"app",
      "$setElementOrder/ports":[{"containerPort":80},{"containerPort":9090}],
      "ports":[{"containerPort":9090,"name":"metrics"}]}]}}}})",
                   DeploymentMeta());
  EXPECT_EQ(got["spec"]["template"]["spec"]["containers"][0]["ports"],
            Json::parse(R"([{"containerPort":80,"protocol":"TCP"},
                            {"containerPort":9090,"name":"metrics"}])"));

  const PatchMeta& service = PatchMetaFor("", "v1", "Service");
  Json svc = Json::parse(R"({"metadata":{"name":"s"},"spec":{"type":"ClusterIP",
      "ports":[{"name":"http","port":80,"targetPort":8080},{"name":"https","port":443}]}})");
  // Without an order directive, new items come first, as upstream orders them.
  EXPECT_EQ(Apply(svc, R"({"spec":{"ports":[{"port":80,"targetPort":9090},
                                            {"port":8080,"name":"alt"}]}})",
                  service)["spec"]["ports"],
            Json::parse(R"([{"name":"http","port":80,"targetPort":9090},
                            {"name":"alt","port":8080},{"name":"https","port":443}])"));
  EXPECT_EQ(
      Apply(svc, R"({"spec":{"$setElementOrder/ports":[{"port":80},{"port":443},{"port":8080}],
                                   "ports":[{"port":8080,"name":"alt"}]}})",
            service)["spec"]["ports"],
      Json::parse(R"([{"name":"http","port":80,"targetPort":8080},
                            {"name":"https","port":443},{"name":"alt","port":8080}])"));
  // Deleting a port by its merge key.
  EXPECT_EQ(Apply(svc, R"({"spec":{"ports":[{"$patch":"delete","port":443}]}})",
                  service)["spec"]["ports"],
            Json::parse(R"([{"name":"http","port":80,"targetPort":8080}])"));
}

TEST(StrategicMergeK8sTest, VolumeSourceSwitchWithRetainKeys) {
  // kubectl apply switching volume "data" from emptyDir to configMap.
  Json got = Apply(Deployment(), R"({"spec":{"template":{"spec":{
      "$setElementOrder/volumes":[{"name":"data"},{"name":"cfg"}],
      "volumes":[{"$retainKeys":["configMap","name"],"configMap":{"name":"app-config"},
                  "name":"data"}]}}}})",
                   DeploymentMeta());
  EXPECT_EQ(got["spec"]["template"]["spec"]["volumes"],
            Json::parse(R"([{"name":"data","configMap":{"name":"app-config"}},
                            {"name":"cfg","configMap":{"name":"old-config"}}])"));
  // Without $retainKeys both sources would survive: the directive is what clears emptyDir.
  Json merged = Apply(Deployment(), R"({"spec":{"template":{"spec":{
      "volumes":[{"configMap":{"name":"app-config"},"name":"data"}]}}}})",
                      DeploymentMeta());
  EXPECT_TRUE(merged["spec"]["template"]["spec"]["volumes"][0].contains("emptyDir"));
}

TEST(StrategicMergeK8sTest, TolerationsAreReplaced) {
  Json got = Apply(Deployment(), R"({"spec":{"template":{"spec":{
      "tolerations":[{"key":"c","operator":"Equal","value":"x"}]}}}})",
                   DeploymentMeta());
  EXPECT_EQ(got["spec"]["template"]["spec"]["tolerations"],
            Json::parse(R"([{"key":"c","operator":"Equal","value":"x"}])"));
}

TEST(StrategicMergeK8sTest, StrategyRollingUpdateToRecreate) {
  Json got = Apply(Deployment(), R"({"spec":{"strategy":{"$retainKeys":["type"],
                                                         "type":"Recreate"}}})",
                   DeploymentMeta());
  EXPECT_EQ(got["spec"]["strategy"], Json::parse(R"({"type":"Recreate"})"));
  EXPECT_EQ(got["spec"]["replicas"], 3);
}

TEST(StrategicMergeK8sTest, FinalizersArePrimitiveMergeLists) {
  const PatchMeta& meta = DeploymentMeta();
  EXPECT_EQ(Apply(Deployment(), R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["b"]}})",
                  meta)["metadata"]["finalizers"],
            Json::parse(R"(["a","c"])"));
  // kubectl apply: drop "b", add "d" at the end.
  EXPECT_EQ(Apply(Deployment(), R"({"metadata":{"$setElementOrder/finalizers":["a","c","d"],
                                              "$deleteFromPrimitiveList/finalizers":["b"],
                                              "finalizers":["d"]}})",
                  meta)["metadata"]["finalizers"],
            Json::parse(R"(["a","c","d"])"));
  // A plain merge adds without duplicating; new values go first, as upstream orders them.
  EXPECT_EQ(Apply(Deployment(), R"({"metadata":{"finalizers":["c","d"]}})",
                  meta)["metadata"]["finalizers"],
            Json::parse(R"(["a","b","c","d"])"));
  EXPECT_EQ(
      Apply(Deployment(), R"({"metadata":{"finalizers":["d"]}})", meta)["metadata"]["finalizers"],
      Json::parse(R"(["d","a","b","c"])"));
  // An object without finalizers gains none from a deletion list.
  Json bare = Json::parse(R"({"metadata":{"name":"x"}})");
  EXPECT_EQ(Apply(bare, R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}})", meta),
            bare);
  // Labels are a plain map; ConfigMap data too.
  Json cm = Json::parse(R"({"metadata":{"name":"c","finalizers":["x"]},"data":{"a":"1"}})");
  EXPECT_EQ(Apply(cm, R"({"metadata":{"finalizers":["x"]},"data":{"b":"2"}})",
                  PatchMetaFor("", "v1", "ConfigMap")),
            Json::parse(R"({"metadata":{"name":"c","finalizers":["x"]},
                            "data":{"a":"1","b":"2"}})"));
}

TEST(StrategicMergeK8sTest, MapDirectivesAndNulls) {
  const PatchMeta& meta = DeploymentMeta();
  Json got = Apply(Deployment(), R"({"metadata":{"labels":{"$patch":"replace","new":"x"}}})", meta);
  EXPECT_EQ(got["metadata"]["labels"], Json::parse(R"({"new":"x"})"));
  EXPECT_EQ(got["metadata"]["name"], "web");

  got = Apply(Deployment(), R"({"metadata":{"labels":{"tier":null}},"spec":{"replicas":null,
      "template":{"spec":{"containers":[{"name":"app","resources":null}]}}}})",
              meta);
  EXPECT_EQ(got["metadata"]["labels"], Json::parse(R"({"app":"web"})"));
  EXPECT_FALSE(got["spec"].contains("replicas"));
  EXPECT_FALSE(got["spec"]["template"]["spec"]["containers"][0].contains("resources"));

  got = Apply(Deployment(), R"({"spec":{"selector":{"$patch":"delete"}}})", meta);
  EXPECT_EQ(got["spec"]["selector"], Json::object());

  // Values added where the original had nothing lose their nulls and directives.
  got = Apply(Deployment(), R"({"spec":{"template":{"spec":{"securityContext":
      {"runAsUser":1000,"fsGroup":null}}}}})",
              meta);
  EXPECT_EQ(got["spec"]["template"]["spec"]["securityContext"],
            Json::parse(R"({"runAsUser":1000})"));
}

TEST(StrategicMergeK8sTest, ContainerListDirectives) {
  const PatchMeta& meta = DeploymentMeta();
  Json two = Apply(Deployment(), R"({"spec":{"template":{"spec":{"containers":[
      {"name":"sidecar","image":"envoy"}]}}}})",
                   meta);
  ASSERT_EQ(two["spec"]["template"]["spec"]["containers"].size(), 2u);
  EXPECT_EQ(two["spec"]["template"]["spec"]["containers"][0]["name"], "sidecar");

  Json one = Apply(two, R"({"spec":{"template":{"spec":{"containers":[
      {"$patch":"delete","name":"sidecar"}]}}}})",
                   meta);
  EXPECT_EQ(one, Deployment());

  Json replaced = Apply(two, R"({"spec":{"template":{"spec":{"containers":[
      {"$patch":"replace"},{"name":"only","image":"i"}]}}}})",
                        meta);
  EXPECT_EQ(replaced["spec"]["template"]["spec"]["containers"],
            Json::parse(R"([{"name":"only","image":"i"}])"));

  auto missing_key = ApplyStrategicMergePatch(
      Deployment(), Json::parse(R"({"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}})"),
      meta);
  ASSERT_FALSE(missing_key);
  EXPECT_EQ(missing_key.error().code(), Code::kInvalidArgument);
  EXPECT_NE(missing_key.error().message().find("does not contain declared merge key: name"),
            std::string::npos);
}

TEST(StrategicMergeK8sTest, StatusConditionsMergeByType) {
  Json node = Json::parse(R"({"metadata":{"name":"n1"},"spec":{"podCIDRs":["10.0.0.0/24"]},
      "status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady"},
                              {"type":"MemoryPressure","status":"False"}],
                "addresses":[{"type":"InternalIP","address":"10.0.0.1"}]}})");
  Json got = Apply(node, R"({"status":{
      "$setElementOrder/conditions":[{"type":"Ready"},{"type":"MemoryPressure"},
                                     {"type":"DiskPressure"}],
      "conditions":[{"type":"Ready","status":"False","reason":"KubeletNotReady"},
                    {"type":"DiskPressure","status":"False"}]}})",
                   PatchMetaFor("", "v1", "Node"));
  EXPECT_EQ(got["status"]["conditions"],
            Json::parse(R"([{"type":"Ready","status":"False","reason":"KubeletNotReady"},
                            {"type":"MemoryPressure","status":"False"},
                            {"type":"DiskPressure","status":"False"}])"));
  EXPECT_EQ(got["status"]["addresses"], node["status"]["addresses"]);

  Json pod = Json::parse(R"({"metadata":{"name":"p"},"status":{"phase":"Pending",
      "conditions":[{"type":"PodScheduled","status":"True"}]}})");
  Json pod_got = Apply(pod, R"({"status":{"phase":"Running","conditions":[
      {"type":"PodScheduled","lastTransitionTime":"t"}]}})",
                       PatchMetaFor("", "v1", "Pod"));
  EXPECT_EQ(pod_got["status"]["conditions"],
            Json::parse(R"([{"type":"PodScheduled","status":"True","lastTransitionTime":"t"}])"));
  EXPECT_EQ(pod_got["status"]["phase"], "Running");
}

TEST(StrategicMergeK8sTest, PatchMetaTables) {
  EXPECT_FALSE(PatchMetaFor("example.com", "v1", "Widget").known());
  EXPECT_FALSE(PatchMetaFor("apps", "v1beta1", "Deployment").known());
  for (auto [group, kind] :
       std::initializer_list<std::pair<const char*, const char*>>{{"", "Pod"},
                                                                  {"", "ConfigMap"},
                                                                  {"", "Secret"},
                                                                  {"", "Service"},
                                                                  {"", "Node"},
                                                                  {"apps", "Deployment"},
                                                                  {"apps", "ReplicaSet"},
                                                                  {"apps", "DaemonSet"},
                                                                  {"apps", "StatefulSet"},
                                                                  {"batch", "Job"},
                                                                  {"batch", "CronJob"},
                                                                  {"", "PodTemplate"}}) {
    EXPECT_TRUE(PatchMetaFor(group, "v1", kind).known()) << group << "/" << kind;
  }
  // The pod template is reached the same way from every workload.
  auto containers = [](const PatchMeta& spec_owner, std::initializer_list<const char*> path) {
    const PatchMeta* m = &spec_owner;
    for (const char* field : path) {
      m = &m->FieldType(field);
    }
    return m->Field("containers");
  };
  for (const char* kind : {"Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"}) {
    auto f = containers(PatchMetaFor("apps", "v1", kind), {"spec", "template", "spec"});
    EXPECT_TRUE(f.merge) << kind;
    EXPECT_EQ(f.merge_key, "name") << kind;
  }
  EXPECT_EQ(containers(PatchMetaFor("batch", "v1", "CronJob"),
                       {"spec", "jobTemplate", "spec", "template", "spec"})
                .merge_key,
            "name");
  EXPECT_EQ(containers(PatchMetaFor("", "v1", "PodTemplate"), {"template", "spec"}).merge_key,
            "name");
  const PatchMeta& pod_spec = PatchMetaFor("", "v1", "Pod").FieldType("spec");
  EXPECT_TRUE(pod_spec.Field("volumes").retain_keys);
  EXPECT_EQ(pod_spec.Field("volumes").merge_key, "name");
  EXPECT_FALSE(pod_spec.Field("tolerations").merge);
  EXPECT_FALSE(pod_spec.Field("readinessGates").merge);
  EXPECT_EQ(pod_spec.Field("hostAliases").merge_key, "ip");
  EXPECT_EQ(pod_spec.Field("topologySpreadConstraints").merge_key, "topologyKey");
  const PatchMeta& container = pod_spec.FieldType("containers");
  EXPECT_EQ(container.Field("volumeMounts").merge_key, "mountPath");
  EXPECT_EQ(container.Field("volumeDevices").merge_key, "devicePath");
  EXPECT_FALSE(container.Field("envFrom").merge);
  EXPECT_TRUE(
      PatchMetaFor("apps", "v1", "Deployment").FieldType("spec").Field("strategy").retain_keys);
  EXPECT_FALSE(PatchMetaFor("apps", "v1", "DaemonSet")
                   .FieldType("spec")
                   .Field("updateStrategy")
                   .retain_keys);
  EXPECT_TRUE(PatchMetaFor("policy", "v1", "PodDisruptionBudget")
                  .FieldType("spec")
                  .Field("selector")
                  .replace);
}

}  // namespace
}  // namespace capstan::api::k8s::patch
