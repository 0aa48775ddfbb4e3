// KubeletServerHost: the kubelet API's view of a Kubelet running pods on the fake CRI.
#include "kubelet/kubelet_server_host.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/kubelet/kubelet_harness.h"
#include "tests/kubelet/test_pods.h"

namespace capstan::kubelet {
namespace {

class KubeletServerHostTest : public KubeletHarness {
 protected:
  void SetUp() override {
    KubeletOptions opts = BaseOptions();
    opts.config.cgroups_per_qos = false;
    StartKubelet(opts, BaseDeps());
    host_ = std::make_unique<KubeletServerHost>(kubelet_.get(), &runtime_);
  }

  std::unique_ptr<KubeletServerHost> host_;
};

constexpr const char* kWeb = R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: web-node-1, namespace: default, uid: u-web}
spec:
  containers:
  - name: app
    image: busybox:1.36
)yaml";

TEST_F(KubeletServerHostTest, PodsCarryTheirStatusAndRunningPodsComeFromTheRuntime) {
  config_.SetSourcePods(sources::kFileSource, {testing::PodFromYaml(kWeb)});
  Settle();
  auto pods = host_->GetPods();
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0].metadata.name, "web-node-1");
  EXPECT_EQ(pods[0].status.phase, "Running");
  auto running = host_->GetRunningPods();
  ASSERT_TRUE(running) << running.error().message();
  ASSERT_EQ(running->size(), 1u);
  EXPECT_EQ((*running)[0].metadata.uid, "u-web");
  EXPECT_EQ((*running)[0].metadata.namespace_, "default");
  ASSERT_EQ((*running)[0].spec.containers.size(), 1u);
  EXPECT_EQ((*running)[0].spec.containers[0].name, "app");
  EXPECT_EQ((*running)[0].spec.containers[0].image, "busybox:1.36");
}

TEST_F(KubeletServerHostTest, ContainerLogsOfTheCurrentAndThePreviousInstance) {
  config_.SetSourcePods(sources::kFileSource, {testing::PodFromYaml(kWeb)});
  Settle();
  std::string first = Newest("app");
  auto current = host_->ContainerLog("default", "web-node-1", "app", false);
  ASSERT_TRUE(current) << current.error().message();
  EXPECT_EQ(current->path, runtime_.FindContainer(first)->log_path);
  EXPECT_TRUE(current->is_running());
  auto none = host_->ContainerLog("default", "web-node-1", "app", true);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), Code::kFailedPrecondition);

  ASSERT_TRUE(runtime_.ExitContainer(first, 1));
  EXPECT_FALSE(current->is_running());
  Pass(1);  // restarted
  std::string second = Newest("app");
  ASSERT_NE(second, first);
  auto now = host_->ContainerLog("default", "web-node-1", "app", false);
  ASSERT_TRUE(now);
  EXPECT_EQ(now->path, runtime_.FindContainer(second)->log_path);
  auto previous = host_->ContainerLog("default", "web-node-1", "app", true);
  ASSERT_TRUE(previous) << previous.error().message();
  EXPECT_EQ(previous->path, runtime_.FindContainer(first)->log_path);
  EXPECT_NE(previous->path, now->path);
}

TEST_F(KubeletServerHostTest, UnknownPodsAndContainersAreNotFound) {
  config_.SetSourcePods(sources::kFileSource, {testing::PodFromYaml(kWeb)});
  Settle();
  auto pod = host_->ContainerLog("default", "nope", "app", false);
  ASSERT_FALSE(pod);
  EXPECT_EQ(pod.error().code(), Code::kNotFound);
  EXPECT_EQ(pod.error().message(), "pod \"nope\" does not exist");
  auto other_ns = host_->ContainerLog("kube-system", "web-node-1", "app", false);
  ASSERT_FALSE(other_ns);
  EXPECT_EQ(other_ns.error().code(), Code::kNotFound);
  auto c = host_->ContainerLog("default", "web-node-1", "sidecar", false);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), Code::kNotFound);
  EXPECT_EQ(c.error().message(), "container \"sidecar\" not found in pod \"web-node-1\"");
}

}  // namespace
}  // namespace capstan::kubelet
