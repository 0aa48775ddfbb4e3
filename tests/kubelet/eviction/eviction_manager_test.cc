// Node-pressure eviction: thresholds, observations, ranking as upstream, grace periods,
// pressure conditions with their transition period, and upstream's message.
#include "kubelet/eviction/eviction_manager.h"

#include <gtest/gtest.h>

#include "common/testing/fake_clock.h"

namespace capstan::kubelet::eviction {
namespace {

using std::chrono::seconds;
constexpr int64_t kMi = 1024 * 1024;

api::k8s::Pod MakePod(const std::string& name, int64_t request_mi, int32_t priority = 0) {
  api::k8s::Pod p;
  p.metadata.name = name;
  p.metadata.namespace_ = "default";
  p.metadata.uid = "uid-" + name;
  p.spec.priority = priority;
  api::k8s::Container c;
  c.name = "c";
  if (request_mi > 0) {
    auto q = *api::k8s::Quantity::Parse(std::to_string(request_mi) + "Mi");
    c.resources.requests["memory"] = q;
    c.resources.limits["memory"] = q;
  }
  p.spec.containers.push_back(c);
  return p;
}

cadvisor::PodStats Stats(const api::k8s::Pod& pod, int64_t working_set_mi) {
  cadvisor::PodStats s;
  s.name = pod.metadata.name;
  s.namespace_ = pod.metadata.namespace_;
  s.uid = pod.metadata.uid;
  cadvisor::ContainerStats c;
  c.name = "c";
  c.memory = cadvisor::MemoryStats{};
  c.memory->working_set_bytes = working_set_mi * kMi;
  s.containers.push_back(c);
  return s;
}

cadvisor::Summary NodeWithAvailable(int64_t capacity_mi, int64_t available_mi) {
  cadvisor::Summary s;
  s.node.memory = cadvisor::MemoryStats{};
  s.node.memory->working_set_bytes = (capacity_mi - available_mi) * kMi;
  s.node.fs = cadvisor::FsStats{};
  s.node.fs->available_bytes = 50 * kMi;
  s.node.fs->capacity_bytes = 100 * kMi;
  s.node.fs->inodes = 1000;
  s.node.fs->inodes_free = 10;
  return s;
}

TEST(Thresholds, ParseQuantitiesPercentagesAndGracePeriods) {
  auto t = ParseThresholds({{"memory.available", "100Mi"}, {"nodefs.available", "10%"}},
                           {{"memory.available", "300Mi"}}, {{"memory.available", "1m30s"}});
  ASSERT_TRUE(t) << t.error().message();
  ASSERT_EQ(t->size(), 3u);
  EXPECT_EQ((*t)[0].quantity, 100 * kMi);
  EXPECT_DOUBLE_EQ((*t)[1].percentage, 0.10);
  EXPECT_EQ((*t)[1].Value(1000), 100);
  EXPECT_TRUE((*t)[2].soft);
  EXPECT_EQ((*t)[2].grace_period, seconds(90));

  EXPECT_FALSE(ParseThresholds({{"memory.free", "1Mi"}}, {}, {}));
  EXPECT_FALSE(ParseThresholds({{"memory.available", "lots"}}, {}, {}));
  EXPECT_FALSE(ParseThresholds({{"memory.available", "120%"}}, {}, {}));
  EXPECT_FALSE(ParseThresholds({}, {{"memory.available", "1Mi"}}, {}));  // no grace period
}

TEST(Thresholds, ObservedFromTheSummary) {
  auto o = Observe(NodeWithAvailable(1000, 80), 1000 * kMi);
  EXPECT_EQ(o.at(Signal::kMemoryAvailable).available, 80 * kMi);
  EXPECT_EQ(o.at(Signal::kNodeFsAvailable).capacity, 100 * kMi);
  EXPECT_EQ(o.at(Signal::kNodeFsInodesFree).available, 10);
  EXPECT_EQ(o.count(Signal::kImageFsAvailable), 0u);
  auto t = *ParseThresholds(
      {{"memory.available", "100Mi"}, {"nodefs.inodesFree", "5%"}, {"nodefs.available", "10%"}}, {},
      {});
  auto met = ThresholdsMet(t, o);
  ASSERT_EQ(met.size(), 2u);  // memory (80Mi < 100Mi) and inodes (10 < 50)
}

TEST(Ranking, OverRequestsFirstThenPriorityThenConsumption) {
  std::vector<api::k8s::Pod> pods = {MakePod("guaranteed", 500), MakePod("small-hog", 0),
                                     MakePod("big-hog", 0), MakePod("important-hog", 0, 1000)};
  cadvisor::Summary s = NodeWithAvailable(1000, 50);
  s.pods = {Stats(pods[0], 400), Stats(pods[1], 50), Stats(pods[2], 300), Stats(pods[3], 600)};
  auto ranked = RankForEviction(Signal::kMemoryAvailable, pods, s);
  ASSERT_EQ(ranked.size(), 4u);
  EXPECT_EQ(ranked[0]->metadata.name, "big-hog");
  EXPECT_EQ(ranked[1]->metadata.name, "small-hog");
  EXPECT_EQ(ranked[2]->metadata.name, "important-hog");  // higher priority, over its request
  EXPECT_EQ(ranked[3]->metadata.name, "guaranteed");     // within its request
}

TEST(EvictionManager, HardThresholdEvictsTheTopPodAtOnceWithUpstreamsMessage) {
  testing::FakeClock clock;
  EvictionOptions o;
  o.thresholds = *ParseThresholds({{"memory.available", "100Mi"}}, {}, {});
  o.memory_capacity_bytes = 1000 * kMi;
  EvictionManager m(o, &clock);
  std::vector<api::k8s::Pod> pods = {MakePod("guaranteed", 500), MakePod("hog", 0)};
  cadvisor::Summary s = NodeWithAvailable(1000, 80);
  s.pods = {Stats(pods[0], 400), Stats(pods[1], 300)};
  auto d = m.Synchronize(s, pods);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->pod.metadata.name, "hog");
  EXPECT_EQ(d->grace_period_override, 0);
  EXPECT_EQ(d->message,
            "The node was low on resource: memory. Threshold quantity: 100Mi, available: 80Mi. "
            "Container c was using 300Mi, request is 0, has larger consumption of memory. ");
  EXPECT_TRUE(m.MemoryPressure());
  EXPECT_FALSE(m.DiskPressure());

  // Pressure relieved: nothing evicted, but the condition holds for the transition period.
  s = NodeWithAvailable(1000, 500);
  s.pods = {Stats(pods[0], 400)};
  EXPECT_FALSE(m.Synchronize(s, {pods[0]}));
  EXPECT_TRUE(m.MemoryPressure());
  clock.Advance(seconds(301));
  EXPECT_FALSE(m.Synchronize(s, {pods[0]}));
  EXPECT_FALSE(m.MemoryPressure());
}

TEST(EvictionManager, SoftThresholdWaitsForItsGracePeriod) {
  testing::FakeClock clock;
  EvictionOptions o;
  o.thresholds =
      *ParseThresholds({}, {{"memory.available", "200Mi"}}, {{"memory.available", "30s"}});
  o.memory_capacity_bytes = 1000 * kMi;
  o.max_pod_grace_period = 10;
  EvictionManager m(o, &clock);
  std::vector<api::k8s::Pod> pods = {MakePod("hog", 0)};
  cadvisor::Summary s = NodeWithAvailable(1000, 150);
  s.pods = {Stats(pods[0], 300)};
  EXPECT_FALSE(m.Synchronize(s, pods));
  EXPECT_TRUE(m.MemoryPressure());  // the condition does not wait
  clock.Advance(seconds(20));
  EXPECT_FALSE(m.Synchronize(s, pods));
  clock.Advance(seconds(15));
  auto d = m.Synchronize(s, pods);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->grace_period_override, 10);
  // A dip above the threshold restarts the grace period.
  s = NodeWithAvailable(1000, 500);
  m.Synchronize(s, pods);
  s = NodeWithAvailable(1000, 150);
  s.pods = {Stats(pods[0], 300)};
  EXPECT_FALSE(m.Synchronize(s, pods));
}

TEST(EvictionManager, StaticAndCriticalPodsAreNeverChosen) {
  testing::FakeClock clock;
  EvictionOptions o;
  o.thresholds = *ParseThresholds({{"memory.available", "100Mi"}}, {}, {});
  o.memory_capacity_bytes = 1000 * kMi;
  EvictionManager m(o, &clock);
  auto static_pod = MakePod("static", 0);
  static_pod.metadata.annotations["kubernetes.io/config.source"] = "file";
  auto critical = MakePod("critical", 0, 2000001000);
  cadvisor::Summary s = NodeWithAvailable(1000, 10);
  s.pods = {Stats(static_pod, 500), Stats(critical, 400)};
  EXPECT_FALSE(m.Synchronize(s, {static_pod, critical}));
  EXPECT_TRUE(m.MemoryPressure());
}

TEST(EvictionManager, DiskPressureDeletesUnusedImagesBeforeAnyPod) {
  testing::FakeClock clock;
  EvictionOptions o;
  o.thresholds = *ParseThresholds({{"nodefs.available", "60Mi"}}, {}, {});
  EvictionManager m(o, &clock);
  std::vector<api::k8s::Pod> pods = {MakePod("app", 0)};
  cadvisor::Summary s = NodeWithAvailable(1000, 500);  // nodefs: 50Mi of 100Mi available
  s.pods = {Stats(pods[0], 10)};
  int deletions = 0;
  int64_t available_after = 80;
  NodeReclaim reclaim{[&] { ++deletions; },
                      [&] {
                        cadvisor::Summary after = s;
                        after.node.fs->available_bytes = available_after * kMi;
                        return after;
                      }};
  EXPECT_FALSE(m.Synchronize(s, pods, reclaim));  // the images freed enough
  EXPECT_EQ(deletions, 1);
  EXPECT_TRUE(m.DiskPressure());

  available_after = 55;  // not enough: then a pod goes
  auto d = m.Synchronize(s, pods, reclaim);
  EXPECT_EQ(deletions, 2);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->pod.metadata.name, "app");
  EXPECT_EQ(d->message.rfind("The node was low on resource: ephemeral-storage. ", 0), 0u)
      << d->message;
}

TEST(EvictionManager, MemoryPressureReclaimsNoImages) {
  testing::FakeClock clock;
  EvictionOptions o;
  o.thresholds = *ParseThresholds({{"memory.available", "100Mi"}}, {}, {});
  o.memory_capacity_bytes = 1000 * kMi;
  EvictionManager m(o, &clock);
  std::vector<api::k8s::Pod> pods = {MakePod("hog", 0)};
  cadvisor::Summary s = NodeWithAvailable(1000, 50);
  s.pods = {Stats(pods[0], 300)};
  int deletions = 0;
  NodeReclaim reclaim{[&] { ++deletions; }, [&] { return s; }};
  EXPECT_TRUE(m.Synchronize(s, pods, reclaim));
  EXPECT_EQ(deletions, 0);
}

TEST(RejectUnderPressure, AsUpstreamsEvictionAdmitHandler) {
  auto best_effort = MakePod("be", 0);
  auto burstable = MakePod("burstable", 100);
  burstable.spec.containers[0].resources.limits.clear();
  EXPECT_FALSE(RejectUnderPressure(best_effort, {}));

  EXPECT_EQ(RejectUnderPressure(best_effort, {"MemoryPressure"}),
            "The node had condition: [MemoryPressure]. ");
  EXPECT_FALSE(RejectUnderPressure(burstable, {"MemoryPressure"}));
  auto tolerant = best_effort;
  api::k8s::Toleration t;
  t.key = "node.kubernetes.io/memory-pressure";
  t.operator_ = "Exists";
  t.effect = "NoSchedule";
  tolerant.spec.tolerations.push_back(t);
  EXPECT_FALSE(RejectUnderPressure(tolerant, {"MemoryPressure"}));

  EXPECT_EQ(RejectUnderPressure(burstable, {"MemoryPressure", "DiskPressure"}),
            "The node had condition: [MemoryPressure DiskPressure]. ");
  EXPECT_TRUE(RejectUnderPressure(burstable, {"PIDPressure"}));
  auto static_pod = best_effort;
  static_pod.metadata.annotations["kubernetes.io/config.source"] = "file";
  EXPECT_FALSE(RejectUnderPressure(static_pod, {"DiskPressure"}));
}

}  // namespace
}  // namespace capstan::kubelet::eviction
