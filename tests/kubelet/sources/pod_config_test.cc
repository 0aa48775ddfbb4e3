#include "kubelet/sources/pod_config.h"

#include <gtest/gtest.h>

namespace capstan::kubelet::sources {
namespace {

api::k8s::Pod Pod(const std::string& uid, const std::string& image = "busybox") {
  api::k8s::Pod p;
  p.metadata.name = "p-" + uid;
  p.metadata.uid = uid;
  p.metadata.annotations[kConfigSeenAnnotation] = "t-" + image;
  api::k8s::Container c;
  c.name = "app";
  c.image = image;
  p.spec.containers.push_back(c);
  return p;
}

TEST(PodConfigTest, SnapshotsBecomeIncrementalUpdates) {
  PodConfig config;
  EXPECT_FALSE(config.SourceReady("file"));
  config.SetSourcePods("file", {});
  EXPECT_TRUE(config.SourceReady("file"));
  EXPECT_TRUE(config.Drain().empty());

  config.SetSourcePods("file", {Pod("a"), Pod("b")});
  auto u = config.Drain();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].op, PodOperation::kAdd);
  EXPECT_EQ(u[0].pods.size(), 2u);
  EXPECT_EQ(u[0].source, "file");

  // Same pods, a new "seen" time: nothing to do.
  auto a2 = Pod("a");
  a2.metadata.annotations[kConfigSeenAnnotation] = "later";
  config.SetSourcePods("file", {a2, Pod("b")});
  EXPECT_TRUE(config.Drain().empty());

  // b's spec changes under the same uid, a goes, c comes.
  config.SetSourcePods("file", {Pod("b", "nginx"), Pod("c")});
  u = config.Drain();
  ASSERT_EQ(u.size(), 3u);
  EXPECT_EQ(u[0].op, PodOperation::kRemove);
  EXPECT_EQ(u[0].pods[0].metadata.uid, "a");
  EXPECT_EQ(u[1].op, PodOperation::kAdd);
  EXPECT_EQ(u[1].pods[0].metadata.uid, "c");
  EXPECT_EQ(u[2].op, PodOperation::kUpdate);
  EXPECT_EQ(u[2].pods[0].spec.containers[0].image, "nginx");
  // The first sighting stays the pod's "seen" time.
  EXPECT_EQ(u[2].pods[0].metadata.annotations[kConfigSeenAnnotation], "t-busybox");
}

TEST(PodConfigTest, WaitForUpdatesReturnsWhenOneIsQueued) {
  PodConfig config;
  EXPECT_FALSE(config.WaitForUpdates(std::chrono::milliseconds(1)));
  config.SetSourcePods("file", {Pod("a")});
  EXPECT_TRUE(config.WaitForUpdates(std::chrono::milliseconds(1)));
}

}  // namespace
}  // namespace capstan::kubelet::sources
