// Per-kind defaults and validation with upstream's field paths: pods, services, workloads,
// volumes and ingresses.

#include "control-plane/apiserver/strategy.h"

#include <gtest/gtest.h>

#include "control-plane/apiserver/table.h"

namespace capstan::control_plane::apiserver {
namespace {

const ResourceInfo& Res(const std::string& group, const std::string& plural) {
  static ResourceRegistry registry;
  static std::vector<std::shared_ptr<const ResourceInfo>> held;
  auto r = registry.Find(group, "v1", plural);
  held.push_back(r);
  return *r;
}

std::vector<std::string> Fields(const std::vector<FieldCause>& causes) {
  std::vector<std::string> out;
  for (const auto& c : causes) out.push_back(c.field);
  return out;
}

TEST(Strategy, PodDefaultsAndChecks) {
  const Strategy& s = StrategyFor(Res("", "pods"));
  Json pod = Json::parse(R"({"metadata":{"name":"p"},"spec":{"containers":[
    {"name":"a","image":"busybox","ports":[{"containerPort":80}]}]}})");
  s.PrepareForCreate(pod);
  EXPECT_EQ(pod["spec"]["restartPolicy"], "Always");
  EXPECT_EQ(pod["spec"]["containers"][0]["imagePullPolicy"], "Always");  // no tag: latest
  EXPECT_EQ(pod["spec"]["containers"][0]["ports"][0]["protocol"], "TCP");
  EXPECT_EQ(pod["spec"]["tolerations"].size(), 2u);
  EXPECT_EQ(pod["status"]["phase"], "Pending");
  EXPECT_TRUE(s.Validate(pod).empty());

  Json bad = Json::parse(R"({"spec":{"containers":[{"name":"a"},{"name":"a","image":"x",
    "ports":[{"containerPort":70000}]}],"restartPolicy":"Sometimes"}})");
  EXPECT_EQ(Fields(s.Validate(bad)),
            (std::vector<std::string>{"spec.containers[0].image", "spec.containers[1].name",
                                      "spec.containers[1].ports[0].containerPort",
                                      "spec.restartPolicy"}));
  Json changed = pod;
  changed["spec"]["containers"][0]["image"] = "busybox:2";  // allowed
  EXPECT_TRUE(s.ValidateUpdate(changed, pod).empty());
  changed["spec"]["containers"][0]["name"] = "b";  // not allowed
  EXPECT_EQ(Fields(s.ValidateUpdate(changed, pod)), std::vector<std::string>{"spec"});
}

TEST(Strategy, PodVolumeDefaults) {
  const Strategy& s = StrategyFor(Res("", "pods"));
  Json pod = Json::parse(R"({"metadata":{"name":"p"},"spec":{"containers":[
    {"name":"a","image":"busybox"}],"volumes":[{"name":"cfg","configMap":{"name":"c"}},
    {"name":"sa","projected":{"sources":[{"serviceAccountToken":{"path":"token"}}]}},
    {"name":"scratch"}]}})");
  s.PrepareForCreate(pod);
  const Json& v = pod["spec"]["volumes"];
  EXPECT_EQ(v[0]["configMap"]["defaultMode"], 420);
  EXPECT_EQ(v[1]["projected"]["defaultMode"], 420);
  // kubectl describe dereferences it without a check.
  EXPECT_EQ(v[1]["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"], 3600);
  EXPECT_TRUE(v[2]["emptyDir"].is_object());
}

TEST(Strategy, DeploymentSelectorMustMatchTemplate) {
  const Strategy& s = StrategyFor(Res("apps", "deployments"));
  Json d = Json::parse(R"({"spec":{"selector":{"matchLabels":{"app":"a"}},
    "template":{"metadata":{"labels":{"app":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})");
  s.PrepareForCreate(d);
  EXPECT_EQ(d["spec"]["strategy"]["rollingUpdate"]["maxSurge"], "25%");
  auto causes = s.Validate(d);
  ASSERT_EQ(causes.size(), 1u);
  EXPECT_EQ(causes[0].field, "spec.template.metadata.labels");
  EXPECT_NE(causes[0].message.find("`selector` does not match template `labels`"),
            std::string::npos);
}

TEST(Strategy, VolumesAndIngresses) {
  const Strategy& pv = StrategyFor(Res("", "persistentvolumes"));
  Json vol = Json::parse(R"({"spec":{}})");
  EXPECT_EQ(Fields(pv.Validate(vol)),
            (std::vector<std::string>{"spec.capacity", "spec.accessModes", "spec"}));
  Json good = Json::parse(R"({"metadata":{"name":"v"},"spec":{"capacity":{"storage":"1Gi"},
    "accessModes":["ReadWriteOnce"],"hostPath":{"path":"/data"}}})");
  pv.PrepareForCreate(good);
  EXPECT_TRUE(pv.Validate(good).empty());
  EXPECT_EQ(good["spec"]["persistentVolumeReclaimPolicy"], "Retain");
  Json cells = CellsFor(Res("", "persistentvolumes"), good, WallNow());
  EXPECT_EQ(cells[1], "1Gi");
  EXPECT_EQ(cells[2], "RWO");
  EXPECT_EQ(cells[4], "Pending");

  const Strategy& pvc = StrategyFor(Res("", "persistentvolumeclaims"));
  Json claim = Json::parse(R"({"spec":{"accessModes":["ReadWriteOnce"],
    "resources":{"requests":{"storage":"1Gi"}},"storageClassName":"fast"}})");
  EXPECT_TRUE(pvc.Validate(claim).empty());
  Json grown = claim;
  grown["spec"]["resources"]["requests"]["storage"] = "2Gi";
  EXPECT_TRUE(pvc.ValidateUpdate(grown, claim).empty());
  Json moved = claim;
  moved["spec"]["storageClassName"] = "slow";
  EXPECT_EQ(Fields(pvc.ValidateUpdate(moved, claim)), std::vector<std::string>{"spec"});

  const Strategy& ing = StrategyFor(Res("networking.k8s.io", "ingresses"));
  Json ingress = Json::parse(R"({"spec":{"rules":[{"host":"a.example","http":{"paths":[
    {"path":"/","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}})");
  EXPECT_EQ(Fields(ing.Validate(ingress)),
            std::vector<std::string>{"spec.rules[0].http.paths[0].pathType"});
  ingress["spec"]["rules"][0]["http"]["paths"][0]["pathType"] = "Prefix";
  EXPECT_TRUE(ing.Validate(ingress).empty());
}

TEST(Strategy, ServicesAndSecrets) {
  const Strategy& svc = StrategyFor(Res("", "services"));
  Json s = Json::parse(R"({"spec":{"type":"NodePort","ports":[{"port":80},{"port":443}]}})");
  svc.PrepareForCreate(s);
  EXPECT_EQ(s["spec"]["ports"][0]["targetPort"], 80);
  EXPECT_EQ(Fields(svc.Validate(s)),
            (std::vector<std::string>{"spec.ports[0].name", "spec.ports[1].name"}));
  const Strategy& secret = StrategyFor(Res("", "secrets"));
  Json sec = Json::parse(R"({"stringData":{"k":"hunter2"}})");
  secret.PrepareForCreate(sec);
  EXPECT_EQ(sec["data"]["k"], "aHVudGVyMg==");
  EXPECT_FALSE(sec.contains("stringData"));
  EXPECT_EQ(sec["type"], "Opaque");
}

}  // namespace
}  // namespace capstan::control_plane::apiserver
