// Probes: thresholds, initial delay, startup gating, liveness hold, and the probe kinds.
#include <gtest/gtest.h>

#include "api/cri/testing/fake_runtime_service.h"
#include "kubelet/prober/manager.h"
#include "kubelet/testing/fake_clock.h"
#include "tests/kubelet/test_pods.h"

namespace capstan::kubelet::prober {
namespace {

namespace v1 = api::cri::v1;
using std::chrono::seconds;

class FakeHttp : public util::HttpGetter {
 public:
  Result<util::HttpResponse> Get(const util::HttpRequest& req) override {
    requests.push_back(req);
    if (status == 0) return Fail(Code::kUnavailable, "connection refused");
    return util::HttpResponse{status, ""};
  }
  int status = 200;
  std::vector<util::HttpRequest> requests;
};

class ProberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ProberDeps deps;
    deps.runtime = &runtime_;
    deps.http = &http_;
    deps.tcp_dial = [this](const std::string& host, int port, std::chrono::milliseconds) {
      dialed_.push_back(host + ":" + std::to_string(port));
      return tcp_ok_ ? Ok() : Status(Fail(Code::kUnavailable, "refused"));
    };
    prober_ = std::make_unique<Prober>(deps);
    manager_ = std::make_unique<ProberManager>(
        prober_.get(), &executor_, &clock_,
        [this](const std::string&) -> std::optional<api::k8s::PodStatus> { return status_; });
    runtime_.SetExecHandler([this](const v1::ExecSyncRequest& r) -> Result<v1::ExecSyncResponse> {
      ++execs_;
      v1::ExecSyncResponse resp;
      resp.set_exit_code(exec_ok_ ? 0 : 1);
      return resp;
    });
    ASSERT_TRUE(runtime_.RunPodSandbox({}));
    v1::CreateContainerRequest create;
    create.set_pod_sandbox_id(runtime_.Sandboxes()[0].id);
    id_ = runtime_.CreateContainer(create)->container_id();
    v1::StartContainerRequest start;
    start.set_container_id(id_);
    ASSERT_TRUE(runtime_.StartContainer(start));
  }
  // The pod status the kubelet would report: one running container.
  void Running(bool started) {
    api::k8s::PodStatus s;
    s.phase = "Running";
    s.pod_ip = "10.88.0.9";
    api::k8s::ContainerStatus c;
    c.name = "app";
    c.container_id = "fake://" + id_;
    c.state.running = api::k8s::ContainerStateRunning{clock_.Now()};
    c.started = started;
    s.container_statuses.push_back(c);
    status_ = s;
  }
  // One probe period: due workers run.
  void Period(int secs = 10) {
    clock_.Advance(seconds(secs));
    manager_->RunDueProbes();
    executor_.RunAll();
  }
  std::optional<ProbeResult> Liveness() { return manager_->liveness().Get(id_); }
  std::optional<ProbeResult> Readiness() { return manager_->readiness().Get(id_); }
  std::optional<ProbeResult> Startup() { return manager_->startup().Get(id_); }

  kubelet::testing::FakeClock clock_;
  util::ManualExecutor executor_;
  api::cri::testing::FakeRuntimeService runtime_{&clock_};
  FakeHttp http_;
  std::vector<std::string> dialed_;
  bool tcp_ok_ = true;
  bool exec_ok_ = true;
  int execs_ = 0;
  std::string id_;
  std::optional<api::k8s::PodStatus> status_;
  std::unique_ptr<Prober> prober_;
  std::unique_ptr<ProberManager> manager_;
};

TEST_F(ProberTest, LivenessFailsAfterTheThresholdAndHoldsUntilANewContainer) {
  auto pod = testing::PodFromYaml(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: p, uid: u1}
spec:
  containers:
  - name: app
    image: busybox
    livenessProbe: {exec: {command: ["true"]}, initialDelaySeconds: 15, failureThreshold: 3}
)yaml");
  manager_->AddPod(pod);
  Running(true);
  Period(0);
  EXPECT_EQ(Liveness(), ProbeResult::kSuccess);  // alive until proven otherwise
  EXPECT_EQ(execs_, 0);                          // within the initial delay
  Period();
  EXPECT_EQ(execs_, 0);
  Period();
  EXPECT_EQ(execs_, 1);
  exec_ok_ = false;
  Period();
  Period();
  EXPECT_EQ(Liveness(), ProbeResult::kSuccess);  // two failures: below the threshold
  Period();
  EXPECT_EQ(Liveness(), ProbeResult::kFailure);
  EXPECT_EQ(manager_->liveness().TakeUpdates().back().result, ProbeResult::kFailure);
  int before = execs_;
  Period();
  Period();
  EXPECT_EQ(execs_, before);  // on hold: the container is being restarted
}

TEST_F(ProberTest, ReadinessNeedsSuccessThresholdAndStartupGatesOtherProbes) {
  auto pod = testing::PodFromYaml(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: p, uid: u1}
spec:
  containers:
  - name: app
    image: busybox
    readinessProbe: {httpGet: {path: /ready, port: http}, successThreshold: 2, periodSeconds: 5}
    startupProbe: {tcpSocket: {port: 8080}, periodSeconds: 1, failureThreshold: 30}
    ports: [{name: http, containerPort: 8080}]
)yaml");
  manager_->AddPod(pod);
  EXPECT_EQ(manager_->WorkerCount(), 2u);
  Running(false);
  tcp_ok_ = false;
  Period(1);
  EXPECT_EQ(Readiness(), ProbeResult::kFailure);  // not ready until proven
  EXPECT_TRUE(http_.requests.empty());            // waits for startup
  EXPECT_EQ(Startup(), ProbeResult::kUnknown);
  tcp_ok_ = true;
  Period(1);
  EXPECT_EQ(Startup(), ProbeResult::kSuccess);
  EXPECT_EQ(dialed_.back(), "10.88.0.9:8080");

  // The status the kubelet reports now marks the container started, not yet ready.
  api::k8s::PodStatus s = *status_;
  manager_->UpdatePodStatus(pod, s);
  EXPECT_TRUE(*s.container_statuses[0].started);
  EXPECT_FALSE(s.container_statuses[0].ready);
  Running(true);
  Period(5);
  EXPECT_EQ(Readiness(), ProbeResult::kFailure);  // one success of two
  Period(5);
  EXPECT_EQ(Readiness(), ProbeResult::kSuccess);
  ASSERT_FALSE(http_.requests.empty());
  EXPECT_EQ(http_.requests.back().host, "10.88.0.9");
  EXPECT_EQ(http_.requests.back().port, 8080);
  EXPECT_EQ(http_.requests.back().path, "/ready");
  s = *status_;
  manager_->UpdatePodStatus(pod, s);
  EXPECT_TRUE(s.container_statuses[0].ready);
  http_.status = 503;
  Period(5);
  Period(5);
  EXPECT_EQ(Readiness(), ProbeResult::kSuccess);  // two failures of the default three
  Period(5);
  EXPECT_EQ(Readiness(), ProbeResult::kFailure);
}

TEST_F(ProberTest, NoProbesMeansStartedAndReadyAndRemovalStopsWorkers) {
  auto pod = testing::PodFromYaml(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: p, uid: u1}
spec:
  containers: [{name: app, image: busybox}]
)yaml");
  manager_->AddPod(pod);
  EXPECT_EQ(manager_->WorkerCount(), 0u);
  Running(false);
  api::k8s::PodStatus s = *status_;
  manager_->UpdatePodStatus(pod, s);
  EXPECT_TRUE(*s.container_statuses[0].started);
  EXPECT_TRUE(s.container_statuses[0].ready);

  auto probed = testing::PodFromYaml(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: q, uid: u2}
spec:
  containers:
  - {name: app, image: busybox, livenessProbe: {exec: {command: ["true"]}},
     readinessProbe: {exec: {command: ["true"]}}}
)yaml");
  manager_->AddPod(probed);
  manager_->AddPod(probed);  // idempotent
  EXPECT_EQ(manager_->WorkerCount(), 2u);
  manager_->StopLivenessAndStartup("u2");
  EXPECT_EQ(manager_->WorkerCount(), 1u);
  manager_->RemovePod("u2");
  EXPECT_EQ(manager_->WorkerCount(), 0u);
}

TEST_F(ProberTest, ExecTimeoutIsAFailureAndRuntimeErrorsDoNotCount) {
  auto pod = testing::PodFromYaml(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: p, uid: u1}
spec:
  containers:
  - {name: app, image: busybox, readinessProbe: {exec: {command: ["true"]}, timeoutSeconds: 2}}
)yaml");
  runtime_.recorder().InjectError("ExecSync", Error(Code::kUnavailable, "runtime busy"), 3);
  auto r = prober_->Probe(ProbeType::kReadiness, pod, pod.spec.containers[0], id_, "10.0.0.1");
  EXPECT_FALSE(r);  // three tries, none ran
  runtime_.recorder().InjectError("ExecSync", Error(Code::kDeadlineExceeded, "timed out"), 1);
  r = prober_->Probe(ProbeType::kReadiness, pod, pod.spec.containers[0], id_, "10.0.0.1");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, ProbeResult::kFailure);
}

}  // namespace
}  // namespace capstan::kubelet::prober

namespace capstan::kubelet::prober {
namespace {

class EventLog : public events::EventRecorder {
 public:
  void PodEvent(const api::k8s::Pod&, const std::string& field_path, const std::string& type,
                const std::string& reason, const std::string& message) override {
    events.push_back(field_path + " " + type + " " + reason + ": " + message);
  }
  void NodeEvent(const std::string&, const std::string&, const std::string&) override {}
  std::vector<std::string> events;
};

// Failed probes are Unhealthy events with upstream's words, on the container.
TEST_F(ProberTest, FailedProbesRecordUnhealthyEvents) {
  EventLog log;
  ProberDeps deps;
  deps.runtime = &runtime_;
  deps.http = &http_;
  deps.tcp_dial = [](const std::string&, int, std::chrono::milliseconds) {
    return Status(Fail(Code::kUnavailable, "connect: connection refused"));
  };
  deps.recorder = &log;
  Prober prober(deps);
  runtime_.SetExecHandler([](const v1::ExecSyncRequest&) -> Result<v1::ExecSyncResponse> {
    v1::ExecSyncResponse resp;
    resp.set_exit_code(1);
    resp.set_stdout("cat: can't open '/tmp/healthy': No such file or directory\n");
    return resp;
  });
  auto pod = testing::PodFromYaml(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: p, uid: u1}
spec:
  containers:
  - name: app
    image: busybox
    livenessProbe: {exec: {command: [cat, /tmp/healthy]}}
    readinessProbe: {httpGet: {path: /ready, port: 8080}}
    startupProbe: {tcpSocket: {port: 5432}}
)yaml");
  const auto& c = pod.spec.containers[0];
  EXPECT_EQ(*prober.Probe(ProbeType::kLiveness, pod, c, id_, "10.88.0.9"), ProbeResult::kFailure);
  http_.status = 503;
  EXPECT_EQ(*prober.Probe(ProbeType::kReadiness, pod, c, id_, "10.88.0.9"), ProbeResult::kFailure);
  EXPECT_EQ(*prober.Probe(ProbeType::kStartup, pod, c, id_, "10.88.0.9"), ProbeResult::kFailure);
  EXPECT_EQ(log.events,
            (std::vector<std::string>{
                "spec.containers{app} Warning Unhealthy: Liveness probe failed: cat: can't open "
                "'/tmp/healthy': No such file or directory\n",
                "spec.containers{app} Warning Unhealthy: Readiness probe failed: HTTP probe failed "
                "with statuscode: 503",
                "spec.containers{app} Warning Unhealthy: Startup probe failed: dial tcp "
                "10.88.0.9:5432: connect: connection refused"}));
}

}  // namespace
}  // namespace capstan::kubelet::prober
