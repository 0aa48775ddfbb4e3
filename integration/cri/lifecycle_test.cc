// The CRI lifecycle as crictl and the kubelet drive it, on the real kernel.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "integration/cri/cri_test_env.h"

namespace capstan::integration {
namespace {

using LifecycleTest = CriTest;

std::string MountInfo() {
  std::ifstream in("/proc/self/mountinfo");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(LifecycleTest, PullRunLogExecStopRemoveLeavesNothing) {
  std::string image = PullBusybox();
  v1::PodSandboxConfig pod;
  std::string pod_id = RunPod("web", &pod);
  ASSERT_FALSE(pod_id.empty());

  auto cfg = ContainerConfig("printer", image,
                             {"/bin/sh", "-c", "echo first line; echo second line; sleep 1000"});
  std::string id = StartContainer(pod_id, pod, cfg);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(Status(id).state(), v1::CONTAINER_RUNNING);

  std::string log_path = pod.log_directory() + "/printer.log";
  ASSERT_TRUE(WaitFor([&] { return ReadLog(log_path).find("second line") != std::string::npos; }));
  std::string log = ReadLog(log_path);
  // CRI log format: <RFC3339Nano> <stream> <tag> <content>
  EXPECT_NE(log.find(" stdout F first line\n"), std::string::npos) << log;
  EXPECT_NE(log.find(" stdout F second line\n"), std::string::npos) << log;

  auto exec = Exec(id, {"cat", "/etc/hostname"});
  EXPECT_EQ(exec.stdout(), "web\n");
  EXPECT_EQ(exec.exit_code(), 0);
  EXPECT_EQ(Exec(id, {"sh", "-c", "exit 7"}).exit_code(), 7);

  // Find what the container owns before removing it.
  v1::ContainerStatusRequest sreq;
  sreq.set_container_id(id);
  sreq.set_verbose(true);
  v1::ContainerStatusResponse sresp;
  ASSERT_TRUE(cri_->runtime().ContainerStatus(Ctx().get(), sreq, &sresp).ok());
  std::string verbose = sresp.info().at("info");
  std::string cgroup = cri_->cgroup_parent() + "/web/" + id;
  EXPECT_NE(verbose.find(cgroup), std::string::npos) << verbose;
  EXPECT_TRUE(std::filesystem::exists("/sys/fs/cgroup/memory" + cgroup) ||
              std::filesystem::exists("/sys/fs/cgroup" + cgroup));

  v1::StopContainerRequest stop;
  stop.set_container_id(id);
  stop.set_timeout(1);
  v1::StopContainerResponse stopped;
  ASSERT_TRUE(cri_->runtime().StopContainer(Ctx().get(), stop, &stopped).ok());
  EXPECT_EQ(Status(id).state(), v1::CONTAINER_EXITED);

  v1::StopPodSandboxRequest stopp;
  stopp.set_pod_sandbox_id(pod_id);
  v1::StopPodSandboxResponse stoppr;
  ASSERT_TRUE(cri_->runtime().StopPodSandbox(Ctx().get(), stopp, &stoppr).ok());
  v1::RemovePodSandboxRequest rmp;
  rmp.set_pod_sandbox_id(pod_id);
  v1::RemovePodSandboxResponse rmpr;
  ASSERT_TRUE(cri_->runtime().RemovePodSandbox(Ctx().get(), rmp, &rmpr).ok());

  // No mount, cgroup, pinned namespace or monitor process is left.
  EXPECT_EQ(MountInfo().find(cri_->state()), std::string::npos) << MountInfo();
  EXPECT_FALSE(std::filesystem::exists("/sys/fs/cgroup/memory" + cgroup));
  EXPECT_FALSE(std::filesystem::exists("/sys/fs/cgroup/pids" + cgroup));
  EXPECT_FALSE(std::filesystem::exists(cri_->state() + "/sandboxes/" + pod_id));
  EXPECT_FALSE(std::filesystem::exists(cri_->state() + "/containers/" + id));
  bool monitor_left = false;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::ifstream in(e.path() / "cmdline");
    std::string cmd((std::istreambuf_iterator<char>(in)), {});
    monitor_left = monitor_left || cmd.find(id) != std::string::npos;
  }
  EXPECT_FALSE(monitor_left);
  v1::ListContainersResponse list;
  ASSERT_TRUE(cri_->runtime().ListContainers(Ctx().get(), {}, &list).ok());
  EXPECT_EQ(list.containers_size(), 0);
}

TEST_F(LifecycleTest, MemoryLimitKillsWithOomKilled) {
  std::string image = PullBusybox();
  v1::PodSandboxConfig pod;
  std::string pod_id = RunPod("hungry", &pod);
  auto cfg = ContainerConfig("eater", image, {"/bin/sh", "-c", "tail /dev/zero"});
  cfg.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(24 << 20);
  std::string id = StartContainer(pod_id, pod, cfg);
  ASSERT_TRUE(WaitExited(id, 30));
  auto st = Status(id);
  EXPECT_EQ(st.reason(), "OOMKilled");
  EXPECT_EQ(st.exit_code(), 137);
}

TEST_F(LifecycleTest, CpuAndMemoryLimitsReachTheCgroup) {
  std::string image = PullBusybox();
  v1::PodSandboxConfig pod;
  std::string pod_id = RunPod("limited", &pod);
  auto cfg = ContainerConfig("c", image, {"sleep", "1000"});
  auto* r = cfg.mutable_linux()->mutable_resources();
  r->set_memory_limit_in_bytes(64 << 20);
  r->set_cpu_shares(512);
  r->set_cpu_quota(50000);
  r->set_cpu_period(100000);
  std::string id = StartContainer(pod_id, pod, cfg);
  ASSERT_EQ(Status(id).state(), v1::CONTAINER_RUNNING);
  std::string cg = cri_->cgroup_parent() + "/limited/" + id;
  std::ifstream mem("/sys/fs/cgroup/memory" + cg + "/memory.limit_in_bytes");
  std::ifstream shares("/sys/fs/cgroup/cpu" + cg + "/cpu.shares");
  std::ifstream quota("/sys/fs/cgroup/cpu" + cg + "/cpu.cfs_quota_us");
  int64_t m = 0, s = 0, q = 0;
  mem >> m;
  shares >> s;
  quota >> q;
  EXPECT_EQ(m, 64 << 20);
  EXPECT_EQ(s, 512);
  EXPECT_EQ(q, 50000);

  v1::UpdateContainerResourcesRequest up;
  up.set_container_id(id);
  up.mutable_linux()->set_memory_limit_in_bytes(96 << 20);
  v1::UpdateContainerResourcesResponse upr;
  ASSERT_TRUE(cri_->runtime().UpdateContainerResources(Ctx().get(), up, &upr).ok());
  std::ifstream mem2("/sys/fs/cgroup/memory" + cg + "/memory.limit_in_bytes");
  mem2 >> m;
  EXPECT_EQ(m, 96 << 20);
}

TEST_F(LifecycleTest, ReopenContainerLogStartsANewFile) {
  std::string image = PullBusybox();
  v1::PodSandboxConfig pod;
  std::string pod_id = RunPod("rotating", &pod);
  auto cfg = ContainerConfig("ticker", image,
                             {"/bin/sh", "-c", "while true; do echo tick; sleep 0.05; done"});
  std::string id = StartContainer(pod_id, pod, cfg);
  std::string log = pod.log_directory() + "/ticker.log";
  ASSERT_TRUE(WaitFor([&] { return ReadLog(log).find("tick") != std::string::npos; }));
  std::filesystem::rename(log, log + ".1");
  v1::ReopenContainerLogRequest req;
  req.set_container_id(id);
  v1::ReopenContainerLogResponse resp;
  ASSERT_TRUE(cri_->runtime().ReopenContainerLog(Ctx().get(), req, &resp).ok());
  ASSERT_TRUE(WaitFor([&] { return ReadLog(log).find("tick") != std::string::npos; }));
}

TEST_F(LifecycleTest, TtyContainerGetsAPtyFromItsOwnDevPts) {
  std::string image = PullBusybox();
  v1::PodSandboxConfig pod;
  std::string pod_id = RunPod("terminal", &pod);
  auto cfg = ContainerConfig("t", image, {"/bin/sh", "-c", "tty; sleep 1000"});
  cfg.set_tty(true);
  cfg.set_stdin(true);
  std::string id = StartContainer(pod_id, pod, cfg);
  std::string log = pod.log_directory() + "/t.log";
  ASSERT_TRUE(WaitFor([&] { return ReadLog(log).find("/dev/pts/") != std::string::npos; }))
      << ReadLog(log);
  EXPECT_NE(ReadLog(log).find(" stdout F /dev/pts/0"), std::string::npos) << ReadLog(log);
}

}  // namespace
}  // namespace capstan::integration
