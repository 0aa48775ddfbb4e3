// Log rotation over real files in a temporary directory, against the fake CRI (whose
// ReopenContainerLog creates the log file anew) and a fake clock.
#include "kubelet/logs/container_log_manager.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "api/cri/testing/fake_runtime_service.h"
#include "common/file.h"
#include "kubelet/kuberuntime/labels.h"
#include "kubelet/testing/fake_clock.h"

namespace capstan::kubelet::logs {
namespace {

namespace fs = std::filesystem;
namespace v1 = api::cri::v1;
using std::chrono::seconds;

std::string Gunzip(const fs::path& p) {
  gzFile f = gzopen(p.c_str(), "rb");
  if (!f) {
    return "<cannot open>";
  }
  std::string out;
  char buf[4096];
  int n;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) {
    out.append(buf, static_cast<size_t>(n));
  }
  gzclose(f);
  return out;
}

class ContainerLogManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-logs-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    id_ = StartContainer("app");
    log_ = dir_ + "/pod/app/0.log";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string StartContainer(const std::string& name) {
    v1::RunPodSandboxRequest run;
    run.mutable_config()->mutable_metadata()->set_uid("u1");
    run.mutable_config()->set_log_directory(dir_ + "/pod");
    std::string sandbox = runtime_.RunPodSandbox(run)->pod_sandbox_id();
    v1::CreateContainerRequest create;
    create.set_pod_sandbox_id(sandbox);
    create.mutable_config()->mutable_metadata()->set_name(name);
    create.mutable_config()->set_log_path(name + "/0.log");
    (*create.mutable_config()->mutable_labels())[kuberuntime::kPodUidLabel] = "u1";
    std::string id = runtime_.CreateContainer(create)->container_id();
    v1::StartContainerRequest start;
    start.set_container_id(id);
    EXPECT_TRUE(runtime_.StartContainer(start));
    EXPECT_TRUE(MkdirAll(dir_ + "/pod/" + name));
    EXPECT_TRUE(WriteFileAtomic(dir_ + "/pod/" + name + "/0.log", ""));
    return id;
  }
  // The runtime writes to the live log.
  void Write(const std::string& data) { std::ofstream(log_, std::ios::app) << data; }
  // The files of the container's log directory, by name.
  std::vector<std::string> Files() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(fs::path(log_).parent_path())) {
      out.push_back(e.path().filename());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string Read(const std::string& name) {
    return ReadFile(fs::path(log_).parent_path() / name).value_or("<missing>");
  }

  kubelet::testing::FakeClock clock_;
  api::cri::testing::FakeRuntimeService runtime_{&clock_};
  ContainerLogManager manager_{&runtime_, &clock_, ContainerLogPolicy{100, 3}};
  std::string dir_;
  std::string id_;
  std::string log_;
};

TEST(ContainerLogPolicyTest, FromConfig) {
  config::KubeletConfiguration c;
  auto p = LogPolicyFromConfig(c);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->max_size_bytes, 10 * 1024 * 1024);
  EXPECT_EQ(p->max_files, 5);
  c.container_log_max_size = "1Ki";
  c.container_log_max_files = 2;
  EXPECT_EQ(LogPolicyFromConfig(c)->max_size_bytes, 1024);
  c.container_log_max_size = "lots";
  EXPECT_FALSE(LogPolicyFromConfig(c));
}

TEST(ContainerLogPolicyTest, RotationStampIsUtcToTheMillisecond) {
  kubelet::testing::FakeClock clock;
  clock.Advance(std::chrono::hours(13) + std::chrono::minutes(4) + std::chrono::milliseconds(5500));
  EXPECT_EQ(RotationStamp(clock.Now()), "20260101-130405.500");
}

TEST_F(ContainerLogManagerTest, SmallLogIsLeftAlone) {
  Write(std::string(99, 'x'));
  ASSERT_TRUE(manager_.RotateLogs());
  EXPECT_EQ(Files(), (std::vector<std::string>{"0.log"}));
  EXPECT_EQ(runtime_.recorder().CallCount("ReopenContainerLog"), 0);
}

TEST_F(ContainerLogManagerTest, RotatesAtMaxSizeAndTheRuntimeReopens) {
  Write(std::string(100, 'a'));
  ASSERT_TRUE(manager_.RotateLogs());
  EXPECT_EQ(Files(), (std::vector<std::string>{"0.log", "0.log.20260101-000000.000"}));
  EXPECT_EQ(Read("0.log.20260101-000000.000"), std::string(100, 'a'));
  EXPECT_EQ(Read("0.log"), "");  // the fresh file the runtime opened
  EXPECT_EQ(runtime_.recorder().CallCount("ReopenContainerLog"), 1);
}

TEST_F(ContainerLogManagerTest, CompressesOlderFilesAndKeepsAtMostMaxFiles) {
  for (char c : {'a', 'b', 'c', 'd'}) {
    Write(std::string(150, c));
    ASSERT_TRUE(manager_.RotateLogs());
    ASSERT_TRUE(manager_.CompressRotatedLogs());
    clock_.Advance(seconds(10));
  }
  // max_files 3: the live log, the newest rotation uncompressed, one older compressed.
  EXPECT_EQ(Files(), (std::vector<std::string>{"0.log", "0.log.20260101-000020.000.gz",
                                               "0.log.20260101-000030.000"}));
  EXPECT_EQ(Read("0.log.20260101-000030.000"), std::string(150, 'd'));
  EXPECT_EQ(Gunzip(fs::path(log_).parent_path() / "0.log.20260101-000020.000.gz"),
            std::string(150, 'c'));
}

TEST_F(ContainerLogManagerTest, ReopenFailureRenamesTheLogBack) {
  Write(std::string(120, 'a'));
  runtime_.recorder().InjectError("ReopenContainerLog", Error(Code::kUnavailable, "busy"));
  ASSERT_TRUE(manager_.RotateLogs());
  EXPECT_EQ(Files(), (std::vector<std::string>{"0.log"}));
  EXPECT_EQ(Read("0.log"), std::string(120, 'a'));
  // The next round succeeds.
  clock_.Advance(seconds(1));
  ASSERT_TRUE(manager_.RotateLogs());
  EXPECT_EQ(Files(), (std::vector<std::string>{"0.log", "0.log.20260101-000001.000"}));
}

TEST_F(ContainerLogManagerTest, RotatesAtMostOncePerStamp) {
  Write(std::string(100, 'a'));
  ASSERT_TRUE(manager_.RotateLogs());
  Write(std::string(100, 'b'));
  ASSERT_TRUE(manager_.RotateLogs());  // same stamp: waits
  EXPECT_EQ(Read("0.log"), std::string(100, 'b'));
  clock_.Advance(seconds(1));
  ASSERT_TRUE(manager_.RotateLogs());
  // Rotation itself never compresses: that is CompressRotatedLogs's job, run beside it.
  EXPECT_EQ(Files(), (std::vector<std::string>{"0.log", "0.log.20260101-000000.000",
                                               "0.log.20260101-000001.000"}));
  ASSERT_TRUE(manager_.CompressRotatedLogs());
  EXPECT_EQ(Files(), (std::vector<std::string>{"0.log", "0.log.20260101-000000.000.gz",
                                               "0.log.20260101-000001.000"}));
  EXPECT_EQ(Gunzip(fs::path(log_).parent_path() / "0.log.20260101-000000.000.gz"),
            std::string(100, 'a'));
}

TEST_F(ContainerLogManagerTest, CompressionSkipsFilesRemovedMeanwhileAndKeepsTheNewestPlain) {
  for (char c : {'a', 'b'}) {
    Write(std::string(150, c));
    ASSERT_TRUE(manager_.RotateLogs());
    clock_.Advance(seconds(1));
  }
  // Only the older rotated file is compressed.
  ASSERT_TRUE(manager_.CompressRotatedLogs());
  EXPECT_EQ(Files(), (std::vector<std::string>{"0.log", "0.log.20260101-000000.000.gz",
                                               "0.log.20260101-000001.000"}));
  // A file pruned while (or before) compression runs leaves no output behind.
  Write(std::string(150, 'c'));
  ASSERT_TRUE(manager_.RotateLogs());  // prunes the .gz; 000001 and 000002 stay plain
  fs::remove(fs::path(log_).parent_path() / "0.log.20260101-000001.000");
  ASSERT_TRUE(manager_.CompressRotatedLogs());
  EXPECT_EQ(Files(), (std::vector<std::string>{"0.log", "0.log.20260101-000002.000"}));
}

TEST_F(ContainerLogManagerTest, FastLoggersAreCheckedBetweenRoundsWithoutCallingTheRuntime) {
  Write(std::string(50, 'a'));  // half the limit in one round: a fast logger
  ASSERT_TRUE(manager_.RotateLogs());
  int lists = runtime_.recorder().CallCount("ListContainers");
  Write(std::string(60, 'b'));
  clock_.Advance(std::chrono::milliseconds(100));
  manager_.CheckFastLoggers();
  EXPECT_EQ(Files(), (std::vector<std::string>{"0.log", "0.log.20260101-000000.100"}));
  EXPECT_EQ(runtime_.recorder().CallCount("ListContainers"), lists);
  EXPECT_EQ(runtime_.recorder().CallCount("ReopenContainerLog"), 1);
}

TEST_F(ContainerLogManagerTest, AFastLoggerThatExitedIsLeftAlone) {
  Write(std::string(50, 'a'));
  ASSERT_TRUE(manager_.RotateLogs());  // a fast logger
  Write(std::string(60, 'b'));
  ASSERT_TRUE(runtime_.ExitContainer(id_, 1));
  ASSERT_TRUE(manager_.RotateLogs());  // sees it exited
  manager_.CheckFastLoggers();
  // No rename-and-back dance against a runtime that cannot reopen an exited container's log.
  EXPECT_EQ(Files(), (std::vector<std::string>{"0.log"}));
  EXPECT_EQ(runtime_.recorder().CallCount("ReopenContainerLog"), 0);
}

TEST_F(ContainerLogManagerTest, SlowLoggersWaitForTheNextRound) {
  Write(std::string(5, 'a'));
  ASSERT_TRUE(manager_.RotateLogs());
  Write(std::string(200, 'b'));
  manager_.CheckFastLoggers();
  EXPECT_EQ(Files(), (std::vector<std::string>{"0.log"}));
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(manager_.RotateLogs());
  EXPECT_EQ(Files().size(), 2u);
}

TEST_F(ContainerLogManagerTest, ExitedContainersAreNotRotated) {
  Write(std::string(500, 'a'));
  ASSERT_TRUE(runtime_.ExitContainer(id_, 0));
  ASSERT_TRUE(manager_.RotateLogs());
  EXPECT_EQ(Files(), (std::vector<std::string>{"0.log"}));
}

TEST_F(ContainerLogManagerTest, MissingLiveLogIsReopened) {
  fs::remove(log_);
  ASSERT_TRUE(manager_.RotateLogs());
  EXPECT_EQ(runtime_.recorder().CallCount("ReopenContainerLog"), 1);
  EXPECT_TRUE(fs::exists(log_));
}

TEST_F(ContainerLogManagerTest, LeftoversOfAnInterruptedRoundAreRemoved) {
  std::string old = log_ + ".20251231-000000";
  ASSERT_TRUE(WriteFileAtomic(old, "compressed but not removed"));
  ASSERT_TRUE(WriteFileAtomic(old + ".gz", "x"));
  ASSERT_TRUE(WriteFileAtomic(log_ + ".20251231-000001.tmp", "half a compression"));
  ASSERT_TRUE(manager_.RotateLogs());  // first sight of the container
  EXPECT_EQ(Files(), (std::vector<std::string>{"0.log", "0.log.20251231-000000.gz"}));
}

TEST_F(ContainerLogManagerTest, RotatedFilesOfRemovedContainersAreRemoved) {
  Write(std::string(100, 'a'));
  ASSERT_TRUE(manager_.RotateLogs());
  ASSERT_EQ(Files().size(), 2u);
  v1::StopContainerRequest stop;
  stop.set_container_id(id_);
  ASSERT_TRUE(runtime_.StopContainer(stop));
  v1::RemoveContainerRequest rm;
  rm.set_container_id(id_);
  ASSERT_TRUE(runtime_.RemoveContainer(rm));
  ASSERT_TRUE(manager_.RotateLogs());
  EXPECT_EQ(Files(), (std::vector<std::string>{"0.log"}));
}

TEST_F(ContainerLogManagerTest, CleanRemovesTheLiveAndRotatedLogs) {
  Write(std::string(100, 'a'));
  ASSERT_TRUE(manager_.RotateLogs());
  ASSERT_TRUE(manager_.Clean(id_));
  EXPECT_TRUE(Files().empty());
  EXPECT_TRUE(manager_.Clean("no-such-container"));  // idempotent
}

TEST_F(ContainerLogManagerTest, ChecksAreOneStatPerContainer) {
  StartContainer("sidecar");
  ASSERT_TRUE(manager_.RotateLogs());
  runtime_.recorder().ClearCalls();
  ASSERT_TRUE(manager_.RotateLogs());
  ASSERT_TRUE(manager_.RotateLogs());
  // Log paths are cached: only the listing goes to the runtime.
  EXPECT_EQ(runtime_.recorder().Calls(),
            (std::vector<std::string>{"ListContainers", "ListContainers"}));
}

}  // namespace
}  // namespace capstan::kubelet::logs
