// The whole kubelet against the fake CRI, driven by a fake clock and a manual executor:
// sources -> pod workers -> runtime, PLEG, back-off, probes, termination, housekeeping.
#include "kubelet/kubelet.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "kubelet/kuberuntime/labels.h"
#include "kubelet/sources/api/api_source.h"
#include "kubelet/sources/file/file_source.h"
#include "kubelet/status/display.h"
#include "tests/kubelet/kubelet_harness.h"
#include "tests/kubelet/test_pods.h"

namespace capstan::kubelet {
namespace {

namespace v1 = api::cri::v1;
using std::chrono::seconds;

class KubeletTest : public KubeletHarness {
 protected:
  void SetUp() override {
    KubeletOptions opts = BaseOptions();
    opts.memory_capacity_bytes = 8LL << 30;
    KubeletDeps deps = BaseDeps();
    deps.cgroups = &cgroups_;
    StartKubelet(opts, deps);
    config_.SetSourcePods(sources::kFileSource, {});
  }
  std::string Display(const api::k8s::Pod& pod) {
    auto s = kubelet_->GetPodStatus(pod.metadata.uid);
    return s ? status::PodDisplayStatus(pod, *s) : "<none>";
  }
  int RunningCount() {
    int n = 0;
    for (const auto& c : runtime_.Containers()) n += c.state == v1::CONTAINER_RUNNING;
    return n;
  }
};

constexpr const char* kWeb = R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: web-node-1, namespace: default, uid: u-web}
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - name: app
    image: busybox:1.36
    command: [sh, -c, "echo hello; sleep 1000"]
    resources: {limits: {cpu: 500m, memory: 64Mi}}
)yaml";

TEST_F(KubeletTest, RunsAPodAndReportsItRunningAndReady) {
  auto pod = testing::PodFromYaml(kWeb);
  SetPods({pod});
  ASSERT_EQ(runtime_.Sandboxes().size(), 1u);
  EXPECT_EQ(RunningCount(), 1);
  auto s = kubelet_->GetPodStatus("u-web");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->phase, "Running");
  EXPECT_EQ(s->qos_class, "Guaranteed");
  EXPECT_EQ(s->container_statuses[0].container_id, "fake://" + Newest("app"));
  EXPECT_TRUE(s->container_statuses[0].ready);
  EXPECT_EQ(s->host_ip, "192.168.1.10");
  EXPECT_FALSE(s->pod_ip.empty());
  EXPECT_EQ(runtime_.Sandboxes()[0].config.linux().cgroup_parent(), "/kubepods/podu-web");
  EXPECT_EQ(Display(pod), "Running");
  // The QoS parents and the pod's own cgroup with its limits.
  auto cgroups = cgroups_.Cgroups();
  EXPECT_TRUE(cgroups.contains("/kubepods/burstable"));
  EXPECT_TRUE(cgroups.contains("/kubepods/besteffort"));
  ASSERT_TRUE(cgroups.contains("/kubepods/podu-web"));
  EXPECT_EQ(cgroups.at("/kubepods/podu-web").cpu_quota, 50000);
  EXPECT_EQ(cgroups.at("/kubepods/podu-web").memory_limit_bytes, 64 << 20);
}

TEST_F(KubeletTest, BurstableParentWeighsWhatItsPodsRequest) {
  auto pod = testing::PodFromYaml(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: small-node-1, namespace: default, uid: u-small}
spec:
  containers:
  - name: a
    image: busybox:1.36
    resources: {requests: {cpu: 100m}}
  - name: b
    image: busybox:1.36
    resources: {requests: {cpu: 400m}, limits: {cpu: "1"}}
)yaml");
  SetPods({pod});
  Pass(3);  // housekeeping
  EXPECT_EQ(cgroups_.Cgroups().at("/kubepods/burstable").cpu_shares, 512u);
  SetPods({});
  Pass(3);
  EXPECT_EQ(cgroups_.Cgroups().at("/kubepods/burstable").cpu_shares, 2u);
}

TEST_F(KubeletTest, KubepodsIsLimitedToNodeAllocatable) {
  // enforceNodeAllocatable: [pods] by default: the whole CPU as shares, memory capacity.
  auto cgroups = cgroups_.Cgroups();
  ASSERT_TRUE(cgroups.contains("/kubepods"));
  int64_t cpus = std::max(1u, std::thread::hardware_concurrency());
  EXPECT_EQ(cgroups.at("/kubepods").cpu_shares, static_cast<uint64_t>(cpus * 1024));
  EXPECT_EQ(cgroups.at("/kubepods").memory_limit_bytes, 8LL << 30);
  EXPECT_EQ(cgroups.at("/kubepods/besteffort").cpu_shares, 2u);

  // Reserved resources come off the top.
  KubeletOptions opts = BaseOptions();
  opts.root_dir = dir_ + "/root2";
  opts.memory_capacity_bytes = 8LL << 30;
  opts.config.system_reserved = {{"memory", "1Gi"}, {"cpu", "500m"}};
  opts.config.kube_reserved = {{"memory", "512Mi"}};
  cm::FakeCgroupManager reserved_cgroups;
  KubeletDeps deps = BaseDeps();
  deps.cgroups = &reserved_cgroups;
  Kubelet reserved(opts, deps);
  ASSERT_TRUE(reserved.Init());
  auto r = reserved_cgroups.Cgroups().at("/kubepods");
  EXPECT_EQ(r.memory_limit_bytes, (8LL << 30) - (1LL << 30) - (512LL << 20));
  EXPECT_EQ(r.cpu_shares, static_cast<uint64_t>((cpus * 1000 - 500) * 1024 / 1000));
}

TEST_F(KubeletTest, CrashingContainerRestartsWithBackOff) {
  auto pod = testing::PodFromYaml(kWeb);
  SetPods({pod});
  ASSERT_TRUE(runtime_.ExitContainer(Newest("app"), 1));
  Pass(1);  // the relist notices; the first restart is immediate
  EXPECT_EQ(runtime_.ContainersNamed("app").size(), 2u);
  EXPECT_EQ(kubelet_->GetPodStatus("u-web")->container_statuses[0].restart_count, 1);
  ASSERT_TRUE(runtime_.ExitContainer(Newest("app"), 2));
  Pass(1);
  EXPECT_EQ(runtime_.ContainersNamed("app").size(), 2u);
  EXPECT_EQ(Display(pod), "CrashLoopBackOff");
  auto s = kubelet_->GetPodStatus("u-web");
  EXPECT_EQ(s->container_statuses[0].last_state.terminated->exit_code, 2);
  Pass(8);
  EXPECT_EQ(runtime_.ContainersNamed("app").size(), 2u);  // still backing off
  Pass(3);                                                // the retry after the 10 s back-off
  EXPECT_EQ(runtime_.ContainersNamed("app").size(), 3u);
  EXPECT_EQ(RunningCount(), 1);
  EXPECT_EQ(Display(pod), "Running");
}

TEST_F(KubeletTest, RemovedPodIsStoppedGracefullyAndCleanedUp) {
  auto pod = testing::PodFromYaml(kWeb);
  SetPods({pod});
  std::string id = Newest("app");
  SetPods({});
  EXPECT_EQ(runtime_.FindContainer(id), std::nullopt);  // stopped, then removed
  EXPECT_TRUE(runtime_.Sandboxes().empty());
  EXPECT_FALSE(kubelet_->GetPodStatus("u-web"));
  EXPECT_FALSE(cgroups_.Exists("/kubepods/podu-web"));
  auto calls = runtime_.recorder().Calls();
  EXPECT_NE(std::find(calls.begin(), calls.end(), "StopContainer"), calls.end());
}

TEST_F(KubeletTest, LivenessFailureRestartsTheContainer) {
  auto pod = testing::PodFromYaml(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: live, uid: u-live}
spec:
  containers:
  - name: app
    image: busybox
    livenessProbe: {exec: {command: [check]}, periodSeconds: 1, failureThreshold: 2}
)yaml");
  bool healthy = true;
  runtime_.SetExecHandler([&](const v1::ExecSyncRequest&) -> Result<v1::ExecSyncResponse> {
    v1::ExecSyncResponse r;
    r.set_exit_code(healthy ? 0 : 1);
    return r;
  });
  SetPods({pod});
  std::string first = Newest("app");
  Pass(3);
  EXPECT_EQ(Newest("app"), first);
  healthy = false;
  for (int i = 0; i < 5 && Newest("app") == first; ++i) {
    Pass(1);
  }
  EXPECT_NE(Newest("app"), first);  // two failed probes a second apart, then a restart
  EXPECT_EQ(runtime_.FindContainer(first)->state, v1::CONTAINER_EXITED);
  healthy = true;
  Pass(3);
  EXPECT_EQ(RunningCount(), 1);
  EXPECT_EQ(kubelet_->GetPodStatus("u-live")->container_statuses[0].restart_count, 1);
}

TEST_F(KubeletTest, CompletedNeverPodSucceedsAndReleasesItsSandbox) {
  auto pod = testing::PodFromYaml(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: job, uid: u-job}
spec:
  restartPolicy: Never
  initContainers: [{name: prepare, image: busybox}]
  containers: [{name: work, image: busybox}]
)yaml");
  SetPods({pod});
  EXPECT_EQ(Display(pod), "Init:0/1");
  ASSERT_TRUE(runtime_.ExitContainer(Newest("prepare"), 0));
  Pass(1);
  EXPECT_FALSE(Newest("work").empty());
  ASSERT_TRUE(runtime_.ExitContainer(Newest("work"), 0));
  Pass(2);
  auto s = kubelet_->GetPodStatus("u-job");
  EXPECT_EQ(s->phase, "Succeeded");
  EXPECT_EQ(Display(pod), "Completed");
  EXPECT_EQ(runtime_.Sandboxes()[0].state, v1::SANDBOX_NOTREADY);
  Pass(5);
  EXPECT_EQ(runtime_.ContainersNamed("work").size(), 1u);  // never restarted
}

TEST_F(KubeletTest, HousekeepingStopsPodsNoSourceWants) {
  // A pod a previous kubelet started.
  v1::RunPodSandboxRequest run;
  (*run.mutable_config()->mutable_labels())[kuberuntime::kPodUidLabel] = "ghost";
  ASSERT_TRUE(runtime_.RunPodSandbox(run));
  ASSERT_TRUE(cgroups_.Create("/kubepods/besteffort/podghost", {}));
  Pass(3);
  EXPECT_TRUE(runtime_.Sandboxes().empty());
  Pass(2);
  EXPECT_FALSE(cgroups_.Exists("/kubepods/besteffort/podghost"));
}

TEST_F(KubeletTest, StaticPodFromAManifestFileEndToEnd) {
  std::string manifests = dir_ + "/manifests";
  std::filesystem::create_directories(manifests);
  std::ofstream(manifests + "/web.yaml") << R"(apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers: [{name: app, image: busybox}]
)";
  RealClock real;
  sources::FileSource files(manifests, "node-1", &config_, &real);
  files.Start();
  auto deadline = std::chrono::steady_clock::now() + seconds(5);
  while (RunningCount() == 0 && std::chrono::steady_clock::now() < deadline) {
    config_.WaitForUpdates(std::chrono::milliseconds(50));
    Settle();
  }
  ASSERT_EQ(RunningCount(), 1);
  auto pods = kubelet_->GetPods();
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0].metadata.name, "web-node-1");
  std::filesystem::remove(manifests + "/web.yaml");
  deadline = std::chrono::steady_clock::now() + seconds(5);
  while (!runtime_.Sandboxes().empty() && std::chrono::steady_clock::now() < deadline) {
    config_.WaitForUpdates(std::chrono::milliseconds(50));
    Settle();
  }
  EXPECT_TRUE(runtime_.Sandboxes().empty());
  EXPECT_TRUE(kubelet_->GetPods().empty());
}

}  // namespace
}  // namespace capstan::kubelet

namespace capstan::kubelet {
namespace {

class RecordingEvents : public events::EventRecorder {
 public:
  void PodEvent(const api::k8s::Pod& pod, const std::string&, const std::string& type,
                const std::string& reason, const std::string& message) override {
    events.push_back(pod.metadata.name + " " + type + " " + reason + ": " + message);
  }
  void NodeEvent(const std::string&, const std::string&, const std::string&) override {}
  std::vector<std::string> events;
};

// Pods from the API pass node admission; one that does not fit is failed, never run.
class KubeletAdmissionTest : public KubeletHarness {
 protected:
  void SetUp() override {
    KubeletOptions opts = BaseOptions();
    opts.sources = {sources::kApiSource};
    KubeletDeps deps = BaseDeps();
    deps.recorder = &events_;
    deps.node_info = [this] { return node_; };
    StartKubelet(opts, deps);
    node_ = lifecycle::NodeInfo{"node-1", {{"disk", "ssd"}}, {}, {}};
    node_->allocatable = {{"cpu", api::k8s::Quantity::FromMilli(1000)},
                          {"pods", api::k8s::Quantity::FromUnits(10)}};
  }
  api::k8s::Pod ApiPod(const std::string& name, const std::string& extra,
                       const std::string& cpu = "600m") {
    auto pod = testing::PodFromYaml("apiVersion: v1\nkind: Pod\nmetadata: {name: " + name +
                                    ", namespace: default, uid: " + name +
                                    "}\nspec:\n  nodeName: node-1\n" + extra +
                                    "  containers:\n  - {name: c, image: busybox, resources: "
                                    "{requests: {cpu: " +
                                    cpu + "}}}\n");
    pod.metadata.annotations["kubernetes.io/config.source"] = "api";
    return pod;
  }
  void SetApiPods(std::vector<api::k8s::Pod> pods) {
    config_.SetSourcePods(sources::kApiSource, std::move(pods));
    Settle();
  }
  RecordingEvents events_;
  std::optional<lifecycle::NodeInfo> node_;
};

TEST_F(KubeletAdmissionTest, RejectedPodsAreFailedWithUpstreamsReasonAndNeverRun) {
  auto first = ApiPod("first", "");
  SetApiPods({first});
  EXPECT_EQ(kubelet_->GetPodStatus("first")->phase, "Running");

  auto second = ApiPod("second", "");  // 600m more than the 400m left
  auto picky = ApiPod("picky", "  nodeSelector: {disk: hdd}\n", "100m");
  SetApiPods({first, second, picky});
  auto s = kubelet_->GetPodStatus("second");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->phase, "Failed");
  EXPECT_EQ(s->reason, "OutOfcpu");
  EXPECT_EQ(s->message,
            "Pod was rejected: Node didn't have enough resource: cpu, requested: 600, "
            "used: 600, capacity: 1000");
  EXPECT_EQ(kubelet_->GetPodStatus("picky")->reason, "NodeAffinity");
  EXPECT_EQ(runtime_.Sandboxes().size(), 1u);        // only the first pod runs
  EXPECT_TRUE(kubelet_->IsPodTerminated("second"));  // its object may be deleted at once
  EXPECT_EQ(events_.events.back(),
            "picky Warning NodeAffinity: Predicate NodeAffinity failed: node(s) didn't match "
            "Pod's node affinity/selector");

  // Updates to a rejected pod change nothing; once removed it is forgotten.
  SetApiPods({first, second});
  EXPECT_EQ(runtime_.Sandboxes().size(), 1u);
  SetApiPods({first});
  EXPECT_FALSE(kubelet_->IsPodTerminated("picky"));
}

TEST_F(KubeletAdmissionTest, UnknownNodeAdmitsAsScheduled) {
  node_.reset();
  SetApiPods({ApiPod("a", "  nodeSelector: {disk: hdd}\n")});
  EXPECT_EQ(kubelet_->GetPodStatus("a")->phase, "Running");
}

}  // namespace
}  // namespace capstan::kubelet
