#include "api/k8s/defaults.h"

#include <gtest/gtest.h>

#include "api/k8s/codec.h"

namespace capstan::api::k8s {
namespace {

TEST(DefaultsTest, AppliesWhatTheApiServerWould) {
  auto pod = DecodePodYaml(R"(
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostNetwork: true
  volumes: [{name: v}]
  containers:
  - name: a
    image: busybox
    ports: [{containerPort: 80}]
    resources: {limits: {cpu: 500m}}
    readinessProbe: {httpGet: {port: 80}}
  - {name: b, image: "registry:5000/busybox:1.36"}
  - {name: c, image: "busybox:latest"}
  - {name: d, image: "busybox@sha256:abcd"}
  - {name: e, image: "busybox:1.36", imagePullPolicy: Never}
)");
  ASSERT_TRUE(pod) << pod.error().message();
  Pod p = WithDefaults(*pod);
  EXPECT_EQ(p.metadata.namespace_, "default");
  EXPECT_EQ(p.spec.restart_policy, "Always");
  EXPECT_EQ(p.spec.termination_grace_period_seconds, 30);
  EXPECT_EQ(p.spec.dns_policy, "ClusterFirst");
  EXPECT_TRUE(p.spec.volumes[0].empty_dir);
  const auto& a = p.spec.containers[0];
  EXPECT_EQ(a.image_pull_policy, "Always");
  EXPECT_EQ(a.ports[0].protocol, "TCP");
  EXPECT_EQ(a.ports[0].host_port, 80);
  EXPECT_EQ(a.resources.requests.at("cpu").MilliValue(), 500);
  EXPECT_EQ(a.readiness_probe->period_seconds, 10);
  EXPECT_EQ(a.readiness_probe->timeout_seconds, 1);
  EXPECT_EQ(a.readiness_probe->success_threshold, 1);
  EXPECT_EQ(a.readiness_probe->failure_threshold, 3);
  EXPECT_EQ(a.readiness_probe->handler.http_get->path, "/");
  EXPECT_EQ(a.readiness_probe->handler.http_get->scheme, "HTTP");
  EXPECT_EQ(a.termination_message_path, "/dev/termination-log");
  EXPECT_EQ(p.spec.containers[1].image_pull_policy, "IfNotPresent");
  EXPECT_EQ(p.spec.containers[2].image_pull_policy, "Always");
  EXPECT_EQ(p.spec.containers[3].image_pull_policy, "IfNotPresent");
  EXPECT_EQ(p.spec.containers[4].image_pull_policy, "Never");
  EXPECT_EQ(DefaultImagePullPolicy("localhost:5000/busybox"), "Always");
}

}  // namespace
}  // namespace capstan::api::k8s
