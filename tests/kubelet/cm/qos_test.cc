#include "kubelet/cm/qos.h"

#include <gtest/gtest.h>

#include "kubelet/cm/cgroup_manager.h"
#include "tests/kubelet/test_pods.h"

namespace capstan::kubelet::cm {
namespace {

api::k8s::Pod WithResources(const std::string& a, const std::string& b = "") {
  std::string yaml =
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p, uid: u1}\nspec:\n"
      "  containers:\n  - {name: a, image: x, resources: " +
      a + "}\n";
  if (!b.empty()) {
    yaml += "  initContainers:\n  - {name: b, image: x, resources: " + b + "}\n";
  }
  return testing::PodFromYaml(yaml);
}

TEST(QosTest, ClassesAsUpstream) {
  EXPECT_EQ(ComputePodQos(WithResources("{}")), QosClass::kBestEffort);
  EXPECT_EQ(ComputePodQos(WithResources("{limits: {cpu: 1, memory: 1Gi}}")),
            QosClass::kGuaranteed);  // requests default to limits
  EXPECT_EQ(ComputePodQos(WithResources("{requests: {cpu: 1, memory: 1Gi}, limits: {cpu: 1, "
                                        "memory: 1Gi}}")),
            QosClass::kGuaranteed);
  EXPECT_EQ(ComputePodQos(WithResources("{requests: {cpu: 500m}, limits: {cpu: 1, memory: 1Gi}}")),
            QosClass::kBurstable);
  EXPECT_EQ(ComputePodQos(WithResources("{limits: {cpu: 1}}")), QosClass::kBurstable);
  EXPECT_EQ(ComputePodQos(WithResources("{requests: {memory: 10Mi}}")), QosClass::kBurstable);
  // Any init container without limits makes it burstable.
  EXPECT_EQ(ComputePodQos(WithResources("{limits: {cpu: 1, memory: 1Gi}}", "{requests: {cpu: 1}}")),
            QosClass::kBurstable);
  EXPECT_EQ(ComputePodQos(WithResources("{requests: {ephemeral-storage: 1Gi}}")),
            QosClass::kBestEffort);  // only cpu and memory count
}

TEST(QosTest, OomScoreAdjust) {
  auto guaranteed = WithResources("{limits: {cpu: 1, memory: 1Gi}}");
  EXPECT_EQ(ContainerOomScoreAdjust(guaranteed, guaranteed.spec.containers[0], 4LL << 30), -997);
  auto best = WithResources("{}");
  EXPECT_EQ(ContainerOomScoreAdjust(best, best.spec.containers[0], 4LL << 30), 1000);
  auto burst = WithResources("{requests: {memory: 1Gi}}");
  EXPECT_EQ(ContainerOomScoreAdjust(burst, burst.spec.containers[0], 4LL << 30), 750);
  auto huge = WithResources("{requests: {memory: 8Gi}}");
  EXPECT_EQ(ContainerOomScoreAdjust(huge, huge.spec.containers[0], 4LL << 30), 3);
  auto tiny = WithResources("{requests: {cpu: 1}}");
  EXPECT_EQ(ContainerOomScoreAdjust(tiny, tiny.spec.containers[0], 4LL << 30), 999);
}

TEST(CgroupNamesTest, CgroupfsAndSystemdSpellings) {
  CgroupNames fs("/", CgroupDriver::kCgroupfs);
  EXPECT_EQ(fs.QosParent(QosClass::kGuaranteed), "/kubepods");
  EXPECT_EQ(fs.QosParent(QosClass::kBurstable), "/kubepods/burstable");
  EXPECT_EQ(fs.PodCgroup(QosClass::kBestEffort, "a-b"), "/kubepods/besteffort/poda-b");
  EXPECT_EQ(fs.PodCgroup(QosClass::kGuaranteed, "a-b"), "/kubepods/poda-b");
  CgroupNames rooted("/capstan/", CgroupDriver::kCgroupfs);
  EXPECT_EQ(rooted.QosParent(QosClass::kBurstable), "/capstan/kubepods/burstable");
  CgroupNames sd("", CgroupDriver::kSystemd);
  EXPECT_EQ(sd.PodCgroup(QosClass::kBurstable, "a-b"),
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-poda_b.slice");
}

TEST(CgroupNamesTest, SharesQuotaAndPodResources) {
  EXPECT_EQ(MilliCpuToShares(0), 2u);
  EXPECT_EQ(MilliCpuToShares(1), 2u);
  EXPECT_EQ(MilliCpuToShares(100), 102u);
  EXPECT_EQ(MilliCpuToShares(1000), 1024u);
  EXPECT_EQ(MilliCpuToShares(1000000), 262144u);
  EXPECT_EQ(MilliCpuToQuota(0, 100000), 0);
  EXPECT_EQ(MilliCpuToQuota(5, 100000), 1000);  // at least 1 ms
  EXPECT_EQ(MilliCpuToQuota(250, 100000), 25000);
  auto pod = WithResources("{requests: {cpu: 250m}, limits: {cpu: 500m, memory: 64Mi}}");
  auto r = PodResources(pod, 1024);
  EXPECT_EQ(r.cpu_shares, 256u);
  EXPECT_EQ(r.cpu_quota, 50000);
  EXPECT_EQ(r.memory_limit_bytes, 64 << 20);
  EXPECT_EQ(r.pids_limit, 1024);
  auto best = PodResources(WithResources("{}"), std::nullopt);
  EXPECT_EQ(best.cpu_shares, 2u);
  EXPECT_FALSE(best.cpu_quota);
  EXPECT_FALSE(best.memory_limit_bytes);
}

}  // namespace
}  // namespace capstan::kubelet::cm
