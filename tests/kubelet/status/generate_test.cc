// API status from runtime state, as the upstream kubelet computes it.
#include "kubelet/status/generate.h"

#include <gtest/gtest.h>

#include "kubelet/status/display.h"
#include "kubelet/status/status_manager.h"
#include "kubelet/testing/fake_clock.h"
#include "tests/kubelet/test_pods.h"

namespace capstan::kubelet::status {
namespace {

using container::ContainerState;
namespace k8s = api::k8s;

class StatusTest : public ::testing::Test {
 protected:
  void Run(const std::string& name, ContainerState state, int exit_code = 0, int restarts = 0,
           std::string reason = "") {
    container::ContainerStatus c;
    c.id = name + std::to_string(next_++);
    c.type = "fake";
    c.name = name;
    c.state = state;
    c.exit_code = exit_code;
    c.restart_count = restarts;
    c.reason = std::move(reason);
    c.image = "busybox";
    c.image_ref = "sha256:1";
    c.started_at = WallTime(std::chrono::seconds(100 + next_));
    c.finished_at = WallTime(std::chrono::seconds(200 + next_));
    rt_.containers.insert(rt_.containers.begin(), c);
  }
  k8s::PodStatus Generate(const k8s::Pod& pod, const k8s::PodStatus* previous = nullptr) {
    GenerateInputs in;
    in.pod = &pod;
    in.runtime = &rt_;
    in.previous = previous;
    in.reasons = &reasons_;
    in.host_ip = "192.168.1.10";
    return GeneratePodStatus(in);
  }
  static const k8s::PodCondition& Cond(const k8s::PodStatus& s, const std::string& type) {
    for (const auto& c : s.conditions) {
      if (c.type == type) return c;
    }
    static k8s::PodCondition none;
    return none;
  }
  void FailStart(const std::string& uid, const std::string& name, const char* reason) {
    kuberuntime::PodSyncResult r;
    r.Fail(kuberuntime::SyncAction::kStartContainer, name, {reason, "because"});
    reasons_.Update(uid, r);
  }

  container::PodStatus rt_;
  ReasonCache reasons_;
  int next_ = 1;
};

constexpr const char* kTwoApps = R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: p, uid: u1}
spec:
  containers:
  - {name: web, image: busybox}
  - {name: db, image: busybox, resources: {requests: {memory: 1Gi}}}
)yaml";

TEST_F(StatusTest, NewPodIsPendingWithContainersCreating) {
  auto pod = testing::PodFromYaml(kTwoApps);
  auto s = Generate(pod);
  EXPECT_EQ(s.phase, "Pending");
  ASSERT_EQ(s.container_statuses.size(), 2u);
  EXPECT_EQ(s.container_statuses[0].name, "db");  // sorted by name
  EXPECT_EQ(s.container_statuses[0].state.waiting->reason, "ContainerCreating");
  EXPECT_EQ(Cond(s, "Ready").status, "False");
  EXPECT_EQ(Cond(s, "Ready").reason, "ContainersNotReady");
  EXPECT_EQ(Cond(s, "ContainersReady").message, "containers with unready status: [web db]");
  EXPECT_EQ(Cond(s, "Initialized").status, "True");
  EXPECT_EQ(Cond(s, "PodScheduled").status, "True");
  EXPECT_EQ(s.qos_class, "Burstable");
  EXPECT_EQ(s.host_ip, "192.168.1.10");
  EXPECT_EQ(PodDisplayStatus(pod, s), "ContainerCreating");
}

TEST_F(StatusTest, RunningPodIsReady) {
  auto pod = testing::PodFromYaml(kTwoApps);
  rt_.ips = {"10.88.0.7"};
  Run("web", ContainerState::kRunning);
  Run("db", ContainerState::kRunning);
  auto s = Generate(pod);
  EXPECT_EQ(s.phase, "Running");
  EXPECT_EQ(Cond(s, "Ready").status, "True");
  EXPECT_EQ(Cond(s, "ContainersReady").status, "True");
  EXPECT_EQ(s.pod_ip, "10.88.0.7");
  EXPECT_TRUE(s.container_statuses[0].started.value_or(false));
  EXPECT_EQ(s.container_statuses[1].container_id, "fake://web1");
  EXPECT_EQ(s.container_statuses[1].image_id, "sha256:1");
  EXPECT_EQ(PodDisplayStatus(pod, s), "Running");
}

TEST_F(StatusTest, CrashLoopShowsWaitingReasonLastStateAndRestarts) {
  auto pod = testing::PodFromYaml(kTwoApps);
  Run("db", ContainerState::kRunning);
  Run("web", ContainerState::kExited, 1, 0, "Error");
  Run("web", ContainerState::kExited, 2, 1, "Error");  // newest
  FailStart("u1", "web", "CrashLoopBackOff");
  auto s = Generate(pod);
  const auto& web = s.container_statuses[1];
  EXPECT_EQ(web.name, "web");
  ASSERT_TRUE(web.state.waiting);
  EXPECT_EQ(web.state.waiting->reason, "CrashLoopBackOff");
  EXPECT_EQ(web.state.waiting->message, "because");
  ASSERT_TRUE(web.last_state.terminated);
  EXPECT_EQ(web.last_state.terminated->exit_code, 2);
  EXPECT_EQ(web.restart_count, 1);
  EXPECT_EQ(s.phase, "Running");
  EXPECT_EQ(PodDisplayStatus(pod, s), "CrashLoopBackOff");
}

TEST_F(StatusTest, TerminalPhasesFollowTheRestartPolicy) {
  for (const char* policy : {"Never", "OnFailure", "Always"}) {
    rt_ = {};
    auto pod = testing::PodFromYaml(kTwoApps);
    pod.spec.restart_policy = policy;
    Run("web", ContainerState::kExited, 0, 0, "Completed");
    Run("db", ContainerState::kExited, 0, 0, "Completed");
    EXPECT_EQ(Generate(pod).phase, std::string(policy) == "Always" ? "Running" : "Succeeded");
    rt_.containers[0].exit_code = 1;
    std::string want = std::string(policy) == "Never" ? "Failed" : "Running";
    EXPECT_EQ(Generate(pod).phase, want) << policy;
  }
  rt_ = {};
  auto pod = testing::PodFromYaml(kTwoApps);
  pod.spec.restart_policy = "Never";
  Run("web", ContainerState::kExited, 0, 0, "Completed");
  Run("db", ContainerState::kExited, 0, 0, "Completed");
  auto s = Generate(pod);
  EXPECT_EQ(Cond(s, "Ready").reason, "PodCompleted");
  EXPECT_EQ(PodDisplayStatus(pod, s), "Completed");
  // A terminal phase sticks even when the containers disappear.
  rt_ = {};
  EXPECT_EQ(Generate(pod, &s).phase, "Succeeded");
}

constexpr const char* kInit = R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: p, uid: u2}
spec:
  initContainers:
  - {name: one, image: busybox}
  - {name: two, image: busybox}
  containers:
  - {name: app, image: busybox}
)yaml";

TEST_F(StatusTest, InitContainersProgressAndShowAsInitNOfM) {
  auto pod = testing::PodFromYaml(kInit);
  auto s = Generate(pod);
  EXPECT_EQ(s.phase, "Pending");
  EXPECT_EQ(s.container_statuses[0].state.waiting->reason, "PodInitializing");
  EXPECT_EQ(Cond(s, "Initialized").status, "False");
  EXPECT_EQ(Cond(s, "Initialized").reason, "ContainersNotInitialized");
  EXPECT_EQ(Cond(s, "Initialized").message, "containers with incomplete status: [one two]");
  EXPECT_EQ(PodDisplayStatus(pod, s), "Init:0/2");

  Run("one", ContainerState::kExited, 0, 0, "Completed");
  Run("two", ContainerState::kRunning);
  s = Generate(pod);
  ASSERT_EQ(s.init_container_statuses.size(), 2u);
  EXPECT_EQ(s.init_container_statuses[0].name, "one");  // spec order
  EXPECT_TRUE(s.init_container_statuses[0].ready);
  EXPECT_EQ(PodDisplayStatus(pod, s), "Init:1/2");

  rt_.containers[0].state = ContainerState::kExited;
  rt_.containers[0].exit_code = 3;
  rt_.containers[0].reason = "Error";
  FailStart("u2", "two", "CrashLoopBackOff");
  s = Generate(pod);
  EXPECT_EQ(PodDisplayStatus(pod, s), "Init:CrashLoopBackOff");
  EXPECT_EQ(s.phase, "Pending");
  pod.spec.restart_policy = "Never";
  EXPECT_EQ(Generate(pod).phase, "Failed");

  pod.spec.restart_policy = "Always";
  rt_.containers[0].exit_code = 0;
  rt_.containers[0].reason = "Completed";
  reasons_.RemovePod("u2");
  Run("app", ContainerState::kRunning);
  s = Generate(pod);
  EXPECT_EQ(s.phase, "Running");
  EXPECT_EQ(Cond(s, "Initialized").status, "True");
  EXPECT_EQ(PodDisplayStatus(pod, s), "Running");
}

TEST_F(StatusTest, VanishedRunningContainerCountsAsTerminated) {
  auto pod = testing::PodFromYaml(kTwoApps);
  Run("web", ContainerState::kRunning);
  Run("db", ContainerState::kRunning);
  auto before = Generate(pod);
  rt_.containers.erase(rt_.containers.begin());  // db is gone from the runtime
  auto s = Generate(pod, &before);
  const auto& db = s.container_statuses[0];
  ASSERT_TRUE(db.last_state.terminated);
  EXPECT_EQ(db.last_state.terminated->reason, "ContainerStatusUnknown");
  EXPECT_EQ(db.restart_count, 1);
}

TEST_F(StatusTest, ManagerKeepsStartTimeAndTransitionTimes) {
  kubelet::testing::FakeClock clock;
  StatusManager m(&clock);
  auto pod = testing::PodFromYaml(kTwoApps);
  m.SetPodStatus(pod, Generate(pod));
  auto first = *m.GetPodStatus("u1");
  ASSERT_TRUE(first.start_time);
  clock.Advance(std::chrono::seconds(30));
  Run("web", ContainerState::kRunning);
  Run("db", ContainerState::kRunning);
  m.SetPodStatus(pod, Generate(pod));
  auto second = *m.GetPodStatus("u1");
  EXPECT_EQ(second.start_time, first.start_time);
  EXPECT_EQ(Cond(second, "PodScheduled").last_transition_time,
            Cond(first, "PodScheduled").last_transition_time);
  EXPECT_EQ(*Cond(second, "Ready").last_transition_time,
            *Cond(first, "Ready").last_transition_time + std::chrono::seconds(30));
  uint64_t gen = m.Generation("u1");
  m.SetPodStatus(pod, Generate(pod));  // unchanged: no new generation
  EXPECT_EQ(m.Generation("u1"), gen);
}

}  // namespace
}  // namespace capstan::kubelet::status
