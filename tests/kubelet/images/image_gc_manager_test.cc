// Image GC against the fake CRI image store, with an injected filesystem measure: the
// image filesystem holds `other_` bytes besides the images.
#include "kubelet/images/image_gc_manager.h"

#include <gtest/gtest.h>

#include <set>

#include "api/cri/testing/fake_image_service.h"
#include "api/cri/testing/fake_runtime_service.h"
#include "kubelet/kuberuntime/labels.h"
#include "kubelet/testing/fake_clock.h"

namespace capstan::kubelet::images {
namespace {

namespace v1 = api::cri::v1;
using std::chrono::minutes;
using std::chrono::seconds;

class ImageGCManagerTest : public ::testing::Test {
 protected:
  ImageGCManager Manager() {
    return ImageGCManager(&runtime_, &images_, &clock_, ImageGCPolicy{85, 80, minutes(2)},
                          [this](const std::string& path) -> Result<FsUsage> {
                            stat_paths_.insert(path);
                            uint64_t used = other_;
                            auto list = images_.ListImages({});
                            for (const auto& img : list->images()) {
                              used += img.size();
                            }
                            return FsUsage{capacity_, capacity_ - std::min(used, capacity_)};
                          });
  }
  // Starts a container of `image`; returns its id.
  std::string Use(const std::string& image) {
    v1::RunPodSandboxRequest run;
    run.mutable_config()->mutable_metadata()->set_uid("u1");
    std::string sb = runtime_.RunPodSandbox(run)->pod_sandbox_id();
    v1::CreateContainerRequest create;
    create.set_pod_sandbox_id(sb);
    create.mutable_config()->mutable_metadata()->set_name("app");
    create.mutable_config()->mutable_image()->set_image(image);
    (*create.mutable_config()->mutable_labels())[kuberuntime::kPodUidLabel] = "u1";
    return runtime_.CreateContainer(create)->container_id();
  }
  void Remove(const std::string& container) {
    v1::RemoveContainerRequest rm;
    rm.set_container_id(container);
    ASSERT_TRUE(runtime_.RemoveContainer(rm));
  }
  std::set<std::string> Present() {
    std::set<std::string> out;
    auto list = images_.ListImages({});
    for (const auto& img : list->images()) {
      out.insert(img.repo_tags(0));
    }
    return out;
  }

  kubelet::testing::FakeClock clock_;
  api::cri::testing::FakeImageService images_;
  api::cri::testing::FakeRuntimeService runtime_{&clock_, &images_};
  uint64_t capacity_ = 1000;
  uint64_t other_ = 700;
  std::set<std::string> stat_paths_;
};

TEST_F(ImageGCManagerTest, BelowTheHighThresholdNothingGoes) {
  images_.AddImage("a", 100);  // 80%
  auto m = Manager();
  clock_.Advance(minutes(10));
  ASSERT_TRUE(m.GarbageCollect());
  EXPECT_EQ(Present(), (std::set<std::string>{"a:latest"}));
  EXPECT_EQ(stat_paths_, (std::set<std::string>{"/fake/images"}));  // ImageFsInfo's mountpoint
  EXPECT_EQ(images_.recorder().CallCount("RemoveImage"), 0);
}

TEST_F(ImageGCManagerTest, FreesDownToTheLowThresholdLeastRecentlyUsedFirst) {
  for (const char* name : {"a", "b", "c", "d"}) {
    images_.AddImage(name, 50);  // 900 of 1000 used: 90%
  }
  auto m = Manager();
  std::string used_a = Use("a");
  ASSERT_TRUE(m.DetectImages());  // a last used now
  Remove(used_a);
  clock_.Advance(minutes(1));
  std::string used_c = Use("c");
  ASSERT_TRUE(m.DetectImages());  // c last used a minute later
  Remove(used_c);
  Use("d");  // in use throughout
  clock_.Advance(minutes(5));
  // To reach 80% it must free 100 bytes: b (never used) then a (used longest ago).
  ASSERT_TRUE(m.GarbageCollect());
  EXPECT_EQ(Present(), (std::set<std::string>{"c:latest", "d:latest"}));
  EXPECT_EQ(m.Records().size(), 2u);
}

TEST_F(ImageGCManagerTest, ImagesInUseByExitedContainersStay) {
  images_.AddImage("a", 200);  // 90%
  auto m = Manager();
  std::string id = Use("a");
  v1::StartContainerRequest start;
  start.set_container_id(id);
  ASSERT_TRUE(runtime_.StartContainer(start));
  ASSERT_TRUE(runtime_.ExitContainer(id, 0));
  clock_.Advance(minutes(10));
  auto st = m.GarbageCollect();
  ASSERT_FALSE(st);  // could not free enough
  EXPECT_EQ(st.error().code(), Code::kResourceExhausted);
  EXPECT_EQ(Present(), (std::set<std::string>{"a:latest"}));
}

TEST_F(ImageGCManagerTest, NewImagesWaitForTheMinimumAge) {
  images_.AddImage("old", 100);
  auto m = Manager();
  ASSERT_TRUE(m.DetectImages());
  clock_.Advance(minutes(3));
  images_.AddImage("new", 100);  // 900: 90%, wants 100 freed
  ASSERT_TRUE(m.GarbageCollect());
  EXPECT_EQ(Present(), (std::set<std::string>{"new:latest"}));
  // The first time the manager sees an image counts, not when it was pulled.
  EXPECT_EQ(m.Records().at(*images_.Resolve("new")).first_detected, clock_.Now());
}

TEST_F(ImageGCManagerTest, PinnedImagesStay) {
  images_.AddImage("pause", 100);
  images_.AddImage("a", 100);  // 90%
  images_.SetPinned("pause", true);
  images_.SetPinned("a", true);
  auto m = Manager();
  ASSERT_TRUE(m.DetectImages());
  clock_.Advance(minutes(10));
  EXPECT_FALSE(m.GarbageCollect());
  EXPECT_EQ(Present(), (std::set<std::string>{"pause:latest", "a:latest"}));
}

TEST_F(ImageGCManagerTest, RemovalErrorsAreReportedAndOthersStillGo) {
  images_.AddImage("a", 100);
  images_.AddImage("b", 100);  // 900: 90%; freeing both is more than enough
  auto m = Manager();
  ASSERT_TRUE(m.DetectImages());
  clock_.Advance(minutes(10));
  images_.recorder().InjectError("RemoveImage", Error(Code::kFailedPrecondition, "in use"));
  EXPECT_FALSE(m.GarbageCollect());
  EXPECT_EQ(Present().size(), 1u);
  EXPECT_EQ(images_.recorder().CallCount("RemoveImage"), 2);
}

TEST_F(ImageGCManagerTest, ZeroCapacityIsAnError) {
  capacity_ = 0;
  auto m = Manager();
  EXPECT_FALSE(m.GarbageCollect());
}

TEST_F(ImageGCManagerTest, RecordsForgetImagesThatWentAway) {
  images_.AddImage("a", 1);
  auto m = Manager();
  ASSERT_TRUE(m.DetectImages());
  EXPECT_EQ(m.Records().size(), 1u);
  v1::RemoveImageRequest rm;
  rm.mutable_image()->set_image("a");
  ASSERT_TRUE(images_.RemoveImage(rm));
  ASSERT_TRUE(m.DetectImages());
  EXPECT_TRUE(m.Records().empty());
}

TEST_F(ImageGCManagerTest, AHighThresholdOf100DisablesIt) {
  EXPECT_TRUE(Manager().Enabled());
  ImageGCManager off(&runtime_, &images_, &clock_, ImageGCPolicy{100, 80, minutes(2)});
  EXPECT_FALSE(off.Enabled());
}

}  // namespace
}  // namespace capstan::kubelet::images
