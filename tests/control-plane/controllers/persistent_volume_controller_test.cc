// PersistentVolumeController and StorageProtectionController over the fake API: claims bind
// (or wait with upstream's events), released volumes are reclaimed by their policy, and
// claims in use outlive their deletion until the pod goes.
#include "control-plane/controllers/persistent_volume_controller.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "control-plane/controllers/storage_protection_controller.h"
#include "tests/control-plane/controllers/fixture.h"

namespace capstan::control_plane::controllers {
namespace {

using client::resources::kPersistentVolumeClaims;
using client::resources::kPersistentVolumes;
using client::resources::kPods;
using client::resources::kStorageClasses;

Json Volume(const std::string& name, const std::string& size, const std::string& path,
            const std::string& policy = "Retain") {
  return {{"apiVersion", "v1"},
          {"kind", "PersistentVolume"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"capacity", {{"storage", size}}},
            {"accessModes", {"ReadWriteOnce"}},
            {"persistentVolumeReclaimPolicy", policy},
            {"hostPath", {{"path", path}}}}}};
}

Json Claim(const std::string& name, const std::string& size, Json extra = Json::object()) {
  Json c = {
      {"apiVersion", "v1"},
      {"kind", "PersistentVolumeClaim"},
      {"metadata", {{"name", name}, {"namespace", "default"}}},
      {"spec",
       {{"accessModes", {"ReadWriteOnce"}}, {"resources", {{"requests", {{"storage", size}}}}}}}};
  c["spec"].update(extra);
  return c;
}

class PersistentVolumeTest : public ControllerFixture {
 protected:
  void SetUp() override {
    ControllerFixture::SetUp();
    char tmpl[] = "/tmp/capstan-pv-test.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  // Lists, then syncs every claim and volume until nothing changes (each write is a step).
  void Settle() {
    for (int round = 0; round < 6; ++round) {
      Sync(claims_);
      Sync(volumes_);
      Sync(classes_);
      while (controller_.ProcessNext()) {
      }
    }
  }
  Json Get(const client::Resource& r, const std::string& name) {
    auto o = api_.Get(r, r.namespaced ? "default" : "", name);
    return o ? *o : Json();
  }
  std::string Phase(const client::Resource& r, const std::string& name) {
    Json o = Get(r, name);
    return o.is_null() ? "<gone>" : o["status"].value("phase", "");
  }

  std::string dir_;
  client::Reflector claims_{&api_, kPersistentVolumeClaims, "", {}};
  client::Reflector volumes_{&api_, kPersistentVolumes, "", {}};
  client::Reflector classes_{&api_, kStorageClasses, "", {}};
  PersistentVolumeController controller_{&api_, &clock_, &claims_, &volumes_, &classes_};
};

TEST_F(PersistentVolumeTest, AClaimBindsToTheSmallestFitAndBothSidesSaySo) {
  ASSERT_TRUE(api_.Create(kPersistentVolumes, "", Volume("big", "10Gi", dir_ + "/big")));
  ASSERT_TRUE(api_.Create(kPersistentVolumes, "", Volume("small", "2Gi", dir_ + "/small")));
  ASSERT_TRUE(api_.Create(kPersistentVolumeClaims, "default", Claim("data", "1Gi")));
  Settle();
  Json claim = Get(kPersistentVolumeClaims, "data");
  Json volume = Get(kPersistentVolumes, "small");
  EXPECT_EQ(claim["spec"]["volumeName"], "small");
  EXPECT_EQ(claim["status"]["phase"], "Bound");
  EXPECT_EQ(claim["status"]["capacity"]["storage"], "2Gi");
  EXPECT_EQ(claim["metadata"]["annotations"]["pv.kubernetes.io/bind-completed"], "yes");
  EXPECT_EQ(volume["spec"]["claimRef"]["name"], "data");
  EXPECT_EQ(volume["spec"]["claimRef"]["uid"], claim["metadata"]["uid"]);
  EXPECT_EQ(volume["status"]["phase"], "Bound");
  EXPECT_EQ(Phase(kPersistentVolumes, "big"), "Available");
}

TEST_F(PersistentVolumeTest, APendingClaimBindsWhenAFittingVolumeAppears) {
  ASSERT_TRUE(api_.Create(kPersistentVolumes, "", Volume("small", "1Gi", dir_ + "/s")));
  ASSERT_TRUE(api_.Create(kPersistentVolumeClaims, "default", Claim("large", "5Gi")));
  Settle();
  EXPECT_EQ(Phase(kPersistentVolumeClaims, "large"), "Pending");
  EXPECT_EQ(EventMessages("FailedBinding"),
            std::vector<std::string>{
                "no persistent volumes available for this claim and no storage class is set"});
  ASSERT_TRUE(api_.Create(kPersistentVolumes, "", Volume("roomy", "5Gi", dir_ + "/r")));
  Settle();
  EXPECT_EQ(Phase(kPersistentVolumeClaims, "large"), "Bound");
  EXPECT_EQ(Get(kPersistentVolumeClaims, "large")["spec"]["volumeName"], "roomy");
}

TEST_F(PersistentVolumeTest, ClassesWithoutVolumesSayWhy) {
  ASSERT_TRUE(api_.Create(kPersistentVolumeClaims, "default",
                          Claim("nowhere", "1Gi", {{"storageClassName", "missing"}})));
  ASSERT_TRUE(
      api_.Create(kStorageClasses, "",
                  {{"metadata", {{"name", "csi"}}}, {"provisioner", "hostpath.csi.k8s.io"}}));
  ASSERT_TRUE(api_.Create(kStorageClasses, "",
                          {{"metadata", {{"name", "late"}}},
                           {"provisioner", "hostpath.csi.k8s.io"},
                           {"volumeBindingMode", "WaitForFirstConsumer"}}));
  ASSERT_TRUE(api_.Create(kPersistentVolumeClaims, "default",
                          Claim("dynamic", "1Gi", {{"storageClassName", "csi"}})));
  ASSERT_TRUE(api_.Create(kPersistentVolumeClaims, "default",
                          Claim("delayed", "1Gi", {{"storageClassName", "late"}})));
  Settle();
  EXPECT_EQ(EventMessages("ProvisioningFailed"),
            std::vector<std::string>{"storageclass.storage.k8s.io \"missing\" not found"});
  EXPECT_EQ(EventMessages("ExternalProvisioning"),
            std::vector<std::string>{
                "Waiting for a volume to be created either by the external provisioner "
                "'hostpath.csi.k8s.io' or manually by the system administrator. If volume "
                "creation is delayed, please verify that the provisioner is running and "
                "correctly registered."});
  EXPECT_EQ(Get(kPersistentVolumeClaims,
                "dynamic")["metadata"]["annotations"]["volume.kubernetes.io/storage-provisioner"],
            "hostpath.csi.k8s.io");
  EXPECT_EQ(EventMessages("WaitForFirstConsumer"),
            std::vector<std::string>{"waiting for first consumer to be created before binding"});
  for (const char* c : {"nowhere", "dynamic", "delayed"}) {
    EXPECT_EQ(Phase(kPersistentVolumeClaims, c), "Pending") << c;
  }
}

TEST_F(PersistentVolumeTest, ReleasedVolumesAreKeptDeletedOrRecycledByPolicy) {
  for (const char* name : {"kept", "deleted", "recycled"}) {
    std::filesystem::create_directories(dir_ + "/" + name);
    std::ofstream(dir_ + "/" + name + "/file") << "data";
  }
  ASSERT_TRUE(api_.Create(kPersistentVolumes, "", Volume("kept", "1Gi", dir_ + "/kept")));
  ASSERT_TRUE(
      api_.Create(kPersistentVolumes, "", Volume("deleted", "2Gi", dir_ + "/deleted", "Delete")));
  ASSERT_TRUE(api_.Create(kPersistentVolumes, "",
                          Volume("recycled", "3Gi", dir_ + "/recycled", "Recycle")));
  ASSERT_TRUE(
      api_.Create(kPersistentVolumeClaims, "default", Claim("a", "1Gi", {{"volumeName", "kept"}})));
  ASSERT_TRUE(api_.Create(kPersistentVolumeClaims, "default",
                          Claim("b", "1Gi", {{"volumeName", "deleted"}})));
  ASSERT_TRUE(api_.Create(kPersistentVolumeClaims, "default",
                          Claim("c", "1Gi", {{"volumeName", "recycled"}})));
  Settle();
  for (const char* name : {"kept", "deleted", "recycled"}) {
    ASSERT_EQ(Phase(kPersistentVolumes, name), "Bound") << name;
  }
  for (const char* claim : {"a", "b", "c"}) {
    ASSERT_TRUE(api_.Delete(kPersistentVolumeClaims, "default", claim, 0));
  }
  Settle();
  EXPECT_EQ(Phase(kPersistentVolumes, "kept"), "Released");
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/kept/file"));
  EXPECT_EQ(Phase(kPersistentVolumes, "deleted"), "<gone>");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/deleted"));
  EXPECT_EQ(Phase(kPersistentVolumes, "recycled"), "Available");
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/recycled"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/recycled/file"));
  EXPECT_FALSE(Get(kPersistentVolumes, "recycled")["spec"].contains("claimRef"));
  EXPECT_EQ(EventMessages("VolumeRecycled"), std::vector<std::string>{"Volume recycled"});
}

// The deleter never reaches outside /tmp: not by "..", not through a symlink at the end of
// the path (the link goes, not its target) or in the middle of it. The target is a
// sentinel directory of the test's own outside /tmp, never anything of the system's.
TEST_F(PersistentVolumeTest, DeletionStaysBelowTmp) {
  char tmpl[] = "/var/tmp/capstan-pv-sentinel.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string sentinel = tmpl;
  std::ofstream(sentinel + "/keep") << "precious";
  std::filesystem::create_symlink(sentinel, dir_ + "/link");
  std::string dotdot = dir_ + "/../.." + sentinel;

  EXPECT_FALSE(ScrubHostPath(dotdot, false));
  EXPECT_FALSE(ScrubHostPath(dir_ + "/link/keep", false));
  EXPECT_FALSE(ScrubHostPath("/tmp", false));
  EXPECT_FALSE(ScrubHostPath("/tmp/", false));
  EXPECT_TRUE(ScrubHostPath(dir_ + "/missing/deeper", false));  // gone already: done
  EXPECT_TRUE(std::filesystem::exists(sentinel + "/keep"));

  ASSERT_TRUE(api_.Create(kPersistentVolumes, "", Volume("dotdot", "1Gi", dotdot, "Delete")));
  ASSERT_TRUE(
      api_.Create(kPersistentVolumes, "", Volume("through", "1Gi", dir_ + "/link/keep", "Delete")));
  ASSERT_TRUE(api_.Create(kPersistentVolumes, "", Volume("link", "1Gi", dir_ + "/link", "Delete")));
  Json nfs = Volume("nfs", "1Gi", "", "Delete");
  nfs["spec"].erase("hostPath");
  nfs["spec"]["nfs"] = {{"server", "127.0.0.1"}, {"path", "/export"}};
  ASSERT_TRUE(api_.Create(kPersistentVolumes, "", nfs));
  const char* claims[][2] = {{"a", "dotdot"}, {"b", "through"}, {"c", "link"}, {"d", "nfs"}};
  for (const auto& [claim, volume] : claims) {
    ASSERT_TRUE(api_.Create(kPersistentVolumeClaims, "default",
                            Claim(claim, "1Gi", {{"volumeName", volume}})));
  }
  Settle();
  for (const auto& [claim, volume] : claims) {
    ASSERT_EQ(Phase(kPersistentVolumes, volume), "Bound") << volume;
    ASSERT_TRUE(api_.Delete(kPersistentVolumeClaims, "default", claim, 0));
  }
  Settle();
  EXPECT_EQ(Phase(kPersistentVolumes, "dotdot"), "Failed");
  EXPECT_EQ(Phase(kPersistentVolumes, "through"), "Failed");
  EXPECT_EQ(Phase(kPersistentVolumes, "link"), "<gone>");  // the link itself was removed
  EXPECT_FALSE(std::filesystem::is_symlink(dir_ + "/link"));
  EXPECT_TRUE(std::filesystem::exists(sentinel + "/keep"));
  EXPECT_EQ(Phase(kPersistentVolumes, "nfs"), "Failed");
  auto failed = EventMessages("VolumeFailedDelete");
  EXPECT_NE(std::find(failed.begin(), failed.end(),
                      "error getting deleter volume plugin for volume \"nfs\": no deletable "
                      "volume plugin matched"),
            failed.end());
  EXPECT_NE(std::find(failed.begin(), failed.end(),
                      "host_path deleter only supports /tmp/.+ but received provided " + dotdot),
            failed.end());
  std::filesystem::remove_all(sentinel);
}

// A claim edited after binding (a resize request) stays bound.
TEST_F(PersistentVolumeTest, ABoundClaimIsNotJudgedAgain) {
  ASSERT_TRUE(api_.Create(kPersistentVolumes, "", Volume("v", "1Gi", dir_ + "/v")));
  ASSERT_TRUE(api_.Create(kPersistentVolumeClaims, "default", Claim("data", "1Gi")));
  Settle();
  ASSERT_EQ(Phase(kPersistentVolumeClaims, "data"), "Bound");
  ASSERT_TRUE(api_.Patch(kPersistentVolumeClaims, "default", "data", client::PatchType::kMerge,
                         {{"spec", {{"resources", {{"requests", {{"storage", "5Gi"}}}}}}}}, ""));
  Settle();
  EXPECT_EQ(Phase(kPersistentVolumeClaims, "data"), "Bound");
}

// A claim that names a volume not there yet binds when it appears.
TEST_F(PersistentVolumeTest, AClaimNamingAMissingVolumeBindsWhenItAppears) {
  ASSERT_TRUE(api_.Create(kPersistentVolumeClaims, "default",
                          Claim("data", "1Gi", {{"volumeName", "later"}})));
  Settle();
  EXPECT_EQ(Phase(kPersistentVolumeClaims, "data"), "Pending");
  ASSERT_TRUE(api_.Create(kPersistentVolumes, "", Volume("later", "1Gi", dir_ + "/later")));
  Settle();
  EXPECT_EQ(Phase(kPersistentVolumeClaims, "data"), "Bound");
}

TEST_F(PersistentVolumeTest, ABoundClaimWhoseVolumeGoesIsLost) {
  ASSERT_TRUE(api_.Create(kPersistentVolumes, "", Volume("v", "1Gi", dir_ + "/v")));
  ASSERT_TRUE(api_.Create(kPersistentVolumeClaims, "default", Claim("data", "1Gi")));
  Settle();
  ASSERT_EQ(Phase(kPersistentVolumeClaims, "data"), "Bound");
  ASSERT_TRUE(api_.Delete(kPersistentVolumes, "", "v", 0));
  Settle();
  EXPECT_EQ(Phase(kPersistentVolumeClaims, "data"), "Lost");
  EXPECT_EQ(EventMessages("ClaimLost"),
            std::vector<std::string>{
                "Bound claim has lost its PersistentVolume. Data on the volume is lost!"});
}

class StorageProtectionTest : public ControllerFixture {
 protected:
  void SyncAll() {
    Sync(claims_);
    Sync(volumes_);
    Sync(pods_);
    while (controller_.ProcessNext()) {
    }
  }
  client::Reflector claims_{&api_, kPersistentVolumeClaims, "", {}};
  client::Reflector volumes_{&api_, kPersistentVolumes, "", {}};
  client::Reflector pods_{&api_, kPods, "", {}};
  StorageProtectionController controller_{&api_, &clock_, &claims_, &volumes_, &pods_};
};

TEST_F(StorageProtectionTest, AClaimInUseStaysUntilItsPodIsDeleted) {
  Json claim = Claim("data", "1Gi");
  claim["metadata"]["finalizers"] = {"kubernetes.io/pvc-protection"};
  ASSERT_TRUE(api_.Create(kPersistentVolumeClaims, "default", claim));
  auto user = [](const std::string& name, const std::string& node) {
    Json pod = {
        {"metadata", {{"name", name}, {"namespace", "default"}}},
        {"spec",
         {{"containers", {{{"name", "c"}, {"image", "i"}}}},
          {"volumes", {{{"name", "d"}, {"persistentVolumeClaim", {{"claimName", "data"}}}}}}}}};
    if (!node.empty()) pod["spec"]["nodeName"] = node;
    return pod;
  };
  ASSERT_TRUE(api_.Create(kPods, "default", user("placed", "n1")));
  ASSERT_TRUE(api_.Create(kPods, "default", user("unplaced", "")));
  ASSERT_TRUE(api_.Delete(kPersistentVolumeClaims, "default", "data", 0));
  SyncAll();
  auto held = api_.Get(kPersistentVolumeClaims, "default", "data");
  ASSERT_TRUE(held);  // Terminating
  EXPECT_TRUE((*held)["metadata"].contains("deletionTimestamp"));

  // An ended pod still holds it, as upstream's pvc-protection counts it.
  ASSERT_TRUE(api_.Patch(kPods, "default", "placed", client::PatchType::kMerge,
                         {{"status", {{"phase", "Succeeded"}}}}, "status"));
  SyncAll();
  EXPECT_TRUE(api_.Get(kPersistentVolumeClaims, "default", "data"));
  // Deleted, it does not; the pod no node took never did.
  ASSERT_TRUE(api_.Delete(kPods, "default", "placed", 0));
  SyncAll();
  EXPECT_FALSE(api_.Get(kPersistentVolumeClaims, "default", "data"));
}

TEST_F(StorageProtectionTest, ABoundVolumeStaysUntilReleased) {
  Json volume = Volume("v", "1Gi", "/tmp/x");
  volume["metadata"]["finalizers"] = {"kubernetes.io/pv-protection"};
  volume["status"] = {{"phase", "Bound"}};
  ASSERT_TRUE(api_.Create(kPersistentVolumes, "", volume));
  ASSERT_TRUE(api_.Patch(kPersistentVolumes, "", "v", client::PatchType::kMerge,
                         {{"status", {{"phase", "Bound"}}}}, "status"));
  ASSERT_TRUE(api_.Delete(kPersistentVolumes, "", "v", 0));
  SyncAll();
  EXPECT_TRUE(api_.Get(kPersistentVolumes, "", "v"));
  ASSERT_TRUE(api_.Patch(kPersistentVolumes, "", "v", client::PatchType::kMerge,
                         {{"status", {{"phase", "Released"}}}}, "status"));
  SyncAll();
  EXPECT_FALSE(api_.Get(kPersistentVolumes, "", "v"));
}

}  // namespace
}  // namespace capstan::control_plane::controllers
