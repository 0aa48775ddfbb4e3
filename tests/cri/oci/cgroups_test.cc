// CgroupManagerConformance: the same behaviour from the v1 and v2 managers, on fixture trees
// (plain directories standing in for cgroupfs, with the control files pre-created).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/file.h"
#include "cri/oci/cgroups/manager.h"

namespace capstan::cri::oci {
namespace {

namespace fs = std::filesystem;

std::string Read(const fs::path& p) {
  auto r = ReadFile(p);
  return r ? *r : "<missing>";
}

class FixtureTree {
 public:
  FixtureTree() {
    char tmpl[] = "/tmp/capstan-cgroup-test-XXXXXX";
    root_ = ::mkdtemp(tmpl);
  }
  ~FixtureTree() { fs::remove_all(root_); }
  const fs::path& root() const { return root_; }
  // Pre-creates `files` in `dir` (what the kernel would create on mkdir).
  void Touch(const fs::path& dir, std::initializer_list<const char*> files,
             const std::string& content = "") {
    fs::create_directories(dir);
    for (const char* f : files) {
      std::ofstream(dir / f) << content;
    }
  }

 private:
  fs::path root_;
};

TEST(CgroupV1Test, AppliesLimitsPerController) {
  FixtureTree t;
  std::map<std::string, std::string> h = {{"cpu", t.root() / "cpu"},
                                          {"cpuacct", t.root() / "cpuacct"},
                                          {"memory", t.root() / "memory"},
                                          {"pids", t.root() / "pids"},
                                          {"cpuset", t.root() / "cpuset"}};
  t.Touch(t.root() / "cpuset", {"cpuset.cpus"}, "0-1\n");
  t.Touch(t.root() / "cpuset", {"cpuset.mems"}, "0\n");
  t.Touch(t.root() / "cpuset/pod/c", {"cpuset.cpus", "cpuset.mems"});
  t.Touch(t.root() / "cpuset/pod", {"cpuset.cpus", "cpuset.mems"});
  t.Touch(t.root() / "cpu/pod/c", {"cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us"});
  t.Touch(t.root() / "memory/pod/c", {"memory.limit_in_bytes"});
  t.Touch(t.root() / "pids/pod/c", {"pids.max"});
  auto m = NewCgroupV1Manager(h);
  auto dirs = m->Create("/pod/c");
  ASSERT_TRUE(dirs) << dirs.error().message();
  EXPECT_EQ(dirs->size(), 5u);
  // cpuset copied down from the parent so that processes can join.
  EXPECT_EQ(Read(t.root() / "cpuset/pod/c/cpuset.cpus"), "0-1");
  CgroupResources r;
  r.cpu_shares = 512;
  r.cpu_quota = 50000;
  r.cpu_period = 100000;
  r.memory_limit = 64 << 20;
  r.pids_limit = 10;
  ASSERT_TRUE(m->Apply("/pod/c", r));
  EXPECT_EQ(Read(t.root() / "cpu/pod/c/cpu.shares"), "512");
  EXPECT_EQ(Read(t.root() / "cpu/pod/c/cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(Read(t.root() / "cpu/pod/c/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(Read(t.root() / "memory/pod/c/memory.limit_in_bytes"), std::to_string(64 << 20));
  EXPECT_EQ(Read(t.root() / "pids/pod/c/pids.max"), "10");
}

TEST(CgroupV2Test, AppliesLimitsInOneHierarchy) {
  FixtureTree t;
  t.Touch(t.root(), {"cgroup.subtree_control"});
  t.Touch(t.root(), {"cgroup.controllers"}, "cpu memory pids\n");
  t.Touch(t.root() / "pod", {"cgroup.subtree_control"});
  t.Touch(t.root() / "pod", {"cgroup.controllers"}, "cpu memory pids\n");
  t.Touch(t.root() / "pod/c", {"cpu.weight", "cpu.max", "memory.max", "pids.max", "memory.high"});
  auto m = NewCgroupV2Manager(t.root());
  auto dirs = m->Create("/pod/c");
  ASSERT_TRUE(dirs) << dirs.error().message();
  ASSERT_EQ(dirs->size(), 1u);
  EXPECT_EQ(Read(t.root() / "cgroup.subtree_control"), "+cpu +memory +pids");
  CgroupResources r;
  r.cpu_shares = 1024;
  r.cpu_quota = 50000;
  r.cpu_period = 100000;
  r.memory_limit = 64 << 20;
  r.pids_limit = 0;
  r.unified = {{"memory.high", "1000000"}};
  ASSERT_TRUE(m->Apply("/pod/c", r));
  EXPECT_EQ(Read(t.root() / "pod/c/cpu.weight"), "39");
  EXPECT_EQ(Read(t.root() / "pod/c/cpu.max"), "50000 100000");
  EXPECT_EQ(Read(t.root() / "pod/c/memory.max"), std::to_string(64 << 20));
  EXPECT_EQ(Read(t.root() / "pod/c/pids.max"), "max");
  EXPECT_EQ(Read(t.root() / "pod/c/memory.high"), "1000000");
  r.unified = {{"../escape", "1"}};
  EXPECT_FALSE(m->Apply("/pod/c", r));
}

TEST(CgroupTest, DestroyIsIdempotentAndRefusesTheRoot) {
  FixtureTree t;
  auto m = NewCgroupV2Manager(t.root());
  fs::create_directories(t.root() / "pod/c");
  EXPECT_TRUE(m->Destroy("/pod"));
  EXPECT_FALSE(fs::exists(t.root() / "pod"));
  EXPECT_TRUE(m->Destroy("/pod"));
  EXPECT_FALSE(m->Destroy("/"));
}

TEST(CgroupTest, SharesToWeight) {
  EXPECT_EQ(SharesToWeight(2), 1);
  EXPECT_EQ(SharesToWeight(1024), 39);
  EXPECT_EQ(SharesToWeight(262144), 10000);
}

TEST(CgroupTest, ParsesV1Mounts) {
  const char* mountinfo =
      "30 24 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
      "31 30 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct\n"
      "32 30 0:28 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory\n"
      "33 30 0:29 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
      "34 30 0:30 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
  auto m = ParseCgroupV1Mounts(mountinfo, "/sys/fs/cgroup");
  EXPECT_EQ(m["cpu"], "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(m["cpuacct"], "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(m["memory"], "/sys/fs/cgroup/memory");
  EXPECT_EQ(m["name=systemd"], "/sys/fs/cgroup/systemd");
  EXPECT_EQ(m.count("xattr"), 0u);
  EXPECT_EQ(m.count("unified"), 0u);
}

}  // namespace
}  // namespace capstan::cri::oci
