#include "api/k8s/codec.h"

#include <gtest/gtest.h>

#include "api/k8s/yaml.h"

namespace capstan::api::k8s {
namespace {

constexpr const char* kPodYaml = R"yaml(
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: prod
  labels: {app: web}
  annotations:
    note: "8080"
  creationTimestamp: "2026-01-01T00:00:00Z"
spec:
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 5
  hostNetwork: false
  securityContext:
    runAsUser: 1000
    fsGroup: 2000
    supplementalGroups: [3000]
    sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: "0"}]
    seccompProfile: {type: RuntimeDefault}
  volumes:
  - name: cache
    emptyDir: {medium: Memory, sizeLimit: 64Mi}
  - name: host
    hostPath: {path: /var/log, type: Directory}
  - name: scratch
  initContainers:
  - name: init
    image: busybox:1.36
    command: [sh, -c, "echo init"]
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c"]
    args: ["echo $(GREETING)"]
    workingDir: /work
    env:
    - name: GREETING
      value: hello
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: CPU
      valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}
    ports:
    - {containerPort: 8080, hostPort: 18080, name: http}
    resources:
      requests: {cpu: 100m, memory: 64Mi}
      limits: {cpu: 1, memory: 128Mi}
    volumeMounts:
    - {name: cache, mountPath: /cache, readOnly: true}
    livenessProbe:
      httpGet: {path: /healthz, port: http}
      initialDelaySeconds: 3
    readinessProbe:
      exec: {command: [cat, /tmp/ready]}
    startupProbe:
      tcpSocket: {port: 8080}
      failureThreshold: 30
    lifecycle:
      preStop:
        exec: {command: [sh, -c, "sleep 1"]}
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {add: [NET_ADMIN], drop: [ALL]}
    unknownField: ignored
status:
  phase: Running
  containerStatuses:
  - name: app
    ready: true
    restartCount: 2
    state: {running: {startedAt: "2026-01-01T00:00:05Z"}}
    lastState: {terminated: {exitCode: 1, reason: Error}}
)yaml";

TEST(PodCodecTest, DecodesTheFieldsTheKubeletActsOn) {
  auto pod = DecodePodYaml(kPodYaml);
  ASSERT_TRUE(pod) << pod.error().message();
  EXPECT_EQ(pod->metadata.name, "web");
  EXPECT_EQ(pod->metadata.namespace_, "prod");
  EXPECT_EQ(pod->metadata.labels.at("app"), "web");
  EXPECT_EQ(pod->metadata.annotations.at("note"), "8080");
  ASSERT_TRUE(pod->metadata.creation_timestamp);
  EXPECT_EQ(pod->spec.restart_policy, "OnFailure");
  EXPECT_EQ(pod->spec.termination_grace_period_seconds, 5);
  EXPECT_EQ(pod->spec.security_context->run_as_user, 1000);
  EXPECT_EQ(pod->spec.security_context->sysctls[0].value, "0");
  ASSERT_EQ(pod->spec.volumes.size(), 3u);
  EXPECT_EQ(pod->spec.volumes[0].empty_dir->medium, "Memory");
  EXPECT_EQ(pod->spec.volumes[0].empty_dir->size_limit->Value(), 64 << 20);
  EXPECT_EQ(pod->spec.volumes[1].host_path->type, "Directory");
  ASSERT_EQ(pod->spec.init_containers.size(), 1u);
  const Container& c = pod->spec.containers.at(0);
  EXPECT_EQ(c.args, std::vector<std::string>{"echo $(GREETING)"});
  EXPECT_EQ(c.env[1].value_from->field_ref->field_path, "metadata.name");
  EXPECT_EQ(c.env[2].value_from->resource_field_ref->divisor->MilliValue(), 1);
  EXPECT_EQ(c.ports[0].host_port, 18080);
  EXPECT_EQ(c.resources.requests.at("cpu").MilliValue(), 100);
  EXPECT_EQ(c.resources.limits.at("cpu").MilliValue(), 1000);
  EXPECT_TRUE(c.liveness_probe->handler.http_get->port.is_string);
  EXPECT_EQ(c.liveness_probe->handler.http_get->port.str_value, "http");
  EXPECT_EQ(c.startup_probe->handler.tcp_socket->port.int_value, 8080);
  EXPECT_EQ(c.startup_probe->failure_threshold, 30);
  EXPECT_EQ(c.lifecycle->pre_stop->exec->command.size(), 3u);
  EXPECT_EQ(c.security_context->allow_privilege_escalation, false);
  EXPECT_EQ(c.security_context->capabilities->drop, std::vector<std::string>{"ALL"});
  EXPECT_EQ(pod->status.container_statuses[0].restart_count, 2);
  EXPECT_TRUE(pod->status.container_statuses[0].state.running);
  EXPECT_EQ(pod->status.container_statuses[0].last_state.terminated->exit_code, 1);
}

TEST(PodCodecTest, JsonRoundTrips) {
  auto pod = DecodePodYaml(kPodYaml);
  ASSERT_TRUE(pod);
  std::string json = EncodePodJson(*pod);
  auto again = DecodePodJson(json);
  ASSERT_TRUE(again) << again.error().message() << "\n" << json;
  EXPECT_EQ(EncodePod(*again), EncodePod(*pod));
  EXPECT_EQ(again->spec.containers[0].resources.limits.at("memory").Value(), 128 << 20);
}

TEST(PodCodecTest, WrongTypesNameTheField) {
  struct Case {
    const char* yaml;
    const char* path;
  } cases[] = {
      {"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    ports:\n"
       "    - containerPort: \"80\"\n",
       "spec.containers[0].ports[0].containerPort"},
      {"apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    a: 1\n", "metadata.labels.a"},
      {"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    resources:\n"
       "      limits: {cpu: lots}\n",
       "spec.containers[0].resources.limits.cpu"},
      {"apiVersion: v1\nkind: Pod\nspec:\n  hostNetwork: yes please\n", "spec.hostNetwork"},
      {"apiVersion: v1\nkind: Pod\nspec:\n  containers: {name: a}\n", "spec.containers"},
      {"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - env:\n    - name: X\n"
       "      value: 8080\n",
       "spec.containers[0].env[0].value"},
      {"apiVersion: v1\nkind: Pod\nmetadata:\n  creationTimestamp: yesterday\n",
       "metadata.creationTimestamp"},
  };
  for (const auto& c : cases) {
    auto pod = DecodePodYaml(c.yaml);
    ASSERT_FALSE(pod) << c.yaml;
    EXPECT_NE(pod.error().message().find(c.path), std::string::npos)
        << pod.error().message() << " should name " << c.path;
  }
}

TEST(PodCodecTest, ManifestsNeedKindAndMayBeLists) {
  EXPECT_FALSE(DecodePodManifest("metadata: {name: a}\n"));
  EXPECT_FALSE(DecodePodManifest("apiVersion: v1\nkind: Service\n"));
  EXPECT_FALSE(DecodePodManifest("apiVersion: v2\nkind: Pod\n"));
  EXPECT_FALSE(DecodePodManifest("- a\n- b\n"));
  EXPECT_FALSE(DecodePodManifest("apiVersion: v1\nkind: Pod\nspec: [\n"));
  auto list =
      DecodePodManifest(R"({"apiVersion":"v1","kind":"PodList","items":[{"metadata":{"name":"a"}},)"
                        R"({"metadata":{"name":"b"}}]})");
  ASSERT_TRUE(list) << list.error().message();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].metadata.name, "b");
}

TEST(YamlTest, ResolvesScalarsByTheCoreSchema) {
  auto j = YamlToJson("a: 1\nb: '1'\nc: true\nd: ~\ne: 1.5\nf: hello\ng: 0x10\nh: |\n  x\n");
  ASSERT_TRUE(j);
  EXPECT_TRUE((*j)["a"].is_number_integer());
  EXPECT_TRUE((*j)["b"].is_string());
  EXPECT_TRUE((*j)["c"].is_boolean());
  EXPECT_TRUE((*j)["d"].is_null());
  EXPECT_TRUE((*j)["e"].is_number_float());
  EXPECT_EQ((*j)["f"], "hello");
  EXPECT_EQ((*j)["g"], 16);
  EXPECT_EQ((*j)["h"], "x\n");
  // File modes as users write them: a leading 0 is octal (YAML 1.1, as kubectl reads it).
  auto modes = YamlToJson("a: 0644\nb: 0o400\nc: 0\nd: '0644'\ne: 10\n");
  ASSERT_TRUE(modes);
  EXPECT_EQ((*modes)["a"], 420);
  EXPECT_EQ((*modes)["b"], 256);
  EXPECT_EQ((*modes)["c"], 0);
  EXPECT_EQ((*modes)["d"], "0644");
  EXPECT_EQ((*modes)["e"], 10);
  auto bad = YamlToJson("a: [1, 2\n");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("line"), std::string::npos);
}

}  // namespace
}  // namespace capstan::api::k8s
