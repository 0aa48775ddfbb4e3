// The persistentVolumeClaim plugin: a bound claim resolves to its volume's directory; an
// unbound, deleted or misbound claim, or a source this kubelet cannot mount, fails clearly.
#include "kubelet/volumes/persistent_claim.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>

namespace capstan::kubelet::volumes {
namespace {

using Json = nlohmann::json;

class PersistentClaimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-claim-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    objects_["PersistentVolumeClaim/shop/data"] = {
        {"metadata", {{"name", "data"}, {"namespace", "shop"}, {"uid", "claim-uid"}}},
        {"spec", {{"volumeName", "pv-1"}}},
        {"status", {{"phase", "Bound"}}}};
    objects_["PersistentVolume//pv-1"] = {
        {"metadata", {{"name", "pv-1"}}},
        {"spec",
         {{"claimRef", {{"namespace", "shop"}, {"name", "data"}, {"uid", "claim-uid"}}},
          {"hostPath", {{"path", dir_ + "/pv-1"}, {"type", "DirectoryOrCreate"}}}}}};
    plugin_ = NewPersistentClaimPlugin([this](const std::string& kind, const std::string& ns,
                                              const std::string& name) -> Result<Json> {
      auto it = objects_.find(kind + "/" + ns + "/" + name);
      if (it == objects_.end()) return Fail(Code::kNotFound, "{} \"{}\" not found", kind, name);
      return it->second;
    });
    pod_.metadata.namespace_ = "shop";
    pod_.metadata.name = "web";
    volume_.name = "d";
    volume_.persistent_volume_claim = api::k8s::PersistentVolumeClaimVolumeSource{"data", false};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  std::map<std::string, Json> objects_;
  std::unique_ptr<VolumePlugin> plugin_;
  api::k8s::Pod pod_;
  api::k8s::Volume volume_;
};

TEST_F(PersistentClaimTest, ABoundHostPathClaimIsItsDirectory) {
  ASSERT_TRUE(plugin_->CanSupport(volume_));
  auto path = plugin_->SetUp(pod_, volume_);
  ASSERT_TRUE(path) << path.error().message();
  EXPECT_EQ(*path, dir_ + "/pv-1");
  EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/pv-1"));  // DirectoryOrCreate
  EXPECT_TRUE(plugin_->TearDown("uid", "d"));
  EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/pv-1"));  // the data stays
}

TEST_F(PersistentClaimTest, UnboundDeletedAndMisboundClaimsFail) {
  objects_["PersistentVolumeClaim/shop/data"]["status"]["phase"] = "Pending";
  auto pending = plugin_->SetUp(pod_, volume_);
  ASSERT_FALSE(pending);
  EXPECT_EQ(pending.error().message(),
            "PVC shop/data has non-bound phase (\"Pending\") or empty pvc.Spec.VolumeName "
            "(\"pv-1\")");
  objects_["PersistentVolumeClaim/shop/data"]["status"]["phase"] = "Bound";
  objects_["PersistentVolume//pv-1"]["spec"]["claimRef"]["uid"] = "someone-else";
  auto misbound = plugin_->SetUp(pod_, volume_);
  ASSERT_FALSE(misbound);
  EXPECT_NE(misbound.error().message().find("Expected volume \"pv-1\" to be bound to claim"),
            std::string::npos);
  objects_["PersistentVolumeClaim/shop/data"]["metadata"]["deletionTimestamp"] =
      "2026-01-01T00:00:00Z";
  auto deleting = plugin_->SetUp(pod_, volume_);
  ASSERT_FALSE(deleting);
  EXPECT_EQ(deleting.error().message(), "persistentvolumeclaim \"data\" is being deleted");
  volume_.persistent_volume_claim->claim_name = "missing";
  EXPECT_FALSE(plugin_->SetUp(pod_, volume_));
}

TEST_F(PersistentClaimTest, SourcesNotYetMountableAreRefusedByName) {
  Json& spec = objects_["PersistentVolume//pv-1"]["spec"];
  spec.erase("hostPath");
  spec["nfs"] = {{"server", "127.0.0.1"}, {"path", "/"}};
  auto r = plugin_->SetUp(pod_, volume_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(),
            "volume pv-1 of claim shop/data has a nfs source, which this kubelet cannot mount yet");
  auto none = NewPersistentClaimPlugin(nullptr);
  EXPECT_FALSE(none->SetUp(pod_, volume_));
}

}  // namespace
}  // namespace capstan::kubelet::volumes
