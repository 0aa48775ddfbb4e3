// computePodActions: what to start and kill, case by case.
#include "kubelet/kuberuntime/pod_actions.h"

#include <gtest/gtest.h>

#include "kubelet/kuberuntime/labels.h"
#include "tests/kubelet/test_pods.h"

namespace capstan::kubelet::kuberuntime {
namespace {

using container::ContainerState;

class PodActionsTest : public ::testing::Test {
 protected:
  api::k8s::Pod Pod(const std::string& restart_policy, int inits = 0, int apps = 2) {
    std::string yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  restartPolicy: " +
                       restart_policy + "\n";
    if (inits) {
      yaml += "  initContainers:\n";
      for (int i = 0; i < inits; ++i) {
        yaml += "  - {name: init" + std::to_string(i) + ", image: busybox}\n";
      }
    }
    yaml += "  containers:\n";
    for (int i = 0; i < apps; ++i) {
      yaml += "  - {name: app" + std::to_string(i) + ", image: busybox}\n";
    }
    return testing::PodFromYaml(yaml);
  }
  // A ready sandbox, as after a successful RunPodSandbox.
  void Sandbox(bool ready = true, uint32_t attempt = 0) {
    container::SandboxStatus s;
    s.id = "sb" + std::to_string(next_++);
    s.ready = ready;
    s.attempt = attempt;
    s.created_at = WallTime(std::chrono::seconds(next_));
    status_.sandboxes.insert(status_.sandboxes.begin(), s);
  }
  // Adds a run of `name` (newest first, as the runtime reader sorts).
  void Run(const api::k8s::Pod& pod, const std::string& name, ContainerState state,
           int exit_code = 0) {
    container::ContainerStatus c;
    c.id = name + "-" + std::to_string(next_++);
    c.name = name;
    c.state = state;
    c.exit_code = exit_code;
    for (const auto* list : {&pod.spec.containers, &pod.spec.init_containers}) {
      for (const auto& spec : *list) {
        if (spec.name == name) {
          c.hash = HashContainer(spec);
        }
      }
    }
    status_.containers.insert(status_.containers.begin(), c);
  }
  PodActions Compute(const api::k8s::Pod& pod, ProbeVerdicts probes = {}) {
    return ComputePodActions(pod, status_, probes, HashContainer);
  }

  container::PodStatus status_;
  int next_ = 1;
};

TEST_F(PodActionsTest, NewPodGetsASandboxAndAllContainers) {
  auto pod = Pod("Always");
  auto a = Compute(pod);
  EXPECT_TRUE(a.create_sandbox);
  EXPECT_TRUE(a.kill_pod);
  EXPECT_EQ(a.attempt, 0u);
  EXPECT_EQ(a.containers_to_start, (std::vector<size_t>{0, 1}));
  EXPECT_FALSE(a.next_init_container);
}

TEST_F(PodActionsTest, RunningPodIsLeftAlone) {
  auto pod = Pod("Always");
  Sandbox();
  Run(pod, "app0", ContainerState::kRunning);
  Run(pod, "app1", ContainerState::kRunning);
  auto a = Compute(pod);
  EXPECT_FALSE(a.create_sandbox);
  EXPECT_FALSE(a.kill_pod);
  EXPECT_TRUE(a.containers_to_start.empty());
  EXPECT_TRUE(a.containers_to_kill.empty());
  EXPECT_EQ(a.sandbox_id, "sb1");
}

TEST_F(PodActionsTest, DeadSandboxIsReplacedWithTheNextAttempt) {
  auto pod = Pod("Always");
  Sandbox(/*ready=*/false, /*attempt=*/3);
  Run(pod, "app0", ContainerState::kExited);
  auto a = Compute(pod);
  EXPECT_TRUE(a.create_sandbox);
  EXPECT_TRUE(a.kill_pod);
  EXPECT_EQ(a.attempt, 4u);
  EXPECT_EQ(a.containers_to_start.size(), 2u);
}

TEST_F(PodActionsTest, RestartPoliciesDecideWhatRestarts) {
  for (const char* policy : {"Always", "OnFailure", "Never"}) {
    status_ = {};
    auto pod = Pod(policy);
    Sandbox();
    Run(pod, "app0", ContainerState::kExited, 0);
    Run(pod, "app1", ContainerState::kExited, 1);
    auto a = Compute(pod);
    std::vector<size_t> want;
    if (std::string(policy) == "Always") want = {0, 1};
    if (std::string(policy) == "OnFailure") want = {1};
    EXPECT_EQ(a.containers_to_start, want) << policy;
    // Nothing left running and nothing to start: the pod is done and its sandbox goes.
    EXPECT_EQ(a.kill_pod, want.empty()) << policy;
  }
}

TEST_F(PodActionsTest, FinishedNeverPodGetsNoNewSandbox) {
  auto pod = Pod("Never");
  Sandbox(/*ready=*/false);
  Run(pod, "app0", ContainerState::kExited, 0);
  Run(pod, "app1", ContainerState::kExited, 1);
  auto a = Compute(pod);
  EXPECT_FALSE(a.create_sandbox);
  EXPECT_TRUE(a.containers_to_start.empty());
}

TEST_F(PodActionsTest, SucceededOnFailurePodGetsNoNewSandbox) {
  auto pod = Pod("OnFailure");
  Sandbox(/*ready=*/false);
  Run(pod, "app0", ContainerState::kExited, 0);
  Run(pod, "app1", ContainerState::kExited, 0);
  auto a = Compute(pod);
  EXPECT_FALSE(a.create_sandbox);
}

TEST_F(PodActionsTest, InitContainersRunOneAtATimeToSuccess) {
  auto pod = Pod("Always", /*inits=*/2);
  auto a = Compute(pod);
  EXPECT_TRUE(a.create_sandbox);
  EXPECT_EQ(a.next_init_container, 0u);
  EXPECT_TRUE(a.containers_to_start.empty());

  Sandbox();
  Run(pod, "init0", ContainerState::kRunning);
  a = Compute(pod);
  EXPECT_FALSE(a.next_init_container);  // wait for it
  EXPECT_TRUE(a.containers_to_start.empty());
  EXPECT_FALSE(a.kill_pod);

  status_.containers.clear();
  Run(pod, "init0", ContainerState::kExited, 0);
  a = Compute(pod);
  EXPECT_EQ(a.next_init_container, 1u);

  Run(pod, "init1", ContainerState::kExited, 0);
  a = Compute(pod);
  EXPECT_FALSE(a.next_init_container);
  EXPECT_EQ(a.containers_to_start, (std::vector<size_t>{0, 1}));
}

TEST_F(PodActionsTest, FailedInitContainerRetriesOrFailsThePod) {
  auto pod = Pod("Always", 2);
  Sandbox();
  Run(pod, "init0", ContainerState::kExited, 0);
  Run(pod, "init1", ContainerState::kExited, 1);
  auto a = Compute(pod);
  EXPECT_EQ(a.next_init_container, 1u);
  EXPECT_FALSE(a.kill_pod);

  auto never = Pod("Never", 2);
  a = Compute(never);
  EXPECT_FALSE(a.next_init_container);
  EXPECT_TRUE(a.kill_pod);
}

TEST_F(PodActionsTest, RunningAppContainerMeansInitializationIsDone) {
  auto pod = Pod("Always", 1, 1);
  Sandbox();
  Run(pod, "app0", ContainerState::kRunning);  // init containers were removed since
  auto a = Compute(pod);
  EXPECT_FALSE(a.next_init_container);
  EXPECT_TRUE(a.containers_to_start.empty());
  EXPECT_FALSE(a.kill_pod);
}

TEST_F(PodActionsTest, ChangedSpecAndFailedProbesKillTheContainer) {
  auto pod = Pod("Never");
  Sandbox();
  Run(pod, "app0", ContainerState::kRunning);
  Run(pod, "app1", ContainerState::kRunning);
  status_.containers[1].hash = "stale";  // app0 was created from an older spec
  ProbeVerdicts probes;
  std::string app1 = status_.containers[0].id;
  probes.liveness_failed = [&](const std::string& id) { return id == app1; };
  auto a = Compute(pod, probes);
  ASSERT_EQ(a.containers_to_kill.size(), 2u);
  EXPECT_EQ(a.containers_to_kill[0].name, "app0");
  EXPECT_NE(a.containers_to_kill[0].message.find("definition changed"), std::string::npos);
  EXPECT_EQ(a.containers_to_kill[1].reason, "LivenessProbe");
  // A new spec runs regardless of the policy; a liveness failure follows it (Never).
  EXPECT_EQ(a.containers_to_start, std::vector<size_t>{0});
}

TEST_F(PodActionsTest, UnknownContainersAreKilledBeforeTheRestart) {
  auto pod = Pod("Always", 0, 1);
  Sandbox();
  Run(pod, "app0", ContainerState::kUnknown);
  auto a = Compute(pod);
  EXPECT_EQ(a.containers_to_start, std::vector<size_t>{0});
  ASSERT_EQ(a.containers_to_kill.size(), 1u);
  EXPECT_EQ(a.containers_to_kill[0].reason, "Unknown");
}

TEST_F(PodActionsTest, PodNetworkSandboxThatLostItsAddressIsReplaced) {
  auto pod = Pod("Always", 0, 1);
  Sandbox();
  status_.sandboxes[0].has_network_status = true;
  Run(pod, "app0", ContainerState::kRunning);
  EXPECT_TRUE(Compute(pod).create_sandbox);
  status_.sandboxes[0].ip = "10.88.0.2";
  EXPECT_FALSE(Compute(pod).create_sandbox);
  pod.spec.host_network = true;  // the pod moved to the host network
  EXPECT_TRUE(Compute(pod).create_sandbox);
}

}  // namespace
}  // namespace capstan::kubelet::kuberuntime
