// The cgroupfs managers on fixture trees (plain directories), v1 and v2: what they create,
// write and remove.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/file.h"
#include "kubelet/cm/cgroup_manager.h"

namespace capstan::kubelet::cm {
namespace {

class CgroupfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-cgroupfs-XXXXXX";
    root_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string Read(const std::string& rel) {
    auto s = ReadFile(root_ + rel);
    return s ? *s : "<missing>";
  }
  std::string root_;
};

TEST_F(CgroupfsTest, V2CreatesWithLimitsAndRemoves) {
  std::ofstream(root_ + "/cgroup.controllers") << "cpu memory pids";
  auto m = NewCgroupfsManager(root_);
  ASSERT_TRUE(m) << m.error().message();
  CgroupResources r;
  r.cpu_shares = 1024;
  r.cpu_quota = 50000;
  r.cpu_period = 100000;
  r.memory_limit_bytes = 64 << 20;
  r.pids_limit = 100;
  ASSERT_TRUE((*m)->Create("/kubepods/burstable/podu1", r));
  EXPECT_TRUE((*m)->Exists("/kubepods/burstable/podu1"));
  EXPECT_EQ(Read("/kubepods/burstable/podu1/cpu.weight"), "39");
  EXPECT_EQ(Read("/kubepods/burstable/podu1/cpu.max"), "50000 100000");
  EXPECT_EQ(Read("/kubepods/burstable/podu1/memory.max"), std::to_string(64 << 20));
  EXPECT_EQ(Read("/kubepods/burstable/podu1/pids.max"), "100");
  EXPECT_TRUE(std::filesystem::exists(root_ + "/kubepods/cgroup.subtree_control"));
  EXPECT_EQ((*m)->Children("/kubepods/burstable"), std::vector<std::string>{"podu1"});
  CgroupResources unlimited;
  unlimited.cpu_quota = -1;
  ASSERT_TRUE((*m)->Update("/kubepods/burstable/podu1", unlimited));
  EXPECT_EQ(Read("/kubepods/burstable/podu1/cpu.max"), "max 100000");
  ASSERT_TRUE((*m)->Destroy("/kubepods/burstable/podu1"));
  EXPECT_FALSE((*m)->Exists("/kubepods/burstable/podu1"));
  EXPECT_TRUE((*m)->Destroy("/kubepods/burstable/podu1"));  // idempotent
}

TEST_F(CgroupfsTest, V1UsesEveryMountedHierarchyAndInheritsCpusets) {
  for (const char* c : {"cpu", "memory", "pids", "cpuset"}) {
    std::filesystem::create_directories(root_ + "/" + c);
  }
  std::ofstream(root_ + "/cpuset/cpuset.cpus") << "0-3\n";
  std::ofstream(root_ + "/cpuset/cpuset.mems") << "0\n";
  auto m = NewCgroupfsManager(root_);
  ASSERT_TRUE(m);
  CgroupResources r;
  r.cpu_shares = 256;
  r.cpu_quota = 25000;
  r.cpu_period = 100000;
  r.memory_limit_bytes = 1 << 30;
  ASSERT_TRUE((*m)->Create("/kubepods/podu2", r));
  EXPECT_EQ(Read("/cpu/kubepods/podu2/cpu.shares"), "256");
  EXPECT_EQ(Read("/cpu/kubepods/podu2/cpu.cfs_quota_us"), "25000");
  EXPECT_EQ(Read("/cpu/kubepods/podu2/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(Read("/memory/kubepods/podu2/memory.limit_in_bytes"), std::to_string(1 << 30));
  EXPECT_EQ(Read("/cpuset/kubepods/podu2/cpuset.cpus"), "0-3\n");
  EXPECT_EQ(Read("/cpuset/kubepods/cpuset.mems"), "0\n");
  EXPECT_FALSE(std::filesystem::exists(root_ + "/blkio"));  // not mounted: left alone
  EXPECT_EQ((*m)->Children("/kubepods"), std::vector<std::string>{"podu2"});
  ASSERT_TRUE((*m)->Destroy("/kubepods/podu2"));
  EXPECT_FALSE(std::filesystem::exists(root_ + "/memory/kubepods/podu2"));
}

TEST_F(CgroupfsTest, NeitherHierarchyIsAnError) {
  EXPECT_FALSE(NewCgroupfsManager(root_));
  EXPECT_EQ(CpuSharesToWeight(2), 1u);
  EXPECT_EQ(CpuSharesToWeight(262144), 10000u);
}

}  // namespace
}  // namespace capstan::kubelet::cm
