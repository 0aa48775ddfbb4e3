// Container GC against the fake CRI: which dead containers, sandboxes and pod log
// directories go, as upstream's kuberuntime_gc decides.
#include "kubelet/kuberuntime/container_gc.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "api/cri/testing/fake_runtime_service.h"
#include "common/file.h"
#include "kubelet/kuberuntime/labels.h"
#include "kubelet/logs/container_log_manager.h"
#include "kubelet/testing/fake_clock.h"

namespace capstan::kubelet::kuberuntime {
namespace {

namespace fs = std::filesystem;
namespace v1 = api::cri::v1;
using std::chrono::seconds;

class FakePodState : public PodStateProvider {
 public:
  bool AllSourcesReady() const override { return ready; }
  bool ShouldPodContentBeRemoved(const std::string& uid) const override {
    return removed.contains(uid);
  }
  bool ready = true;
  std::set<std::string> removed;
};

class ContainerGCTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-gc-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }

  ContainerGC Gc(ContainerGCPolicy policy = {}) {
    return ContainerGC(&runtime_, &clock_, &pods_, dir_ + "/pods", &logs_, policy);
  }
  std::string Sandbox(const std::string& uid) {
    clock_.Advance(seconds(1));
    v1::RunPodSandboxRequest run;
    auto* md = run.mutable_config()->mutable_metadata();
    md->set_uid(uid);
    md->set_name("pod-" + uid);
    md->set_namespace_("default");
    run.mutable_config()->set_log_directory(dir_ + "/pods/default_pod-" + uid + "_" + uid);
    (*run.mutable_config()->mutable_labels())[kPodUidLabel] = uid;
    return runtime_.RunPodSandbox(run)->pod_sandbox_id();
  }
  // A container that ran and exited (or still runs), created one second after the last.
  std::string Container(const std::string& sandbox, const std::string& uid, const std::string& name,
                        int attempt, bool running = false) {
    clock_.Advance(seconds(1));
    v1::CreateContainerRequest create;
    create.set_pod_sandbox_id(sandbox);
    create.mutable_config()->mutable_metadata()->set_name(name);
    create.mutable_config()->mutable_metadata()->set_attempt(attempt);
    create.mutable_config()->set_log_path(name + "/" + std::to_string(attempt) + ".log");
    if (!uid.empty()) {
      (*create.mutable_config()->mutable_labels())[kPodUidLabel] = uid;
      (*create.mutable_config()->mutable_labels())[kContainerNameLabel] = name;
    }
    std::string id = runtime_.CreateContainer(create)->container_id();
    v1::StartContainerRequest start;
    start.set_container_id(id);
    EXPECT_TRUE(runtime_.StartContainer(start));
    if (!running) {
      EXPECT_TRUE(runtime_.ExitContainer(id, 1));
    }
    return id;
  }
  std::set<std::string> ContainerIds() {
    std::set<std::string> out;
    for (const auto& c : runtime_.Containers()) {
      out.insert(c.id);
    }
    return out;
  }
  std::set<std::string> SandboxIds() {
    std::set<std::string> out;
    for (const auto& s : runtime_.Sandboxes()) {
      out.insert(s.id);
    }
    return out;
  }
  void StopSandbox(const std::string& id) {
    v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(id);
    ASSERT_TRUE(runtime_.StopPodSandbox(stop));
  }

  kubelet::testing::FakeClock clock_;
  api::cri::testing::FakeRuntimeService runtime_{&clock_};
  logs::ContainerLogManager logs_{&runtime_, &clock_, logs::ContainerLogPolicy{}};
  FakePodState pods_;
  std::string dir_;
};

TEST_F(ContainerGCTest, KeepsTheNewestDeadContainerPerContainerName) {
  std::string sb = Sandbox("u1");
  std::string init0 = Container(sb, "u1", "init", 0);
  std::string init1 = Container(sb, "u1", "init", 1);
  std::string app0 = Container(sb, "u1", "app", 0);
  std::string app1 = Container(sb, "u1", "app", 1);
  std::string app2 = Container(sb, "u1", "app", 2);
  std::string app3 = Container(sb, "u1", "app", 3, /*running=*/true);
  ASSERT_TRUE(Gc().GarbageCollect());
  EXPECT_EQ(ContainerIds(), (std::set<std::string>{init1, app2, app3}));
  EXPECT_EQ(SandboxIds(), (std::set<std::string>{sb}));
}

TEST_F(ContainerGCTest, YoungContainersWaitForTheMinimumAge) {
  std::string sb = Sandbox("u1");
  std::string a0 = Container(sb, "u1", "app", 0);
  std::string a1 = Container(sb, "u1", "app", 1);
  std::string a2 = Container(sb, "u1", "app", 2);
  ContainerGCPolicy policy;
  policy.min_age = seconds(2);  // a2 was created just now, a1 a second ago
  ASSERT_TRUE(Gc(policy).GarbageCollect());
  // Only a0 is old enough to count, and alone in its unit it stays.
  EXPECT_EQ(ContainerIds(), (std::set<std::string>{a0, a1, a2}));
  clock_.Advance(seconds(5));
  ASSERT_TRUE(Gc(policy).GarbageCollect());
  EXPECT_EQ(ContainerIds(), (std::set<std::string>{a2}));
}

TEST_F(ContainerGCTest, RemovedPodsLoseEveryDeadContainerAndSandbox) {
  std::string gone = Sandbox("gone");
  Container(gone, "gone", "app", 0);
  Container(gone, "gone", "app", 1);
  StopSandbox(gone);
  std::string older = Sandbox("gone");  // a second dead sandbox of the same pod
  StopSandbox(older);
  std::string orphan = Sandbox("orphan");  // removed, but still running something
  std::string running = Container(orphan, "orphan", "app", 0, /*running=*/true);
  std::string stays = Sandbox("stays");
  std::string kept = Container(stays, "stays", "app", 0);
  pods_.removed = {"gone", "orphan"};
  ASSERT_TRUE(Gc().GarbageCollect());
  EXPECT_EQ(ContainerIds(), (std::set<std::string>{running, kept}));
  EXPECT_EQ(SandboxIds(), (std::set<std::string>{orphan, stays}));
}

TEST_F(ContainerGCTest, NothingIsTakenForDeletedBeforeTheSourcesAreReady) {
  std::string sb = Sandbox("u1");
  std::string a0 = Container(sb, "u1", "app", 0);
  StopSandbox(sb);
  pods_.removed = {"u1"};
  pods_.ready = false;
  ASSERT_TRUE(MkdirAll(dir_ + "/pods/default_pod-u1_u1"));
  ASSERT_TRUE(Gc().GarbageCollect());
  EXPECT_EQ(ContainerIds(), (std::set<std::string>{a0}));
  EXPECT_EQ(SandboxIds(), (std::set<std::string>{sb}));
  EXPECT_TRUE(fs::exists(dir_ + "/pods/default_pod-u1_u1"));
}

TEST_F(ContainerGCTest, ExistingPodsKeepTheirNewestSandbox) {
  std::string s1 = Sandbox("u1");
  StopSandbox(s1);
  std::string s2 = Sandbox("u1");
  StopSandbox(s2);
  std::string s3 = Sandbox("u1");
  StopSandbox(s3);
  std::string with_container = Sandbox("u2");
  std::string c = Container(with_container, "u2", "app", 0);
  StopSandbox(with_container);
  std::string newer = Sandbox("u2");  // ready
  ASSERT_TRUE(Gc().GarbageCollect());
  // s3 is u1's newest; u2's older sandbox still holds a container.
  EXPECT_EQ(SandboxIds(), (std::set<std::string>{s3, with_container, newer}));
  EXPECT_EQ(ContainerIds(), (std::set<std::string>{c}));
}

TEST_F(ContainerGCTest, MaxContainersSharesOutThenTakesTheOldest) {
  std::string sb = Sandbox("u1");
  std::string a0 = Container(sb, "u1", "a", 0);
  std::string b0 = Container(sb, "u1", "b", 0);
  std::string c0 = Container(sb, "u1", "c", 0);
  std::string a1 = Container(sb, "u1", "a", 1);
  std::string b1 = Container(sb, "u1", "b", 1);
  ContainerGCPolicy policy;
  policy.max_per_pod_container = -1;
  policy.max_containers = 2;
  ASSERT_TRUE(Gc(policy).GarbageCollect());
  // One per unit leaves a1, b1, c0; over the limit still, the oldest (c0) goes.
  EXPECT_EQ(ContainerIds(), (std::set<std::string>{a1, b1}));
}

TEST_F(ContainerGCTest, ContainersNotMadeByTheKubeletAreLeftAlone) {
  std::string sb = Sandbox("u1");
  std::string x0 = Container(sb, "", "x", 0);
  std::string x1 = Container(sb, "", "x", 1);
  ASSERT_TRUE(Gc().GarbageCollect());
  EXPECT_EQ(ContainerIds(), (std::set<std::string>{x0, x1}));
}

TEST_F(ContainerGCTest, LogsGoWithTheirContainer) {
  std::string sb = Sandbox("u1");
  std::string log_dir = dir_ + "/pods/default_pod-u1_u1/app";
  ASSERT_TRUE(MkdirAll(log_dir));
  Container(sb, "u1", "app", 0);
  Container(sb, "u1", "app", 1);
  for (const char* f : {"0.log", "0.log.20260101-000000.gz", "1.log"}) {
    ASSERT_TRUE(WriteFileAtomic(log_dir + "/" + f, "x"));
  }
  ASSERT_TRUE(Gc().GarbageCollect());
  EXPECT_FALSE(fs::exists(log_dir + "/0.log"));
  EXPECT_FALSE(fs::exists(log_dir + "/0.log.20260101-000000.gz"));
  EXPECT_TRUE(fs::exists(log_dir + "/1.log"));
}

TEST_F(ContainerGCTest, LogDirectoriesOfGonePodsAreRemoved) {
  std::string running_sb = Sandbox("u3");
  Container(running_sb, "u3", "app", 0, /*running=*/true);
  for (const char* d : {"default_a_u1", "default_b_u2", "default_pod-u3_u3"}) {
    ASSERT_TRUE(MkdirAll(dir_ + "/pods/" + d + "/app"));
    ASSERT_TRUE(WriteFileAtomic(dir_ + "/pods/" + d + "/app/0.log", "x"));
  }
  pods_.removed = {"u1", "u3"};
  ASSERT_TRUE(Gc().GarbageCollect());
  EXPECT_FALSE(fs::exists(dir_ + "/pods/default_a_u1"));
  EXPECT_TRUE(fs::exists(dir_ + "/pods/default_b_u2"));       // still wanted
  EXPECT_TRUE(fs::exists(dir_ + "/pods/default_pod-u3_u3"));  // still running
  EXPECT_EQ(PodUidFromLogDirectory("kube-system_coredns_abc-123"), "abc-123");
}

TEST_F(ContainerGCTest, AMissingLogDirectoryIsNotAnError) { EXPECT_TRUE(Gc().GarbageCollect()); }

TEST_F(ContainerGCTest, ListFailuresAreReported) {
  runtime_.recorder().InjectError("ListContainers", Error(Code::kUnavailable, "down"), -1);
  EXPECT_FALSE(Gc().GarbageCollect());
}

}  // namespace
}  // namespace capstan::kubelet::kuberuntime
