// RuntimeManager against the fake CRI: SyncPod's calls, crash-loop back-off, image pull
// policies, hooks and graceful termination.
#include "kubelet/kuberuntime/runtime_manager.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "api/cri/testing/fake_image_service.h"
#include "api/cri/testing/fake_runtime_service.h"
#include "kubelet/kuberuntime/labels.h"
#include "kubelet/testing/fake_clock.h"
#include "tests/kubelet/test_pods.h"

namespace capstan::kubelet::kuberuntime {
namespace {

namespace v1 = api::cri::v1;
using container::ContainerState;

class RuntimeManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-kuberuntime-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    RuntimeManagerDeps deps;
    deps.runtime = &runtime_;
    deps.images = &images_;
    deps.clock = &clock_;
    deps.node.node_name = "node-1";
    deps.node.root_dir = dir_ + "/root";
    deps.node.pod_logs_dir = dir_ + "/logs";
    deps.sleep = [this](std::chrono::seconds s) { clock_.Advance(s); };
    manager_ = std::make_unique<RuntimeManager>(std::move(deps));
    ASSERT_TRUE(manager_->Init());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  container::PodStatus Status(const api::k8s::Pod& pod) {
    auto s = manager_->GetPodStatus(pod.metadata.uid, pod.metadata.name, pod.metadata.namespace_);
    EXPECT_TRUE(s) << s.error().message();
    return s ? *s : container::PodStatus{};
  }
  PodSyncResult Sync(const api::k8s::Pod& pod) {
    return manager_->SyncPod(pod, Status(pod), {}, {});
  }
  std::string Id(const std::string& name) {
    auto all = runtime_.ContainersNamed(name);
    return all.empty() ? "" : all.back().id;
  }

  std::string dir_;
  kubelet::testing::FakeClock clock_;
  api::cri::testing::FakeImageService images_;
  api::cri::testing::FakeRuntimeService runtime_{&clock_, &images_};
  std::unique_ptr<RuntimeManager> manager_;
};

constexpr const char* kWeb = R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default, uid: u-web}
spec:
  containers:
  - name: app
    image: busybox:1.36
    command: [sleep, "1000"]
)yaml";

TEST_F(RuntimeManagerTest, SyncStartsSandboxThenContainers) {
  auto pod = testing::PodFromYaml(kWeb);
  auto r = Sync(pod);
  ASSERT_TRUE(r.ToStatus()) << r.ToStatus().error().message();
  ASSERT_EQ(runtime_.Sandboxes().size(), 1u);
  auto sb = runtime_.Sandboxes()[0];
  EXPECT_EQ(sb.config.metadata().name(), "web");
  EXPECT_TRUE(std::filesystem::is_directory(sb.config.log_directory()));
  auto c = runtime_.FindContainer(Id("app"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->state, v1::CONTAINER_RUNNING);
  EXPECT_EQ(c->sandbox_id, sb.id);
  EXPECT_EQ(c->config.log_path(), "app/0.log");
  EXPECT_EQ(images_.Pulled(), std::vector<std::string>{"busybox:1.36"});  // IfNotPresent
  auto status = Status(pod);
  ASSERT_EQ(status.containers.size(), 1u);
  EXPECT_EQ(status.containers[0].state, ContainerState::kRunning);
  EXPECT_EQ(status.containers[0].type, "fake");
  EXPECT_EQ(status.ips.size(), 1u);

  // Nothing to do the second time.
  runtime_.recorder().ClearCalls();
  r = Sync(pod);
  EXPECT_TRUE(r.steps.empty());
  EXPECT_EQ(runtime_.recorder().CallCount("CreateContainer"), 0);
  EXPECT_EQ(images_.Pulled().size(), 1u);
}

TEST_F(RuntimeManagerTest, CrashLoopBacksOffTenSecondsDoublingToFiveMinutes) {
  auto pod = testing::PodFromYaml(kWeb);
  ASSERT_TRUE(Sync(pod).ToStatus());
  std::vector<int> delays;
  for (int round = 0; round < 8; ++round) {
    ASSERT_TRUE(runtime_.ExitContainer(Id("app"), 1));
    // Restart as soon as the back-off allows, probing each second.
    int waited = 0;
    while (true) {
      auto r = Sync(pod);
      if (r.ToStatus()) {
        break;
      }
      ASSERT_EQ(r.steps.back().reason, kCrashLoopBackOff);
      clock_.Advance(std::chrono::seconds(1));
      ++waited;
      ASSERT_LT(waited, 400);
    }
    delays.push_back(waited);
  }
  // The first restart is immediate; then 10 s, 20 s, 40 s, ... capped at 300 s.
  EXPECT_EQ(delays, (std::vector<int>{0, 10, 20, 40, 80, 160, 300, 300}));
  auto c = runtime_.FindContainer(Id("app"));
  EXPECT_EQ(c->config.metadata().attempt(), 8u);
  EXPECT_EQ(c->config.log_path(), "app/8.log");
}

TEST_F(RuntimeManagerTest, PullPoliciesAndPullBackOff) {
  auto pod = testing::PodFromYaml(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: p, uid: u-p}
spec:
  containers:
  - {name: always, image: "busybox:latest"}
  - {name: never, image: "missing:1", imagePullPolicy: Never}
)yaml");
  images_.recorder().InjectError("PullImage", Error(Code::kUnavailable, "registry down"));
  auto r = Sync(pod);
  std::map<std::string, std::string> reasons;
  for (const auto& s : r.steps) {
    if (s.action == SyncAction::kStartContainer) reasons[s.target] = s.reason;
  }
  EXPECT_EQ(reasons["always"], kErrImagePull);
  EXPECT_EQ(reasons["never"], kErrImageNeverPull);
  // Within the pull back-off no pull is attempted.
  r = Sync(pod);
  EXPECT_EQ(r.steps[0].reason, kImagePullBackOff);
  EXPECT_EQ(images_.Pulled().size(), 1u);
  clock_.Advance(std::chrono::seconds(11));
  r = Sync(pod);
  EXPECT_TRUE(runtime_.FindContainer(Id("always")));
  EXPECT_EQ(images_.Pulled().size(), 2u);
  // Always pulls on every start, even when present.
  ASSERT_TRUE(runtime_.ExitContainer(Id("always"), 0));
  Sync(pod);
  EXPECT_EQ(images_.Pulled().size(), 3u);
}

TEST_F(RuntimeManagerTest, InitContainersThenAppsAndRestartCountFromLogs) {
  auto pod = testing::PodFromYaml(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: p, uid: u-init}
spec:
  initContainers:
  - {name: one, image: busybox}
  - {name: two, image: busybox}
  containers:
  - {name: app, image: busybox}
)yaml");
  ASSERT_TRUE(Sync(pod).ToStatus());
  EXPECT_TRUE(Id("one") != "" && Id("two") == "" && Id("app") == "");
  ASSERT_TRUE(Sync(pod).ToStatus());  // still running: nothing new
  EXPECT_EQ(Id("two"), "");
  ASSERT_TRUE(runtime_.ExitContainer(Id("one"), 0));
  ASSERT_TRUE(Sync(pod).ToStatus());
  EXPECT_NE(Id("two"), "");
  EXPECT_EQ(Id("app"), "");
  ASSERT_TRUE(runtime_.ExitContainer(Id("two"), 0));
  ASSERT_TRUE(Sync(pod).ToStatus());
  EXPECT_NE(Id("app"), "");
  EXPECT_EQ(runtime_.FindContainer(Id("one"))->config.annotations().at(kInitContainerAnnotation),
            "true");

  // A runtime that lost its records restarts counting where the logs left off.
  auto other = testing::PodFromYaml(kWeb);
  std::filesystem::create_directories(dir_ + "/logs/default_web_u-web/app");
  std::ofstream(dir_ + "/logs/default_web_u-web/app/4.log") << "x";
  ASSERT_TRUE(Sync(other).ToStatus());
  EXPECT_EQ(runtime_.FindContainer(Id("app"))->config.metadata().attempt(), 5u);
}

TEST_F(RuntimeManagerTest, KillPodRunsPreStopThenStopsWithTheRestOfTheGracePeriod) {
  auto pod = testing::PodFromYaml(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: p, uid: u-kill}
spec:
  terminationGracePeriodSeconds: 20
  containers:
  - name: app
    image: busybox
    lifecycle:
      preStop: {exec: {command: [sh, -c, "sleep 5"]}}
  - name: side
    image: busybox
)yaml");
  ASSERT_TRUE(Sync(pod).ToStatus());
  std::vector<std::string> execs;
  runtime_.SetExecHandler([&](const v1::ExecSyncRequest& r) -> Result<v1::ExecSyncResponse> {
    execs.push_back(r.cmd(2));
    clock_.Advance(std::chrono::seconds(5));  // the hook takes 5 s
    return v1::ExecSyncResponse{};
  });
  auto status = Status(pod);
  container::RunningPod running{pod.metadata.uid, "p", "default", {}, {}, {}};
  for (const auto& s : status.sandboxes) running.sandboxes.push_back({s.id, s.ready});
  for (const auto& c : status.containers) running.containers.push_back({c.id, c.name, c.state});
  auto r = manager_->KillPod(&pod, running, std::nullopt);
  ASSERT_TRUE(r.ToStatus());
  EXPECT_EQ(execs, std::vector<std::string>{"sleep 5"});
  auto app = runtime_.FindContainer(Id("app"));
  auto side = runtime_.FindContainer(Id("side"));
  EXPECT_EQ(app->state, v1::CONTAINER_EXITED);
  EXPECT_EQ(app->last_stop_timeout, 15);  // 20 s minus the 5 s preStop took
  EXPECT_EQ(side->last_stop_timeout, 20);
  EXPECT_EQ(runtime_.Sandboxes()[0].state, v1::SANDBOX_NOTREADY);

  // Without the spec the grace period comes from the container's annotation.
  ASSERT_TRUE(Sync(pod).ToStatus());  // new sandbox and containers
  status = Status(pod);
  running.containers.clear();
  running.sandboxes.clear();
  for (const auto& c : status.containers) {
    if (c.state == ContainerState::kRunning) running.containers.push_back({c.id, c.name, c.state});
  }
  ASSERT_TRUE(manager_->KillPod(nullptr, running, std::nullopt).ToStatus());
  EXPECT_EQ(runtime_.FindContainer(running.containers[0].id)->last_stop_timeout, 20);
  ASSERT_TRUE(manager_->RemovePod(pod.metadata.uid));
  EXPECT_TRUE(runtime_.Sandboxes().empty());
}

TEST_F(RuntimeManagerTest, FailedPostStartHookKillsTheContainer) {
  auto pod = testing::PodFromYaml(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: p, uid: u-hook}
spec:
  containers:
  - name: app
    image: busybox
    lifecycle:
      postStart: {exec: {command: ["false"]}}
)yaml");
  runtime_.SetExecHandler([](const v1::ExecSyncRequest&) -> Result<v1::ExecSyncResponse> {
    v1::ExecSyncResponse resp;
    resp.set_exit_code(1);
    resp.set_stderr("nope");
    return resp;
  });
  auto r = Sync(pod);
  ASSERT_FALSE(r.ToStatus());
  EXPECT_EQ(r.steps.back().reason, kPostStartHookError);
  EXPECT_NE(r.steps.back().message.find("nope"), std::string::npos);
  EXPECT_EQ(runtime_.FindContainer(Id("app"))->state, v1::CONTAINER_EXITED);
}

TEST_F(RuntimeManagerTest, ReplacesADeadSandboxAndPrunesOldInitRuns) {
  auto pod = testing::PodFromYaml(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: p, uid: u-sb}
spec:
  initContainers: [{name: init, image: busybox}]
  containers: [{name: app, image: busybox}]
)yaml");
  ASSERT_TRUE(Sync(pod).ToStatus());
  ASSERT_TRUE(runtime_.ExitContainer(Id("init"), 0));
  ASSERT_TRUE(Sync(pod).ToStatus());
  std::string first_sandbox = runtime_.Sandboxes()[0].id;
  ASSERT_TRUE(runtime_.SetSandboxNotReady(first_sandbox));
  ASSERT_TRUE(Sync(pod).ToStatus());
  auto sandboxes = runtime_.Sandboxes();
  ASSERT_EQ(sandboxes.size(), 2u);
  EXPECT_EQ(sandboxes[1].config.metadata().attempt(), 1u);
  // The new sandbox starts over with the init container; the old run is gone.
  auto inits = runtime_.ContainersNamed("init");
  ASSERT_EQ(inits.size(), 1u);
  EXPECT_EQ(inits[0].sandbox_id, sandboxes[1].id);
  EXPECT_EQ(runtime_.FindContainer(Id("app"))->state, v1::CONTAINER_EXITED);
}

}  // namespace
}  // namespace capstan::kubelet::kuberuntime
