// configMap, secret, downwardAPI and projected volumes: payload rules, the plugins through
// the VolumeManager, and updates reaching a volume already set up.
#include "kubelet/volumes/data_volumes.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/k8s/codec.h"
#include "kubelet/volumes/volume_manager.h"
#include "tests/kubelet/test_pods.h"

namespace capstan::kubelet::volumes {
namespace {

namespace fs = std::filesystem;
using Objects = std::map<std::string, std::map<std::string, std::string>>;  // "Kind/name"

class RecordingMounter : public Mounter {
 public:
  Status MountTmpfs(const std::string& target, const std::string&) override {
    mounts.insert(target);
    return Ok();
  }
  Status BindMount(const std::string&, const std::string& target) override {
    mounts.insert(target);
    return Ok();
  }
  Status Unmount(const std::string& target) override {
    mounts.erase(target);
    return Ok();
  }
  bool IsMountPoint(const std::string& path) const override { return mounts.contains(path); }
  std::set<std::string> mounts;
};

class DataVolumesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-datavol-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    sources_.object_data =
        [this](const std::string& kind, const std::string& ns,
               const std::string& name) -> Result<std::map<std::string, std::string>> {
      lookups_.push_back(kind + " " + ns + "/" + name);
      auto it = objects_.find(kind + "/" + name);
      if (it == objects_.end()) {
        return Fail(Code::kNotFound, "{} \"{}\" not found", kind, name);
      }
      return it->second;
    };
    sources_.service_account_token =
        [this](const api::k8s::Pod& pod,
               const api::k8s::ServiceAccountTokenProjection& p) -> Result<std::string> {
      return "token-for-" + pod.metadata.name + "-" + std::to_string(++tokens_issued_) + "-" +
             std::to_string(p.expiration_seconds.value_or(0));
    };
    sources_.node_allocatable["memory"] = api::k8s::Quantity::FromUnits(8LL << 30);
    root_ = dir_ + "/root";
    manager_ = std::make_unique<VolumeManager>(root_);
    ASSERT_TRUE(manager_->RegisterPlugin(NewConfigMapPlugin(root_, &mounter_, &sources_)));
    ASSERT_TRUE(manager_->RegisterPlugin(NewSecretPlugin(root_, &mounter_, &sources_)));
    ASSERT_TRUE(manager_->RegisterPlugin(NewDownwardApiPlugin(root_, &mounter_, &sources_)));
    ASSERT_TRUE(manager_->RegisterPlugin(NewProjectedPlugin(root_, &mounter_, &sources_)));
  }
  void TearDown() override { fs::remove_all(dir_); }

  api::k8s::Pod Pod(const std::string& volumes) {
    return testing::PodFromYaml(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n  uid: u1\n"
        "  labels: {app: web, tier: \"front\\\"end\"}\n"
        "spec:\n  containers:\n  - name: app\n    image: b\n"
        "    resources: {limits: {memory: 64Mi}, requests: {cpu: 250m}}\n"
        "  volumes:\n" +
        volumes);
  }
  static std::string Slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static int Mode(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
  }

  std::string dir_, root_;
  Objects objects_;
  std::vector<std::string> lookups_;
  int tokens_issued_ = 0;
  DataSources sources_;
  RecordingMounter mounter_;
  std::unique_ptr<VolumeManager> manager_;
};

TEST_F(DataVolumesTest, ConfigMapEveryKeyAtItsOwnName) {
  objects_["ConfigMap/game"] = {{"lives", "3"}, {"ui.properties", "color=red\n"}};
  auto pod = Pod("  - {name: cfg, configMap: {name: game}}\n");
  auto paths = manager_->MountPod(pod);
  ASSERT_TRUE(paths) << paths.error().message();
  std::string vol = paths->at("cfg");
  EXPECT_EQ(vol, root_ + "/pods/u1/volumes/kubernetes.io~configmap/cfg");
  EXPECT_EQ(Slurp(vol + "/lives"), "3");
  EXPECT_EQ(Slurp(vol + "/ui.properties"), "color=red\n");
  EXPECT_EQ(Mode(vol + "/lives"), 0644);  // defaultMode's default
  EXPECT_EQ(lookups_, std::vector<std::string>{"ConfigMap shop/game"});
  EXPECT_TRUE(mounter_.mounts.empty());  // configMaps stay on disk
}

TEST_F(DataVolumesTest, ItemsPickKeysPathsAndModes) {
  objects_["ConfigMap/game"] = {{"lives", "3"}, {"secret-level", "9"}};
  auto pod =
      Pod("  - name: cfg\n    configMap:\n      name: game\n      defaultMode: 0440\n"
          "      items: [{key: lives, path: conf/lives.txt}, {key: secret-level, path: lvl, "
          "mode: 0600}]\n");
  auto paths = manager_->MountPod(pod);
  ASSERT_TRUE(paths) << paths.error().message();
  std::string vol = paths->at("cfg");
  EXPECT_EQ(Slurp(vol + "/conf/lives.txt"), "3");
  EXPECT_EQ(Mode(vol + "/conf/lives.txt"), 0440);
  EXPECT_EQ(Mode(vol + "/lvl"), 0600);
  EXPECT_FALSE(fs::exists(fs::symlink_status(vol + "/lives")));  // not listed: not projected
}

TEST_F(DataVolumesTest, MissingObjectsAndKeysFailUnlessOptional) {
  auto missing = manager_->MountPod(Pod("  - {name: cfg, configMap: {name: nope}}\n"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(),
            "MountVolume.SetUp failed for volume \"cfg\" : configmap \"nope\" not found");
  objects_["ConfigMap/game"] = {{"lives", "3"}};
  auto key = manager_->MountPod(
      Pod("  - {name: cfg, configMap: {name: game, items: [{key: level, path: l}]}}\n"));
  ASSERT_FALSE(key);
  EXPECT_NE(key.error().message().find("configmap references non-existent config key: level"),
            std::string::npos);
  auto secret = manager_->MountPod(Pod("  - {name: s, secret: {secretName: db}}\n"));
  ASSERT_FALSE(secret);
  EXPECT_NE(secret.error().message().find("secret \"db\" not found"), std::string::npos);

  auto optional = manager_->MountPod(Pod(
      "  - {name: cfg, configMap: {name: nope, optional: true}}\n"
      "  - {name: s, secret: {secretName: game, optional: true, items: [{key: k, path: k}]}}\n"));
  ASSERT_TRUE(optional) << optional.error().message();
  EXPECT_TRUE(fs::is_empty(optional->at("cfg")) || fs::is_symlink(optional->at("cfg") + "/..data"));
}

TEST_F(DataVolumesTest, SecretsLiveOnTmpfs) {
  objects_["Secret/db"] = {{"password", "s3cr3t"}};
  auto paths = manager_->MountPod(Pod("  - {name: creds, secret: {secretName: db}}\n"));
  ASSERT_TRUE(paths) << paths.error().message();
  std::string vol = paths->at("creds");
  EXPECT_TRUE(mounter_.mounts.contains(vol));
  EXPECT_EQ(Slurp(vol + "/password"), "s3cr3t");
  auto pod = Pod("  - {name: creds, secret: {secretName: db}}\n");
  ASSERT_TRUE(manager_->UnmountPod(pod));
  EXPECT_FALSE(mounter_.mounts.contains(vol));
  EXPECT_FALSE(fs::exists(vol));
}

TEST_F(DataVolumesTest, ChangedObjectReachesTheVolumeOnRemount) {
  objects_["ConfigMap/game"] = {{"lives", "3"}, {"mode", "easy"}};
  objects_["Secret/db"] = {{"password", "one"}};
  auto pod =
      Pod("  - {name: cfg, configMap: {name: game}}\n"
          "  - {name: creds, secret: {secretName: db}}\n");
  auto paths = manager_->MountPod(pod);
  ASSERT_TRUE(paths) << paths.error().message();
  EXPECT_TRUE(manager_->HasRemountableVolumes(pod));
  std::string cfg = paths->at("cfg");
  std::string before = fs::read_symlink(cfg + "/..data");

  // Unchanged: nothing rewritten.
  ASSERT_TRUE(manager_->RemountPod(pod));
  EXPECT_EQ(fs::read_symlink(cfg + "/..data").string(), before);

  objects_["ConfigMap/game"] = {{"lives", "5"}, {"hard", "yes"}};
  objects_["Secret/db"] = {{"password", "two"}};
  ASSERT_TRUE(manager_->RemountPod(pod));
  EXPECT_NE(fs::read_symlink(cfg + "/..data").string(), before);
  EXPECT_EQ(Slurp(cfg + "/lives"), "5");
  EXPECT_EQ(Slurp(cfg + "/hard"), "yes");
  EXPECT_FALSE(fs::exists(fs::symlink_status(cfg + "/mode")));  // the removed key is gone
  EXPECT_EQ(Slurp(paths->at("creds") + "/password"), "two");
}

// While the API server is away (or the object is deleted) a volume already set up keeps
// what it has, so the pod's containers are still synced.
TEST_F(DataVolumesTest, SetUpVolumeKeepsServingWhenTheObjectCannotBeRead) {
  objects_["ConfigMap/game"] = {{"lives", "3"}};
  auto pod = Pod("  - {name: cfg, configMap: {name: game}}\n");
  auto first = manager_->MountPod(pod);
  ASSERT_TRUE(first) << first.error().message();
  objects_.clear();
  auto again = manager_->MountPod(pod);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(Slurp(again->at("cfg") + "/lives"), "3");
}

// Contents follow the API, never the container: the modes keep no setuid bits, and a
// ..data that points anywhere but a generation of ours is not followed.
TEST_F(DataVolumesTest, HostileModesAndLinksAreNotHonoured) {
  objects_["ConfigMap/game"] = {{"run", "#!/bin/sh"}};
  auto pod = Pod("  - {name: cfg, configMap: {name: game, defaultMode: 2541}}\n");  // 04755
  auto paths = manager_->MountPod(pod);
  ASSERT_TRUE(paths) << paths.error().message();
  std::string vol = paths->at("cfg");
  EXPECT_EQ(Mode(vol + "/run"), 0755);
  fs::remove(vol + "/..data");
  fs::create_directory_symlink("/", vol + "/..evil");
  fs::create_symlink("..evil", vol + "/..data");
  AtomicWriter w(vol);
  EXPECT_TRUE(w.Read()->empty());  // not ours: nothing read through it
}

TEST_F(DataVolumesTest, RemountLeavesTornDownVolumesAlone) {
  objects_["ConfigMap/game"] = {{"lives", "3"}};
  auto pod = Pod("  - {name: cfg, configMap: {name: game}}\n");
  ASSERT_TRUE(manager_->MountPod(pod));
  ASSERT_TRUE(manager_->UnmountPod(pod));
  ASSERT_TRUE(manager_->RemountPod(pod));
  EXPECT_FALSE(fs::exists(root_ + "/pods/u1"));
}

TEST_F(DataVolumesTest, DownwardApiFiles) {
  auto pod =
      Pod("  - name: info\n    downwardAPI:\n      items:\n"
          "      - {path: name, fieldRef: {fieldPath: metadata.name}}\n"
          "      - {path: ns, fieldRef: {fieldPath: metadata.namespace}}\n"
          "      - {path: labels, fieldRef: {fieldPath: metadata.labels}}\n"
          "      - {path: app, fieldRef: {fieldPath: \"metadata.labels['app']\"}}\n"
          "      - {path: mem, resourceFieldRef: {containerName: app, resource: limits.memory, "
          "divisor: 1Mi}}\n");
  auto paths = manager_->MountPod(pod);
  ASSERT_TRUE(paths) << paths.error().message();
  std::string vol = paths->at("info");
  EXPECT_EQ(Slurp(vol + "/name"), "web");
  EXPECT_EQ(Slurp(vol + "/ns"), "shop");
  EXPECT_EQ(Slurp(vol + "/labels"), "app=\"web\"\ntier=\"front\\\"end\"");
  EXPECT_EQ(Slurp(vol + "/app"), "web");
  EXPECT_EQ(Slurp(vol + "/mem"), "64");

  auto status_field =
      manager_->MountPod(Pod("  - {name: ip, downwardAPI: {items: [{path: ip, fieldRef: "
                             "{fieldPath: status.podIP}}]}}\n"));
  EXPECT_FALSE(status_field);
}

// What upstream's ServiceAccount admission plugin mounts in every pod.
TEST_F(DataVolumesTest, ProjectedServiceAccountVolume) {
  objects_["ConfigMap/kube-root-ca.crt"] = {{"ca.crt", "-----BEGIN CERTIFICATE-----\n"}};
  auto pod =
      Pod("  - name: kube-api-access-x1y2z\n    projected:\n      defaultMode: 420\n"
          "      sources:\n"
          "      - serviceAccountToken: {expirationSeconds: 3607, path: token}\n"
          "      - configMap: {name: kube-root-ca.crt, items: [{key: ca.crt, path: ca.crt}]}\n"
          "      - downwardAPI: {items: [{path: namespace, fieldRef: {apiVersion: v1, fieldPath: "
          "metadata.namespace}}]}\n");
  auto paths = manager_->MountPod(pod);
  ASSERT_TRUE(paths) << paths.error().message();
  std::string vol = paths->at("kube-api-access-x1y2z");
  EXPECT_EQ(vol, root_ + "/pods/u1/volumes/kubernetes.io~projected/kube-api-access-x1y2z");
  EXPECT_TRUE(mounter_.mounts.contains(vol));
  EXPECT_EQ(Slurp(vol + "/token"), "token-for-web-1-3607");
  EXPECT_EQ(Slurp(vol + "/ca.crt"), "-----BEGIN CERTIFICATE-----\n");
  EXPECT_EQ(Slurp(vol + "/namespace"), "shop");
  EXPECT_EQ(Mode(vol + "/token"), 0644);
  // A refreshed token (the token source decides when) is written on remount.
  ASSERT_TRUE(manager_->RemountPod(pod));
  EXPECT_EQ(Slurp(vol + "/token"), "token-for-web-2-3607");
}

TEST_F(DataVolumesTest, StaticPodsCannotUseApiData) {
  DataSources none;
  VolumeManager m(root_);
  ASSERT_TRUE(m.RegisterPlugin(NewConfigMapPlugin(root_, &mounter_, &none)));
  auto r = m.MountPod(Pod("  - {name: cfg, configMap: {name: game}}\n"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("need an API server"), std::string::npos);
}

TEST_F(DataVolumesTest, CodecRoundTripsTheSources) {
  auto pod = Pod(
      "  - {name: a, configMap: {name: c, optional: true, items: [{key: k, path: p, mode: 256}]}}\n"
      "  - {name: b, secret: {secretName: s, defaultMode: 256}}\n"
      "  - {name: c, projected: {sources: [{secret: {name: s2}}, {serviceAccountToken: "
      "{audience: vault, path: t}}]}}\n");
  auto json = api::k8s::EncodePod(pod);
  EXPECT_EQ(json["spec"]["volumes"][0]["configMap"]["items"][0]["mode"], 256);
  EXPECT_EQ(json["spec"]["volumes"][1]["secret"]["secretName"], "s");
  EXPECT_EQ(json["spec"]["volumes"][2]["projected"]["sources"][0]["secret"]["name"], "s2");
  EXPECT_EQ(
      json["spec"]["volumes"][2]["projected"]["sources"][1]["serviceAccountToken"]["audience"],
      "vault");
  EXPECT_EQ(json["spec"]["volumes"][2]["projected"]["defaultMode"], 420);
  auto back = api::k8s::DecodePod(json);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(api::k8s::EncodePod(*back), json);
}

}  // namespace
}  // namespace capstan::kubelet::volumes
