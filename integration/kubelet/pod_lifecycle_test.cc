// The kubelet over capstan-cri on the real kernel: resources in cgroups, shared volumes,
// restarts and back-off, probes, graceful removal, bad manifests, and a kubelet killed with
// SIGKILL that comes back to the pods it left.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "integration/kubelet/kubelet_node.h"
#include "integration/kubelet/manifests.h"

namespace capstan::integration::kubelet {
namespace {

using std::chrono::steady_clock;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)), {});
  while (!all.empty() && all.back() == '\n') {
    all.pop_back();
  }
  return all;
}

bool CgroupV2Unified() { return std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers"); }

class PodLifecycle : public KubeletTest {
 protected:
  // A cgroup file of the pod (or of one of its containers, by id) in `v1_controller`'s
  // hierarchy (v1), or in the unified tree (v2).
  std::string PodCgroupFile(const std::string& qos_dir, const std::string& pod_uid,
                            const std::string& container_id, const std::string& v1_controller,
                            const std::string& file) {
    std::string rel = CgroupRoot() + "/kubepods" + (qos_dir.empty() ? "" : "/" + qos_dir) + "/pod" +
                      pod_uid + (container_id.empty() ? "" : "/" + container_id);
    std::string base = CgroupV2Unified() ? "/sys/fs/cgroup" : "/sys/fs/cgroup/" + v1_controller;
    return ReadText(base + rel + "/" + file);
  }

  std::string PodUid(const std::string& pod) {
    auto sandboxes = Sandboxes(pod);
    return sandboxes.empty() ? "" : sandboxes[0].metadata().uid();
  }
};

TEST_F(PodLifecycle, RequestsAndLimitsBecomeCgroupValues) {
  WriteManifest("res.yaml", PodYaml("res", R"(
  terminationGracePeriodSeconds: 1
  containers:
  - name: guaranteed
    image: IMAGE
    command: ["sleep", "3600"]
    resources:
      requests: {cpu: 250m, memory: 64Mi}
      limits: {cpu: 250m, memory: 64Mi}
)",
                                    Image()));
  WriteManifest("burst.yaml", PodYaml("burst", R"(
  terminationGracePeriodSeconds: 1
  containers:
  - name: small
    image: IMAGE
    command: ["sleep", "3600"]
    resources:
      requests: {cpu: 100m, memory: 16Mi}
      limits: {cpu: 500m, memory: 48Mi}
)",
                                      Image()));
  std::string res = PodName("res"), burst = PodName("burst");
  ASSERT_TRUE(
      Eventually([&] { return Running(res).size() == 1 && Running(burst).size() == 1; }, 60));
  std::string g_uid = PodUid(res), b_uid = PodUid(burst);
  std::string g_id = Running(res)[0].id(), b_id = Running(burst)[0].id();
  if (CgroupV2Unified()) {
    // Pod level: Guaranteed pods sit right under kubepods with their limits.
    EXPECT_EQ(PodCgroupFile("", g_uid, "", "", "memory.max"), "67108864");
    EXPECT_EQ(PodCgroupFile("", g_uid, "", "", "cpu.max"), "25000 100000");
    EXPECT_EQ(PodCgroupFile("", g_uid, g_id, "", "memory.max"), "67108864");
    EXPECT_EQ(PodCgroupFile("burstable", b_uid, b_id, "", "memory.max"), "50331648");
    EXPECT_EQ(PodCgroupFile("burstable", b_uid, b_id, "", "cpu.max"), "50000 100000");
    return;
  }
  // kubepods holds node allocatable: all CPUs as shares.
  EXPECT_EQ(ReadText("/sys/fs/cgroup/cpu" + CgroupRoot() + "/kubepods/cpu.shares"),
            std::to_string(std::max(1u, std::thread::hardware_concurrency()) * 1024));
  // The Burstable parent weighs what its pods request (set at housekeeping).
  EXPECT_TRUE(Eventually(
      [&] {
        return ReadText("/sys/fs/cgroup/cpu" + CgroupRoot() + "/kubepods/burstable/cpu.shares") ==
               "102";
      },
      10));
  // Pod level (v1): shares from requests, quota and memory from limits.
  EXPECT_EQ(PodCgroupFile("", g_uid, "", "memory", "memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(PodCgroupFile("", g_uid, "", "cpu", "cpu.shares"), "256");
  EXPECT_EQ(PodCgroupFile("", g_uid, "", "cpu", "cpu.cfs_quota_us"), "25000");
  EXPECT_EQ(PodCgroupFile("burstable", b_uid, "", "memory", "memory.limit_in_bytes"), "50331648");
  EXPECT_EQ(PodCgroupFile("burstable", b_uid, "", "cpu", "cpu.shares"), "102");
  // Container level, as the runtime set them from the CRI resources.
  EXPECT_EQ(PodCgroupFile("", g_uid, g_id, "memory", "memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(PodCgroupFile("", g_uid, g_id, "cpu", "cpu.shares"), "256");
  EXPECT_EQ(PodCgroupFile("", g_uid, g_id, "cpu", "cpu.cfs_quota_us"), "25000");
  EXPECT_EQ(PodCgroupFile("", g_uid, g_id, "cpu", "cpu.cfs_period_us"), "100000");
  EXPECT_EQ(PodCgroupFile("burstable", b_uid, b_id, "memory", "memory.limit_in_bytes"), "50331648");
  EXPECT_EQ(PodCgroupFile("burstable", b_uid, b_id, "cpu", "cpu.shares"), "102");
  EXPECT_EQ(PodCgroupFile("burstable", b_uid, b_id, "cpu", "cpu.cfs_quota_us"), "50000");
  // The container's process is in that cgroup.
  std::string procs = PodCgroupFile("burstable", b_uid, b_id, "memory", "cgroup.procs");
  EXPECT_FALSE(procs.empty());
}

TEST_F(PodLifecycle, EmptyDirIsSharedByTheContainersOfThePod) {
  WriteManifest("share.yaml", PodYaml("share", R"(
  terminationGracePeriodSeconds: 1
  volumes:
  - name: cache
    emptyDir: {}
  - name: mem
    emptyDir: {medium: Memory, sizeLimit: 8Mi}
  containers:
  - name: writer
    image: IMAGE
    command: ["sh", "-c", "echo on-disk > /cache/x; echo in-memory > /mem/y; exec sleep 3600"]
    volumeMounts: [{name: cache, mountPath: /cache}, {name: mem, mountPath: /mem}]
  - name: reader
    image: IMAGE
    command: ["sh", "-c", "until [ -f /cache/x ] && [ -f /mem/y ]; do sleep 0.1; done; cat /cache/x /mem/y; exec sleep 3600"]
    volumeMounts: [{name: cache, mountPath: /cache}, {name: mem, mountPath: /mem}]
)",
                                      Image()));
  std::string pod = PodName("share");
  ASSERT_TRUE(Eventually([&] { return Running(pod).size() == 2; }, 60));
  auto reader = Latest(pod, "reader");
  ASSERT_TRUE(reader);
  std::string log_path = Status(reader->id()).log_path();
  EXPECT_TRUE(Eventually(
      [&] {
        std::string log = ReadText(log_path);
        return log.find("on-disk") != std::string::npos &&
               log.find("in-memory") != std::string::npos;
      },
      10))
      << ReadText(log_path);
  // The Memory medium is a tmpfs of the size limit, the same one in both containers.
  std::string mounts = Exec(reader->id(), {"grep", " /mem ", "/proc/mounts"});
  EXPECT_NE(mounts.find("tmpfs"), std::string::npos) << mounts;
  EXPECT_NE(mounts.find("size=8192k"), std::string::npos) << mounts;
  auto writer = Latest(pod, "writer");
  ASSERT_TRUE(writer);
  Exec(writer->id(), {"sh", "-c", "echo later > /cache/z"});
  EXPECT_EQ(Exec(reader->id(), {"cat", "/cache/z"}), "later\n");

  // Removing the pod removes its volumes (the tmpfs is unmounted).
  std::string uid = Sandboxes(pod)[0].metadata().uid();
  RemoveManifest("share.yaml");
  ASSERT_TRUE(Eventually([&] { return Sandboxes(pod).empty(); }, 30));
  EXPECT_TRUE(
      Eventually([&] { return !std::filesystem::exists(dir_ + "/kubelet/pods/" + uid); }, 10));
}

TEST_F(PodLifecycle, CrashingContainerBacksOffExponentially) {
  WriteManifest("crash.yaml", PodYaml("crash", R"(
  terminationGracePeriodSeconds: 1
  containers:
  - name: crasher
    image: IMAGE
    command: ["sh", "-c", "echo crashing; exit 3"]
)",
                                      Image()));
  std::string pod = PodName("crash");
  // Attempt 0 dies at once, attempt 1 follows at once, attempt 2 only after 10 s of back-off.
  ASSERT_TRUE(Eventually(
      [&] {
        auto c = Latest(pod, "crasher");
        return c && c->metadata().attempt() >= 1;
      },
      60));
  ASSERT_TRUE(Eventually(
      [&] {
        json cs = ContainerStatusOf(PodStatus(pod), "crasher");
        return cs.is_object() && cs["state"].contains("waiting") &&
               cs["state"]["waiting"].value("reason", "") == "CrashLoopBackOff";
      },
      20));
  json cs = ContainerStatusOf(PodStatus(pod), "crasher");
  EXPECT_GE(cs.value("restartCount", 0), 1) << cs.dump();
  EXPECT_EQ(cs["lastState"]["terminated"].value("exitCode", 0), 3) << cs.dump();
  EXPECT_EQ(cs["lastState"]["terminated"].value("reason", ""), "Error") << cs.dump();

  // Start times by attempt, read while each instance exists (the container GC keeps only
  // the newest dead one).
  std::map<uint32_t, int64_t> started;
  ASSERT_TRUE(Eventually(
      [&] {
        for (const auto& c : Containers(pod)) {
          int64_t at = Status(c.id()).started_at();
          if (at > 0) {
            started.emplace(c.metadata().attempt(), at);
          }
        }
        return started.count(1) && started.count(2);
      },
      40));
  double gap = static_cast<double>(started[2] - started[1]) / 1e9;
  EXPECT_GE(gap, 9.0) << "the second restart waits out a 10 s back-off";
  EXPECT_LT(gap, 20.0);
  EXPECT_EQ(PodStatus(pod).value("phase", ""), "Running");
}

TEST_F(PodLifecycle, FailingLivenessProbeRestartsTheContainer) {
  WriteManifest("live.yaml", PodYaml("live", R"(
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: IMAGE
    command: ["sh", "-c", "touch /tmp/healthy; sleep 3; rm /tmp/healthy; exec sleep 3600"]
    livenessProbe:
      exec: {command: ["cat", "/tmp/healthy"]}
      periodSeconds: 1
      failureThreshold: 2
)",
                                     Image()));
  std::string pod = PodName("live");
  ASSERT_TRUE(Eventually([&] { return Running(pod).size() == 1; }, 60));
  ASSERT_TRUE(Eventually(
      [&] {
        auto c = Latest(pod, "app");
        return c && c->metadata().attempt() >= 1 && c->state() == v1::CONTAINER_RUNNING;
      },
      30));
  json cs;
  ASSERT_TRUE(Eventually(
      [&] {
        cs = ContainerStatusOf(PodStatus(pod), "app");
        return cs.is_object() && cs.value("restartCount", 0) >= 1;
      },
      10));
  EXPECT_TRUE(cs["lastState"].contains("terminated")) << cs.dump();
  EXPECT_NE(KubeletLog().find("failed liveness probe"), std::string::npos);
}

TEST_F(PodLifecycle, ReadinessProbeFlipsReady) {
  WriteManifest("ready.yaml", PodYaml("ready", R"(
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: IMAGE
    command: ["sleep", "3600"]
    readinessProbe:
      exec: {command: ["cat", "/tmp/ready"]}
      periodSeconds: 1
)",
                                      Image()));
  std::string pod = PodName("ready");
  ASSERT_TRUE(Eventually([&] { return Running(pod).size() == 1; }, 60));
  std::string id = Running(pod)[0].id();
  ASSERT_TRUE(Eventually([&] { return PodStatus(pod).is_object(); }, 10));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  json status = PodStatus(pod);
  EXPECT_EQ(Condition(status, "Ready"), "False") << status.dump();
  EXPECT_EQ(Condition(status, "ContainersReady"), "False");
  EXPECT_EQ(status.value("phase", ""), "Running");

  Exec(id, {"touch", "/tmp/ready"});
  EXPECT_TRUE(Eventually([&] { return Condition(PodStatus(pod), "Ready") == "True"; }, 10));
  EXPECT_EQ(ContainerStatusOf(PodStatus(pod), "app").value("ready", false), true);

  Exec(id, {"rm", "/tmp/ready"});
  EXPECT_TRUE(Eventually([&] { return Condition(PodStatus(pod), "Ready") == "False"; }, 10));
  // Readiness never restarts anything.
  EXPECT_EQ(Containers(pod).size(), 1u);
}

TEST_F(PodLifecycle, HttpGetAndTcpSocketProbesReachThePodOverItsNetwork) {
  // busybox httpd in the pod's own network namespace: the kubelet probes the pod's address
  // on the test's bridge, as it probes any pod.
  WriteManifest("web.yaml", PodYaml("web", R"(
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: IMAGE
    command: ["sh", "-c", "mkdir -p /www && exec httpd -f -p 8080 -h /www"]
    readinessProbe:
      httpGet: {path: /ready, port: 8080}
      periodSeconds: 1
    livenessProbe:
      tcpSocket: {port: 8080}
      periodSeconds: 1
      failureThreshold: 2
)",
                                    Image()));
  std::string pod = PodName("web");
  ASSERT_TRUE(Eventually([&] { return Running(pod).size() == 1; }, 60));
  std::string id = Running(pod)[0].id();
  // 404 until the file exists: not ready, but alive (the port answers).
  std::this_thread::sleep_for(std::chrono::seconds(3));
  json status = PodStatus(pod);
  EXPECT_EQ(Condition(status, "Ready"), "False") << status.dump();
  EXPECT_EQ(status.value("podIP", "").rfind(subnet_prefix_ + ".", 0), 0u) << status.dump();
  Exec(id, {"sh", "-c", "echo ok > /www/ready"});
  EXPECT_TRUE(Eventually([&] { return Condition(PodStatus(pod), "Ready") == "True"; }, 10));
  EXPECT_EQ(Containers(pod).size(), 1u) << "the tcpSocket liveness probe kept passing";
  EXPECT_EQ(ContainerStatusOf(PodStatus(pod), "httpd").value("restartCount", -1), 0);
}

TEST_F(PodLifecycle, RemovingTheManifestRunsPreStopAndStopsWithinTheGracePeriod) {
  WriteManifest("stop.yaml", PodYaml("stop", R"(
  terminationGracePeriodSeconds: 3
  volumes:
  - name: host
    hostPath: {path: HOSTDIR}
  containers:
  - name: app
    image: IMAGE
    command: ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"]
    volumeMounts: [{name: host, mountPath: /host}]
    lifecycle:
      preStop:
        exec: {command: ["sh", "-c", "echo ran > /host/prestop"]}
)",
                                     Image(), HostDir()));
  std::string pod = PodName("stop");
  ASSERT_TRUE(Eventually([&] { return Running(pod).size() == 1; }, 60));
  std::string id = Running(pod)[0].id();

  auto t0 = steady_clock::now();
  RemoveManifest("stop.yaml");
  ASSERT_TRUE(Eventually([&] { return Running(pod).empty(); }, 30));
  double took = std::chrono::duration<double>(steady_clock::now() - t0).count();
  EXPECT_EQ(ReadText(HostDir() + "/prestop"), "ran");
  // It ignores SIGTERM, so it is killed when the grace period (which includes preStop) ends.
  EXPECT_GE(took, 2.0);
  EXPECT_LT(took, 3.0 + 4.0) << "grace period plus the kubelet's reaction time";
  EXPECT_TRUE(Eventually([&] { return Sandboxes(pod).empty(); }, 20));
}

TEST_F(PodLifecycle, BadManifestIsSkippedAndLeavesTheOtherPodsRunning) {
  WriteManifest("good.yaml", PodYaml("good", R"(
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: IMAGE
    command: ["sleep", "3600"]
)",
                                     Image()));
  std::string good = PodName("good");
  ASSERT_TRUE(Eventually([&] { return Running(good).size() == 1; }, 60));
  std::string id = Running(good)[0].id();

  WriteManifest("broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: [unclosed\n");
  WriteManifest("nocontainers.json",
                R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"empty"},"spec":{}})");
  WriteManifest("later.yaml", PodYaml("later", R"(
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: IMAGE
    command: ["sleep", "3600"]
)",
                                      Image()));
  ASSERT_TRUE(Eventually([&] { return Running(PodName("later")).size() == 1; }, 60));
  EXPECT_TRUE(Eventually(
      [&] {
        std::string log = KubeletLog();
        return log.find("broken.yaml") != std::string::npos &&
               log.find("nocontainers.json") != std::string::npos;
      },
      10))
      << "each bad file is reported by name";
  auto running = Running(good);
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].id(), id) << "the good pod was not restarted";
  EXPECT_TRUE(Sandboxes(PodName("empty")).empty());
}

TEST_F(PodLifecycle, KilledKubeletAdoptsRunningPodsWithoutRestartingThem) {
  WriteManifest("keep.yaml", PodYaml("keep", R"(
  terminationGracePeriodSeconds: 1
  containers:
  - name: a
    image: IMAGE
    command: ["sleep", "3600"]
  - name: b
    image: IMAGE
    command: ["sleep", "3600"]
    readinessProbe:
      exec: {command: ["true"]}
      periodSeconds: 1
)",
                                     Image()));
  std::string pod = PodName("keep");
  ASSERT_TRUE(Eventually([&] { return Running(pod).size() == 2; }, 60));
  ASSERT_TRUE(Eventually([&] { return Condition(PodStatus(pod), "Ready") == "True"; }, 20));
  std::set<std::string> before;
  for (const auto& c : Containers(pod)) {
    before.insert(c.id());
  }
  std::string sandbox = Sandboxes(pod)[0].id();

  KillKubelet9();
  ASSERT_TRUE(StartKubelet()) << KubeletLog();
  // A few relists, syncs and probe rounds later, nothing has been restarted or replaced.
  ASSERT_TRUE(Eventually([&] { return Condition(PodStatus(pod), "Ready") == "True"; }, 20));
  std::this_thread::sleep_for(std::chrono::seconds(4));
  std::set<std::string> after;
  for (const auto& c : Containers(pod)) {
    after.insert(c.id());
    EXPECT_EQ(c.state(), v1::CONTAINER_RUNNING);
    EXPECT_EQ(c.metadata().attempt(), 0u);
  }
  EXPECT_EQ(after, before);
  auto sandboxes = Sandboxes(pod);
  ASSERT_EQ(sandboxes.size(), 1u);
  EXPECT_EQ(sandboxes[0].id(), sandbox);
  json status = PodStatus(pod);
  EXPECT_EQ(status.value("phase", ""), "Running");
  EXPECT_EQ(ContainerStatusOf(status, "a").value("restartCount", -1), 0);
}

TEST_F(PodLifecycle, SigtermStopsTheKubeletAndLeavesThePodsRunning) {
  WriteManifest("stay.yaml", PodYaml("stay", R"(
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: IMAGE
    command: ["sleep", "3600"]
)",
                                     Image()));
  std::string pod = PodName("stay");
  ASSERT_TRUE(Eventually([&] { return Running(pod).size() == 1; }, 60));
  std::string id = Running(pod)[0].id();

  ASSERT_EQ(::kill(kubelet_pid_, SIGTERM), 0);
  EXPECT_EQ(NextNotify("STOPPING=1", 10), "STOPPING=1");
  int status = 0;
  ASSERT_TRUE(
      Eventually([&] { return ::waitpid(kubelet_pid_, &status, WNOHANG) == kubelet_pid_; }, 20));
  kubelet_pid_ = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  auto running = Running(pod);
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].id(), id);
}

}  // namespace
}  // namespace capstan::integration::kubelet
