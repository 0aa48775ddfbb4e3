// The generator's output for the project's own schema files: the definitions the API server
// serves, the patch metadata strategic merge patch uses, and unknown-field detection. The
// expected tags are upstream's (k8s.io/api types.go), table-driven.

#include <gtest/gtest.h>

#include "api/k8s/patch/patch_meta.h"
#include "api/k8s/schema/field_validation.h"
#include "api/k8s/schema/schema.h"

namespace capstan::api::k8s::schema {
namespace {

using Json = nlohmann::json;

// The schema of field `path` ("spec.template.spec.containers") of a kind, following
// references and list items.
Json FieldSchema(const std::string& group, const std::string& kind, const std::string& path) {
  std::string version = group == "autoscaling" ? "v2" : "v1";
  std::string def = DefinitionFor(group, version, kind);
  if (def.empty()) return nullptr;
  Json node = Definitions().at(def);
  size_t start = 0;
  while (start < path.size()) {
    size_t end = std::min(path.find('.', start), path.size());
    std::string field = path.substr(start, end - start);
    start = end + 1;
    std::string ref = ReferencedDefinition(node);
    if (ref.empty() && node.contains("items")) ref = ReferencedDefinition(node["items"]);
    if (!ref.empty()) node = Definitions().at(ref);
    if (!node.contains("properties") || !node["properties"].contains(field)) return nullptr;
    node = node["properties"][field];
  }
  return node;
}

struct TagCase {
  const char* group;
  const char* kind;
  const char* path;
  const char* strategy;  // x-kubernetes-patch-strategy, "" for none
  const char* merge_key;
};

TEST(SchemaOutput, PatchTagsMatchUpstream) {
  const TagCase cases[] = {
      {"", "Pod", "metadata.finalizers", "merge", ""},
      {"", "Pod", "metadata.ownerReferences", "merge", "uid"},
      {"", "Pod", "spec.containers", "merge", "name"},
      {"", "Pod", "spec.initContainers", "merge", "name"},
      {"", "Pod", "spec.ephemeralContainers", "merge", "name"},
      {"", "Pod", "spec.containers.ports", "merge", "containerPort"},
      {"", "Pod", "spec.containers.env", "merge", "name"},
      {"", "Pod", "spec.containers.volumeMounts", "merge", "mountPath"},
      {"", "Pod", "spec.containers.volumeDevices", "merge", "devicePath"},
      {"", "Pod", "spec.volumes", "merge,retainKeys", "name"},
      {"", "Pod", "spec.imagePullSecrets", "merge", "name"},
      {"", "Pod", "spec.hostAliases", "merge", "ip"},
      {"", "Pod", "spec.topologySpreadConstraints", "merge", "topologyKey"},
      {"", "Pod", "spec.schedulingGates", "merge", "name"},
      {"", "Pod", "spec.tolerations", "", ""},
      {"", "Pod", "spec.containers.envFrom", "", ""},
      {"", "Pod", "status.conditions", "merge", "type"},
      {"", "Pod", "status.podIPs", "merge", "ip"},
      {"", "Service", "spec.ports", "merge", "port"},
      {"", "Node", "spec.podCIDRs", "merge", ""},
      {"", "Node", "spec.taints", "", ""},
      {"", "Node", "status.addresses", "merge", "type"},
      {"", "Node", "status.conditions", "merge", "type"},
      {"", "ServiceAccount", "secrets", "merge", "name"},
      {"", "PersistentVolumeClaim", "status.conditions", "merge", "type"},
      {"", "Endpoints", "subsets", "", ""},
      {"apps", "Deployment", "spec.strategy", "retainKeys", ""},
      {"apps", "Deployment", "spec.template.spec.containers", "merge", "name"},
      {"apps", "Deployment", "status.conditions", "merge", "type"},
      {"apps", "DaemonSet", "spec.updateStrategy", "", ""},
      {"apps", "StatefulSet", "spec.template.spec.volumes", "merge,retainKeys", "name"},
      {"batch", "CronJob", "spec.jobTemplate.spec.template.spec.containers", "merge", "name"},
      {"batch", "Job", "status.conditions", "merge", "type"},
      {"policy", "PodDisruptionBudget", "spec.selector", "replace", ""},
      {"storage.k8s.io", "CSINode", "spec.drivers", "merge", "name"},
  };
  for (const auto& c : cases) {
    Json field = FieldSchema(c.group, c.kind, c.path);
    ASSERT_FALSE(field.is_null()) << c.kind << " " << c.path;
    EXPECT_EQ(field.value("x-kubernetes-patch-strategy", ""), c.strategy)
        << c.kind << " " << c.path;
    EXPECT_EQ(field.value("x-kubernetes-patch-merge-key", ""), c.merge_key)
        << c.kind << " " << c.path;
  }
}

TEST(SchemaOutput, EveryServedKindHasADefinition) {
  const std::pair<const char*, const char*> kinds[] = {
      {"", "Namespace"},
      {"", "Node"},
      {"", "Pod"},
      {"", "Service"},
      {"", "Endpoints"},
      {"", "ConfigMap"},
      {"", "Secret"},
      {"", "ServiceAccount"},
      {"", "Event"},
      {"", "PersistentVolume"},
      {"", "PersistentVolumeClaim"},
      {"", "LimitRange"},
      {"", "ResourceQuota"},
      {"", "PodTemplate"},
      {"apps", "Deployment"},
      {"apps", "ReplicaSet"},
      {"apps", "DaemonSet"},
      {"apps", "StatefulSet"},
      {"apps", "ControllerRevision"},
      {"batch", "Job"},
      {"batch", "CronJob"},
      {"coordination.k8s.io", "Lease"},
      {"discovery.k8s.io", "EndpointSlice"},
      {"events.k8s.io", "Event"},
      {"networking.k8s.io", "Ingress"},
      {"networking.k8s.io", "IngressClass"},
      {"networking.k8s.io", "NetworkPolicy"},
      {"policy", "PodDisruptionBudget"},
      {"rbac.authorization.k8s.io", "Role"},
      {"rbac.authorization.k8s.io", "ClusterRole"},
      {"rbac.authorization.k8s.io", "RoleBinding"},
      {"rbac.authorization.k8s.io", "ClusterRoleBinding"},
      {"storage.k8s.io", "StorageClass"},
      {"storage.k8s.io", "CSIDriver"},
      {"storage.k8s.io", "CSINode"},
      {"storage.k8s.io", "VolumeAttachment"},
      {"scheduling.k8s.io", "PriorityClass"},
      {"certificates.k8s.io", "CertificateSigningRequest"},
      {"apiextensions.k8s.io", "CustomResourceDefinition"},
  };
  for (const auto& [group, kind] : kinds) {
    std::string def = DefinitionFor(group, "v1", kind);
    ASSERT_FALSE(def.empty()) << group << "/" << kind;
    // Every reference resolves.
    for (const auto& name : DefinitionClosure(def)) {
      EXPECT_TRUE(Definitions().contains(name)) << def << " references " << name;
    }
  }
  EXPECT_FALSE(DefinitionFor("autoscaling", "v2", "HorizontalPodAutoscaler").empty());
  EXPECT_EQ(DefinitionFor("apps", "v1beta1", "Deployment"), "");
}

TEST(SchemaOutput, DescriptionsAndDefaultsForExplain) {
  Json strategy = FieldSchema("apps", "Deployment", "spec.strategy");
  EXPECT_FALSE(strategy.value("description", "").empty());
  EXPECT_EQ(FieldSchema("apps", "Deployment", "spec.replicas")["default"], 1);
  EXPECT_EQ(FieldSchema("", "Pod", "spec.restartPolicy")["default"], "Always");
  EXPECT_EQ(FieldSchema("", "Pod", "spec.containers.ports.protocol")["enum"],
            (Json{"TCP", "UDP", "SCTP"}));
  // Every property of every definition says what it is.
  for (const auto& [name, def] : Definitions().items()) {
    EXPECT_FALSE(def.value("description", "").empty()) << name;
    if (!def.contains("properties")) continue;
    for (const auto& [field, schema] : def["properties"].items()) {
      EXPECT_FALSE(schema.value("description", "").empty()) << name << "." << field;
    }
  }
}

TEST(SchemaOutput, UnknownFieldsAreNamedByPath) {
  Json deployment = Json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"any-key": "ok"}, "colour": "blue"},
    "spec": {
      "replicas": 2, "replica": 3,
      "selector": {"matchLabels": {"app": "web"}},
      "template": {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [
          {"name": "a", "image": "x", "resources": {"limits": {"cpu": "1"}}},
          {"name": "b", "image": "y", "imagePullPolcy": "Always",
           "ports": [{"containerPort": 80, "portocol": "TCP"}]}],
          "volumes": [{"name": "v", "csi": {"driver": "d", "volumeAttributes": {"k": "v"}},
                       "gitRepo": {"anything": {"goes": true}}}]}}}})");
  std::string def = DefinitionFor("apps", "v1", "Deployment");
  std::vector<std::string> got = UnknownFields(deployment, def);
  std::vector<std::string> want = {
      "metadata.colour",
      "spec.replica",
      "spec.template.spec.containers[1].imagePullPolcy",
      "spec.template.spec.containers[1].ports[0].portocol",
  };
  EXPECT_EQ(got, want);
  // Pod status is open: fields the server does not list there are not reported.
  Json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "p"}}},
              {"status", {{"phase", "Running"}, {"newField", 1}}}};
  EXPECT_TRUE(UnknownFields(pod, DefinitionFor("", "v1", "Pod")).empty());
  EXPECT_TRUE(UnknownFields(pod, "no.such.Definition").empty());
  // Hostile nesting neither crashes nor recurses without end.
  Json deep = Json::object();
  for (int i = 0; i < 5000; ++i) deep = Json{{"spec", deep}};
  EXPECT_NO_THROW(UnknownFields(deep, DefinitionFor("", "v1", "Pod")));
}

TEST(SchemaOutput, PatchMetaComesFromTheSchema) {
  using patch::PatchMetaFor;
  EXPECT_FALSE(PatchMetaFor("example.com", "v1", "Widget").known());
  const auto& pod_spec = PatchMetaFor("", "v1", "Pod").FieldType("spec");
  ASSERT_TRUE(pod_spec.known());
  EXPECT_TRUE(pod_spec.Field("containers").merge);
  EXPECT_EQ(pod_spec.Field("containers").merge_key, "name");
  EXPECT_EQ(pod_spec.FieldType("containers").Field("env").merge_key, "name");
  EXPECT_TRUE(pod_spec.Field("volumes").retain_keys);
  EXPECT_FALSE(pod_spec.Field("tolerations").merge);
  EXPECT_TRUE(PatchMetaFor("policy", "v1", "PodDisruptionBudget")
                  .FieldType("spec")
                  .Field("selector")
                  .replace);
}

}  // namespace
}  // namespace capstan::api::k8s::schema
