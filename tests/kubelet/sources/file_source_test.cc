// Static pods from a directory: added, changed, removed and bad files, on a temp dir with
// the real inotify watch.
#include "kubelet/sources/file/file_source.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "kubelet/sources/file/manifest.h"

namespace capstan::kubelet::sources {
namespace {

constexpr const char* kNginx = R"(apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: busybox:1.36
)";

class FileSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-manifests-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override {
    source_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Write(const std::string& name, const std::string& text) {
    // Written aside and renamed in, as editors and config tools do.
    std::string tmp = dir_ + "/." + name + ".tmp";
    std::ofstream(tmp) << text;
    std::filesystem::rename(tmp, dir_ + "/" + name);
  }
  void Start() {
    source_ = std::make_unique<FileSource>(dir_, "node-1", &config_, &clock_);
    source_->Start();
  }
  // Waits (up to 5 s) for the next batch of updates.
  std::vector<PodUpdate> Next() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      config_.WaitForUpdates(std::chrono::milliseconds(100));
      auto u = config_.Drain();
      if (!u.empty()) {
        return u;
      }
    }
    return {};
  }

  std::string dir_;
  RealClock clock_;
  PodConfig config_;
  std::unique_ptr<FileSource> source_;
};

TEST_F(FileSourceTest, AddChangeRemoveWithinASecond) {
  Write("web.yaml", kNginx);
  Start();
  auto u = Next();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].op, PodOperation::kAdd);
  const api::k8s::Pod& pod = u[0].pods.at(0);
  EXPECT_EQ(pod.metadata.name, "web-node-1");
  EXPECT_EQ(pod.metadata.namespace_, "default");
  EXPECT_EQ(pod.spec.node_name, "node-1");
  EXPECT_EQ(pod.metadata.uid.size(), 32u);  // md5 hex
  EXPECT_EQ(pod.metadata.annotations.at(kConfigHashAnnotation), pod.metadata.uid);
  EXPECT_EQ(pod.metadata.annotations.at(kConfigSourceAnnotation), "file");
  EXPECT_EQ(pod.spec.restart_policy, "Always");  // defaulted
  std::string old_uid = pod.metadata.uid;

  // A JSON manifest beside it.
  Write("db.json", R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"db"},
    "spec":{"containers":[{"name":"db","image":"busybox"}]}})");
  auto start = std::chrono::steady_clock::now();
  u = Next();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].op, PodOperation::kAdd);
  EXPECT_EQ(u[0].pods[0].metadata.name, "db-node-1");

  // A changed spec is a new pod: the old one goes, the new one comes.
  std::string changed = kNginx;
  changed.replace(changed.find("1.36"), 4, "1.37");
  Write("web.yaml", changed);
  u = Next();
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[0].op, PodOperation::kRemove);
  EXPECT_EQ(u[0].pods[0].metadata.uid, old_uid);
  EXPECT_EQ(u[1].op, PodOperation::kAdd);
  EXPECT_NE(u[1].pods[0].metadata.uid, old_uid);
  EXPECT_EQ(u[1].pods[0].spec.containers[0].image, "busybox:1.37");

  std::filesystem::remove(dir_ + "/db.json");
  u = Next();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].op, PodOperation::kRemove);
  EXPECT_EQ(u[0].pods[0].metadata.name, "db-node-1");
}

TEST_F(FileSourceTest, BadFilesAreReportedAndSkippedWithoutTouchingOthers) {
  Write("web.yaml", kNginx);
  Write("broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: [\n");
  Write("invalid.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\n"
        "spec: {containers: [{name: a, image: b}]}\n");
  Write(".hidden.yaml", "not even yaml: [");
  Start();
  auto u = Next();
  ASSERT_EQ(u.size(), 1u);
  ASSERT_EQ(u[0].pods.size(), 1u);
  EXPECT_EQ(u[0].pods[0].metadata.name, "web-node-1");
  auto errors = source_->Errors();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].path.find("broken.yaml"), std::string::npos);
  EXPECT_NE(errors[1].message.find("metadata.name"), std::string::npos);

  // Breaking a good file keeps its pod as it was; fixing the bad one adds its pod.
  Write("web.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: 3}\n");
  Write("broken.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n"
        "spec: {containers: [{name: a, image: busybox}]}\n");
  u = Next();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].op, PodOperation::kAdd);
  EXPECT_EQ(u[0].pods[0].metadata.name, "x-node-1");
  errors = source_->Errors();
  bool web_reported = false;
  for (const auto& e : errors) {
    web_reported |=
        e.path.ends_with("web.yaml") && e.message.find("spec.containers") != std::string::npos;
  }
  EXPECT_TRUE(web_reported);
}

TEST_F(FileSourceTest, DuplicateNamesAndAMissingDirectory) {
  Write("a.yaml", kNginx);
  Write("b.yaml", std::string(kNginx) + "  restartPolicy: Never\n");
  Start();
  auto u = Next();
  ASSERT_EQ(u.size(), 1u);
  ASSERT_EQ(u[0].pods.size(), 1u);  // a.yaml wins
  EXPECT_EQ(u[0].pods[0].spec.restart_policy, "Always");
  ASSERT_EQ(source_->Errors().size(), 1u);
  EXPECT_NE(source_->Errors()[0].message.find("duplicate"), std::string::npos);
  source_.reset();

  // A directory that appears later is picked up.
  std::filesystem::remove_all(dir_);
  PodConfig config;
  FileSource late(dir_, "node-1", &config, &clock_);
  late.Start();
  EXPECT_TRUE(config.SourceReady("file"));
  std::filesystem::create_directories(dir_);
  std::ofstream(dir_ + "/web.yaml") << kNginx;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::vector<PodUpdate> got;
  while (got.empty() && std::chrono::steady_clock::now() < deadline) {
    config.WaitForUpdates(std::chrono::milliseconds(100));
    got = config.Drain();
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].pods[0].metadata.name, "web-node-1");
}

TEST(ManifestTest, UidDependsOnContentNodeAndFile) {
  WallTime t{};
  auto a = StaticPodsFromManifest(kNginx, "/m/web.yaml", "node-1", t);
  ASSERT_TRUE(a) << a.error().message();
  auto same = StaticPodsFromManifest(kNginx, "/m/web.yaml", "node-1", t);
  auto other_node = StaticPodsFromManifest(kNginx, "/m/web.yaml", "node-2", t);
  auto other_file = StaticPodsFromManifest(kNginx, "/m/web2.yaml", "node-1", t);
  EXPECT_EQ((*a)[0].metadata.uid, (*same)[0].metadata.uid);
  EXPECT_NE((*a)[0].metadata.uid, (*other_node)[0].metadata.uid);
  EXPECT_NE((*a)[0].metadata.uid, (*other_file)[0].metadata.uid);
  // A uid given in the manifest is kept.
  auto fixed = StaticPodsFromManifest(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: a, uid: my-uid}\n"
      "spec: {containers: [{name: a, image: b}]}\n",
      "/m/a.yaml", "n", t);
  ASSERT_TRUE(fixed);
  EXPECT_EQ((*fixed)[0].metadata.uid, "my-uid");
  EXPECT_FALSE(StaticPodsFromManifest("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n",
                                      "/m/a.yaml", "n", t));  // no containers
}

}  // namespace
}  // namespace capstan::kubelet::sources
