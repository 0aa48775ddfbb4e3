// Storage admission: the default class for claims that name none, and the protection
// finalizers on every new claim and volume.
#include "control-plane/apiserver/storage_admission.h"

#include <gtest/gtest.h>

#include "tests/control-plane/apiserver/registry_fixture.h"

namespace capstan::control_plane::apiserver {
namespace {

class StorageAdmissionTest : public RegistryFixture {
 protected:
  void AddClass(const std::string& name, bool is_default) {
    Json sc = {{"metadata", {{"name", name}}}, {"provisioner", "p"}};
    if (is_default) {
      sc["metadata"]["annotations"] = {{kDefaultClassAnnotation, "true"}};
    }
    ASSERT_TRUE(registry_->Create(Res("storageclasses", "storage.k8s.io"), "", sc, false));
  }
  static Json Claim(Json spec) {
    return {{"metadata", {{"name", "data"}, {"namespace", "default"}}}, {"spec", std::move(spec)}};
  }
};

TEST_F(StorageAdmissionTest, ClaimsWithoutAClassGetTheDefault) {
  Json none = Claim(Json::object());
  ASSERT_TRUE(AdmitPersistentVolumeClaim(store_.get(), none));
  EXPECT_FALSE(none["spec"].contains("storageClassName"));  // no default yet
  EXPECT_EQ(none["metadata"]["finalizers"], Json::array({"kubernetes.io/pvc-protection"}));

  AddClass("slow", false);
  AddClass("local-path", true);
  Json claim = Claim(Json::object());
  ASSERT_TRUE(AdmitPersistentVolumeClaim(store_.get(), claim));
  EXPECT_EQ(claim["spec"]["storageClassName"], "local-path");
  // An explicit class, even "", is kept.
  Json empty = Claim({{"storageClassName", ""}});
  ASSERT_TRUE(AdmitPersistentVolumeClaim(store_.get(), empty));
  EXPECT_EQ(empty["spec"]["storageClassName"], "");
  Json named = Claim({{"storageClassName", "slow"}});
  ASSERT_TRUE(AdmitPersistentVolumeClaim(store_.get(), named));
  EXPECT_EQ(named["spec"]["storageClassName"], "slow");
}

TEST_F(StorageAdmissionTest, VolumesGetTheirFinalizerOnce) {
  Json volume = {{"metadata", {{"name", "v"}, {"finalizers", {"kubernetes.io/pv-protection"}}}}};
  ASSERT_TRUE(AdmitPersistentVolume(volume));
  EXPECT_EQ(volume["metadata"]["finalizers"], Json::array({"kubernetes.io/pv-protection"}));
}

}  // namespace
}  // namespace capstan::control_plane::apiserver
