// CgroupReader and HostReader on fixture trees laid out as v1 and v2 hosts lay them out.
#include "cadvisor-lite/cgroup_reader.h"

#include <stdlib.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "cadvisor-lite/host_reader.h"
#include "common/file.h"

namespace capstan::cadvisor {
namespace {

class FixtureTree : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cadvisor-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& text) {
    std::filesystem::path p = dir_ + "/" + rel;
    std::filesystem::create_directories(p.parent_path());
    ASSERT_TRUE(WriteFileAtomic(p, text, 0644));
  }
  std::string dir_;
};

constexpr char kPod[] = "/kubepods/burstable/pod1234";

TEST_F(FixtureTree, ReadsACgroupV1Hierarchy) {
  std::string p = std::string(kPod).substr(1);
  Write("memory/" + p + "/memory.usage_in_bytes", "157286400\n");
  Write("memory/" + p + "/memory.stat",
        "cache 52428800\nrss 104857600\ntotal_cache 52428800\ntotal_rss 104857600\n"
        "total_pgfault 9000\ntotal_pgmajfault 12\ntotal_inactive_file 52428800\n");
  Write("memory/" + p + "/memory.limit_in_bytes", "9223372036854771712\n");
  Write("memory/" + p + "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
  Write("cpuacct/" + p + "/cpuacct.usage", "5000000000\n");
  Write("cpu/" + p + "/cpu.stat", "nr_periods 100\nnr_throttled 7\nthrottled_time 3000000\n");
  Write("pids/" + p + "/pids.current", "4\n");
  Write("blkio/" + p + "/blkio.throttle.io_service_bytes_recursive",
        "8:0 Read 4096\n8:0 Write 8192\nTotal 12288\n");
  Write("hugetlb/" + p + "/hugetlb.2MB.usage_in_bytes", "2097152\n");
  Write("hugetlb/" + p + "/hugetlb.2MB.limit_in_bytes", "9223372036854771712\n");

  CgroupReader reader(dir_);
  ASSERT_FALSE(reader.unified());
  auto s = reader.Read(kPod);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->memory_usage_bytes, 157286400u);
  EXPECT_EQ(s->memory_working_set_bytes, 104857600u);
  EXPECT_EQ(s->memory_rss_bytes, 104857600u);
  EXPECT_EQ(s->page_faults, 9000u);
  EXPECT_EQ(s->major_page_faults, 12u);
  EXPECT_EQ(s->oom_kills, 2u);
  EXPECT_EQ(s->memory_limit_bytes, std::nullopt);
  EXPECT_EQ(s->cpu_usage_ns, 5000000000u);
  EXPECT_EQ(s->cpu_throttled_periods, 7u);
  EXPECT_EQ(s->cpu_throttled_ns, 3000000u);
  EXPECT_EQ(s->pids, 4u);
  EXPECT_EQ(s->io.read, 4096u);
  EXPECT_EQ(s->io.write, 8192u);
  ASSERT_EQ(s->hugetlb_usage_bytes.size(), 1u);
  EXPECT_EQ(s->hugetlb_usage_bytes.at("2MB"), 2097152u);

  EXPECT_EQ(reader.Read("/kubepods/gone").error().code(), Code::kNotFound);
  EXPECT_EQ(reader.Read("/kubepods/../../etc").error().code(), Code::kInvalidArgument);
}

TEST_F(FixtureTree, ReadsACgroupV2Hierarchy) {
  Write("cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
  std::string p = std::string(kPod).substr(1);
  Write(p + "/cgroup.procs", "42\n");
  Write(p + "/cpu.stat",
        "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 50\n"
        "nr_throttled 5\nthrottled_usec 1500\n");
  Write(p + "/memory.current", "110100480\n");
  Write(p + "/memory.stat",
        "anon 104857600\nfile 5242880\ninactive_file 5242880\n"
        "pgfault 800\npgmajfault 3\n");
  Write(p + "/memory.max", "max\n");
  Write(p + "/memory.events", "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n");
  Write(p + "/pids.current", "3\n");
  Write(p + "/io.stat", "8:0 rbytes=100 wbytes=200 rios=1 wios=1 dbytes=0 dios=0\n");
  Write(p + "/hugetlb.1GB.current", "0\n");

  CgroupReader reader(dir_);
  ASSERT_TRUE(reader.unified());
  auto s = reader.Read(kPod);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->cpu_usage_ns, 2500000000u);
  EXPECT_EQ(s->cpu_throttled_ns, 1500000u);
  EXPECT_EQ(s->memory_usage_bytes, 110100480u);
  EXPECT_EQ(s->memory_working_set_bytes, 104857600u);
  EXPECT_EQ(s->memory_rss_bytes, 104857600u);
  EXPECT_EQ(s->oom_kills, 1u);
  EXPECT_EQ(s->memory_limit_bytes, std::nullopt);
  EXPECT_EQ(s->pids, 3u);
  EXPECT_EQ(s->io.write, 200u);
  EXPECT_EQ(s->hugetlb_usage_bytes.at("1GB"), 0u);
  EXPECT_EQ(reader.Read("/kubepods/gone").error().code(), Code::kNotFound);
}

TEST_F(FixtureTree, HostOnV1ReadsTheRootCgroup) {
  Write("memory/memory.usage_in_bytes", "4000000000\n");
  Write("memory/memory.stat", "total_inactive_file 1000000000\ntotal_rss 500000000\n");
  Write("cpuacct/cpuacct.usage", "123000000000\n");
  Write("proc/meminfo", "MemTotal: 8000000 kB\nMemFree: 1000000 kB\n");
  Write("proc/loadavg", "1.00 0.50 0.25 2/100 999\n");
  Write("proc/sys/kernel/pid_max", "4194304\n");
  CgroupReader cgroups(dir_);
  HostReader host(&cgroups, dir_ + "/proc");
  auto h = host.Read();
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h->cpu_usage_ns, 123000000000u);
  EXPECT_EQ(h->memory_working_set_bytes, 3000000000u);
  EXPECT_EQ(h->memory_available_bytes, 8000000ull * 1024 - 3000000000u);
  ASSERT_TRUE(h->load);
  EXPECT_DOUBLE_EQ(h->load->one, 1.0);
  EXPECT_EQ(h->processes, 100u);
  EXPECT_EQ(h->max_pid, 4194304u);
}

TEST_F(FixtureTree, HostOnV2FallsBackToProc) {
  Write("cgroup.controllers", "cpu memory\n");
  Write("proc/meminfo", "MemTotal: 1000 kB\nMemFree: 200 kB\nInactive(file): 300 kB\n");
  Write("proc/stat", "cpu  100 0 50 1000 0 0 0 0 0 0\n");
  CgroupReader cgroups(dir_);
  HostReader host(&cgroups, dir_ + "/proc");
  auto h = host.Read();
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h->memory_usage_bytes, 800u * 1024);
  EXPECT_EQ(h->memory_working_set_bytes, 500u * 1024);
  EXPECT_EQ(h->memory_available_bytes, 500u * 1024);
  EXPECT_EQ(h->cpu_usage_ns, 150 * NanosPerClockTick());
}

TEST_F(FixtureTree, HostWithoutMeminfoIsAnError) {
  CgroupReader cgroups(dir_);
  HostReader host(&cgroups, dir_ + "/proc");
  EXPECT_FALSE(host.Read());
}

}  // namespace
}  // namespace capstan::cadvisor
