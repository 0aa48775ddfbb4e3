// The kubelet's sync loop drives log rotation, container GC and image GC on their periods
// (inline here: no GC executor), against the fake CRI and a fake clock.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/kubelet/kubelet_harness.h"
#include "tests/kubelet/test_pods.h"

namespace capstan::kubelet {
namespace {

namespace fs = std::filesystem;
namespace v1 = api::cri::v1;
using std::chrono::seconds;

constexpr const char* kPod = R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default, uid: u-web}
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - name: app
    image: busybox:1.36
)yaml";

class KubeletGcTest : public KubeletHarness {
 protected:
  void SetUp() override {
    KubeletOptions opts = BaseOptions();
    opts.config.container_log_max_size = "1Ki";
    opts.config.container_log_max_files = 2;
    KubeletDeps deps = BaseDeps();
    deps.image_fs_stat = [this](const std::string&) -> Result<images::FsUsage> {
      return images::FsUsage{1000, 1000 - fs_used_};
    };
    StartKubelet(opts, deps);
    config_.SetSourcePods(sources::kFileSource, {});
  }
  std::string Newest() { return KubeletHarness::Newest("app"); }

  uint64_t fs_used_ = 500;
};

TEST_F(KubeletGcTest, RotatesLogsOfRunningContainers) {
  config_.SetSourcePods(sources::kFileSource, {testing::PodFromYaml(kPod)});
  Settle();
  std::string log = runtime_.FindContainer(Newest())->log_path;
  Pass(1);  // the fake runtime opens the log
  ASSERT_TRUE(fs::exists(log));
  std::ofstream(log, std::ios::app) << std::string(2048, 'x');
  Pass(1);
  EXPECT_EQ(fs::file_size(log), 0u);
  int files = 0;
  for (const auto& e : fs::directory_iterator(fs::path(log).parent_path())) {
    files += e.path().filename().string().starts_with("0.log.");
  }
  EXPECT_EQ(files, 1);
}

TEST_F(KubeletGcTest, DeadContainersAndLogsOfRemovedPodsAreCollected) {
  auto pod = testing::PodFromYaml(kPod);
  config_.SetSourcePods(sources::kFileSource, {pod});
  Settle();
  // Three crashes, restarted after back-off (a GC round passes meanwhile).
  auto restarts = [&] {
    auto st = kubelet_->GetPodStatus("u-web");
    return st && !st->container_statuses.empty() && st->container_statuses[0].ready
               ? st->container_statuses[0].restart_count
               : -1;
  };
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(runtime_.ExitContainer(Newest(), 1));
    for (int s = 0; s < 60 && restarts() != i; ++s) {
      Pass(1);
    }
    ASSERT_EQ(restarts(), i);
  }
  Pass(60);  // a container GC round: the newest dead one stays with the running one
  EXPECT_EQ(runtime_.ContainersNamed("app").size(), 2u);

  std::string log_dir = dir_ + "/logs/default_web_u-web";
  ASSERT_TRUE(fs::exists(log_dir));
  config_.SetSourcePods(sources::kFileSource, {});
  Pass(10);  // stopped and removed
  EXPECT_TRUE(runtime_.Sandboxes().empty());
  Pass(60);
  EXPECT_FALSE(fs::exists(log_dir));
}

TEST_F(KubeletGcTest, ImageGcFreesUnusedImagesOverTheThreshold) {
  images_.AddImage("unused", 100);
  config_.SetSourcePods(sources::kFileSource, {testing::PodFromYaml(kPod)});
  Settle();  // the first image GC round sees both images
  fs_used_ = 900;
  Pass(5 * 60);
  EXPECT_FALSE(images_.Resolve("unused"));
  EXPECT_TRUE(images_.Resolve("busybox:1.36"));  // in use
}

}  // namespace
}  // namespace capstan::kubelet
