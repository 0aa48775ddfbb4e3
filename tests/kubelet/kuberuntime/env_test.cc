#include "kubelet/kuberuntime/env.h"

#include <gtest/gtest.h>

#include "tests/kubelet/test_pods.h"

namespace capstan::kubelet::kuberuntime {
namespace {

std::optional<std::string> Vars(std::string_view name) {
  if (name == "A") return std::string("alpha");
  if (name == "EMPTY") return std::string();
  return std::nullopt;
}

TEST(ExpandVarsTest, FollowsKubernetesSyntax) {
  EXPECT_EQ(ExpandVars("$(A)", Vars), "alpha");
  EXPECT_EQ(ExpandVars("x-$(A)-y", Vars), "x-alpha-y");
  EXPECT_EQ(ExpandVars("$(B)", Vars), "$(B)");   // unknown stays as written
  EXPECT_EQ(ExpandVars("$$(A)", Vars), "$(A)");  // escaped
  EXPECT_EQ(ExpandVars("$$", Vars), "$");
  EXPECT_EQ(ExpandVars("$A", Vars), "$A");
  EXPECT_EQ(ExpandVars("$(A", Vars), "$(A");  // incomplete
  EXPECT_EQ(ExpandVars("tail$", Vars), "tail$");
  EXPECT_EQ(ExpandVars("$(EMPTY)x", Vars), "x");
  EXPECT_EQ(ExpandVars("$(A)$(A)", Vars), "alphaalpha");
  EXPECT_EQ(ExpandVars("", Vars), "");
}

TEST(MakeEnvironmentTest, ExpandsOverEarlierVariablesAndResolvesReferences) {
  auto pod = testing::PodFromYaml(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: shop}, annotations: {team: a}}
spec:
  serviceAccountName: builder
  containers:
  - name: app
    image: busybox
    command: [sh, -c, "echo $(GREETING) $(LATER) $$(GREETING)"]
    args: ["$(POD)"]
    resources:
      requests: {cpu: 250m, memory: 64Mi}
      limits: {cpu: 1500m, memory: 128Mi}
    env:
    - {name: LATER, value: "$(GREETING)"}
    - {name: GREETING, value: hello}
    - {name: FULL, value: "$(GREETING) world"}
    - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
    - {name: APP, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
    - {name: TEAM, valueFrom: {fieldRef: {fieldPath: "metadata.annotations['team']"}}}
    - {name: IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: HOST, valueFrom: {fieldRef: {fieldPath: status.hostIP}}}
    - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
    - {name: SA, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}
    - {name: CPU_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}
    - {name: CPU_MILLI, valueFrom: {resourceFieldRef: {resource: requests.cpu, divisor: 1m}}}
    - {name: MEM_MI, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
    - {name: GREETING, value: hi}
)yaml");
  EnvContext ctx{"node-1", "192.168.1.10", {"10.88.0.5"}, {}};
  auto env = MakeEnvironment(pod, pod.spec.containers[0], ctx);
  ASSERT_TRUE(env) << env.error().message();
  std::map<std::string, std::string> m(env->begin(), env->end());
  EXPECT_EQ(m["LATER"], "$(GREETING)");  // defined before GREETING: not expanded
  EXPECT_EQ(m["FULL"], "hello world");
  EXPECT_EQ(m["GREETING"], "hi");  // redefined in place
  EXPECT_EQ((*env)[1].first, "GREETING");
  EXPECT_EQ(m["POD"], "web");
  EXPECT_EQ(m["NS"], "prod");
  EXPECT_EQ(m["APP"], "shop");
  EXPECT_EQ(m["TEAM"], "a");
  EXPECT_EQ(m["IP"], "10.88.0.5");
  EXPECT_EQ(m["HOST"], "192.168.1.10");
  EXPECT_EQ(m["NODE"], "node-1");
  EXPECT_EQ(m["SA"], "builder");
  EXPECT_EQ(m["CPU_LIMIT"], "2");  // 1.5 CPUs rounds up
  EXPECT_EQ(m["CPU_MILLI"], "250");
  EXPECT_EQ(m["MEM_MI"], "128");
  auto cmd = ExpandArgs(pod.spec.containers[0].command, *env);
  EXPECT_EQ(cmd[2], "echo hi $(GREETING) $(GREETING)");
  EXPECT_EQ(ExpandArgs(pod.spec.containers[0].args, *env)[0], "web");
}

TEST(MakeEnvironmentTest, UnsetLimitsDefaultToNodeAllocatable) {
  auto pod = testing::PodFromYaml(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: app
    image: busybox
    env:
    - {name: MEM, valueFrom: {resourceFieldRef: {resource: limits.memory}}}
)yaml");
  EnvContext ctx;
  ctx.node_allocatable["memory"] = api::k8s::Quantity::FromUnits(4096);
  auto env = MakeEnvironment(pod, pod.spec.containers[0], ctx);
  ASSERT_TRUE(env);
  EXPECT_EQ((*env)[0].second, "4096");
}

TEST(MakeEnvironmentTest, ReferencesStaticPodsCannotUseAreErrors) {
  auto pod = testing::PodFromYaml(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: app
    image: busybox
    env:
    - {name: OPT, valueFrom: {secretKeyRef: {name: s, key: k, optional: true}}}
    - {name: PASS, valueFrom: {secretKeyRef: {name: s, key: k}}}
)yaml");
  auto env = MakeEnvironment(pod, pod.spec.containers[0], {});
  ASSERT_FALSE(env);
  EXPECT_NE(env.error().message().find("PASS"), std::string::npos);
  EXPECT_FALSE(PodFieldValue(pod, "spec.nope", {}));
}

TEST(MakeEnvironmentTest, ConfigMapAndSecretReferencesFromTheApi) {
  auto pod = testing::PodFromYaml(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: app}
spec:
  containers:
  - name: app
    image: busybox
    env:
    - {name: COLOR, valueFrom: {configMapKeyRef: {name: settings, key: color}}}
    - {name: PASS, valueFrom: {secretKeyRef: {name: creds, key: password}}}
    - {name: OPT, valueFrom: {configMapKeyRef: {name: missing, key: x, optional: true}}}
    - {name: GREETING, value: "$(COLOR) and $(PASS)"}
)yaml");
  EnvContext ctx;
  std::vector<std::string> asked;
  ctx.object_data = [&](const std::string& kind, const std::string& ns,
                        const std::string& name) -> Result<std::map<std::string, std::string>> {
    asked.push_back(kind + " " + ns + "/" + name);
    if (name == "settings") return std::map<std::string, std::string>{{"color", "red"}};
    if (name == "creds") return std::map<std::string, std::string>{{"password", "hunter2"}};
    return Fail(Code::kNotFound, "not found");
  };
  auto env = MakeEnvironment(pod, pod.spec.containers[0], ctx);
  ASSERT_TRUE(env) << env.error().message();
  EXPECT_EQ(*env,
            (EnvList{{"COLOR", "red"}, {"PASS", "hunter2"}, {"GREETING", "red and hunter2"}}));
  EXPECT_EQ(asked, (std::vector<std::string>{"ConfigMap app/settings", "Secret app/creds",
                                             "ConfigMap app/missing"}));
  // A missing key or object that is not optional: upstream's words.
  pod.spec.containers[0].env[2].value_from->config_map_key_ref->optional = false;
  auto missing = MakeEnvironment(pod, pod.spec.containers[0], ctx);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("configmap \"missing\" not found"), std::string::npos)
      << missing.error().message();
  pod.spec.containers[0].env[2].value_from->config_map_key_ref->name = "settings";
  auto no_key = MakeEnvironment(pod, pod.spec.containers[0], ctx);
  ASSERT_FALSE(no_key);
  EXPECT_NE(no_key.error().message().find("couldn't find key x in ConfigMap app/settings"),
            std::string::npos)
      << no_key.error().message();
}

TEST(MakeEnvironmentTest, EnvFromTakesEveryKeyAndEnvOverrides) {
  auto pod = testing::PodFromYaml(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: app}
spec:
  containers:
  - name: app
    image: busybox
    envFrom:
    - configMapRef: {name: settings}
      prefix: CFG_
    - secretRef: {name: creds}
    - configMapRef: {name: absent, optional: true}
    env:
    - {name: password, value: overridden}
)yaml");
  EnvContext ctx;
  ctx.object_data = [](const std::string& kind, const std::string&,
                       const std::string& name) -> Result<std::map<std::string, std::string>> {
    if (name == "settings") {
      return std::map<std::string, std::string>{{"color", "red"}, {"1bad", "skipped"}};
    }
    if (name == "creds") return std::map<std::string, std::string>{{"password", "hunter2"}};
    return Fail(Code::kNotFound, "not found");
  };
  auto env = MakeEnvironment(pod, pod.spec.containers[0], ctx);
  ASSERT_TRUE(env) << env.error().message();
  EXPECT_EQ(*env,
            (EnvList{{"CFG_1bad", "skipped"}, {"CFG_color", "red"}, {"password", "overridden"}}));
  // The encoding keeps envFrom.
  auto round = api::k8s::DecodePod(api::k8s::EncodePod(pod));
  ASSERT_TRUE(round);
  EXPECT_EQ(round->spec.containers[0].env_from.size(), 3u);
  EXPECT_EQ(round->spec.containers[0].env_from[0].prefix, "CFG_");
}

}  // namespace
}  // namespace capstan::kubelet::kuberuntime
