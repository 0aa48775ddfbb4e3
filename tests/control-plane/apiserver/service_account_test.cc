// The ServiceAccount admission plugin and the namespace defaults it depends on.
#include <gtest/gtest.h>

#include "control-plane/apiserver/namespace_defaults.h"
#include "control-plane/apiserver/object_util.h"
#include "control-plane/apiserver/service_account_admission.h"
#include "tests/control-plane/apiserver/registry_fixture.h"

namespace capstan::control_plane::apiserver {
namespace {

class ServiceAccountTest : public RegistryFixture {
 protected:
  void SetUp() override {
    RegistryFixture::SetUp();
    ASSERT_TRUE(
        registry_->Create(Res("namespaces"), "", {{"metadata", {{"name", "shop"}}}}, false));
  }
  Json Pod(Json spec) {
    return {{"metadata", {{"name", "web"}, {"namespace", "shop"}}}, {"spec", std::move(spec)}};
  }
};

TEST_F(ServiceAccountTest, MountsTheKubeApiAccessVolumeInEveryContainer) {
  Json pod =
      Pod({{"serviceAccountName", "default"},
           {"initContainers", {{{"name", "init"}, {"image", "b"}}}},
           {"containers", {{{"name", "a"}, {"image", "b"}}, {{"name", "c"}, {"image", "b"}}}}});
  ASSERT_TRUE(AdmitServiceAccount(store_.get(), pod));
  const Json& volumes = pod["spec"]["volumes"];
  ASSERT_EQ(volumes.size(), 1u);
  std::string name = volumes[0]["name"];
  EXPECT_EQ(name.rfind("kube-api-access-", 0), 0u);
  EXPECT_EQ(name.size(), std::string("kube-api-access-").size() + 5);
  const Json& sources = volumes[0]["projected"]["sources"];
  EXPECT_EQ(sources[0]["serviceAccountToken"]["expirationSeconds"], 3607);
  EXPECT_EQ(sources[1]["configMap"]["name"], "kube-root-ca.crt");
  EXPECT_EQ(sources[2]["downwardAPI"]["items"][0]["fieldRef"]["fieldPath"], "metadata.namespace");
  EXPECT_EQ(volumes[0]["projected"]["defaultMode"], 420);
  for (const char* list : {"initContainers", "containers"}) {
    for (const auto& c : pod["spec"][list]) {
      ASSERT_EQ(c["volumeMounts"].size(), 1u) << list;
      EXPECT_EQ(c["volumeMounts"][0]["name"], name);
      EXPECT_EQ(c["volumeMounts"][0]["mountPath"], "/var/run/secrets/kubernetes.io/serviceaccount");
      EXPECT_EQ(c["volumeMounts"][0]["readOnly"], true);
    }
  }
}

TEST_F(ServiceAccountTest, AutomountFalseOnThePodOrItsServiceAccount) {
  Json off = Pod(
      {{"automountServiceAccountToken", false}, {"containers", {{{"name", "a"}, {"image", "b"}}}}});
  ASSERT_TRUE(AdmitServiceAccount(store_.get(), off));
  EXPECT_FALSE(off["spec"].contains("volumes"));

  ASSERT_TRUE(registry_->Create(
      Res("serviceaccounts"), "shop",
      {{"metadata", {{"name", "quiet"}}}, {"automountServiceAccountToken", false}}, false));
  Json quiet =
      Pod({{"serviceAccountName", "quiet"}, {"containers", {{{"name", "a"}, {"image", "b"}}}}});
  ASSERT_TRUE(AdmitServiceAccount(store_.get(), quiet));
  EXPECT_FALSE(quiet["spec"].contains("volumes"));
  // The pod's own setting wins over its service account's.
  quiet["spec"]["automountServiceAccountToken"] = true;
  ASSERT_TRUE(AdmitServiceAccount(store_.get(), quiet));
  EXPECT_EQ(quiet["spec"]["volumes"].size(), 1u);
}

TEST_F(ServiceAccountTest, AMissingServiceAccountIsForbidden) {
  Json pod =
      Pod({{"serviceAccountName", "ghost"}, {"containers", {{{"name", "a"}, {"image", "b"}}}}});
  auto r = AdmitServiceAccount(store_.get(), pod);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 403);
  EXPECT_EQ(r.error().message,
            "pods \"web\" is forbidden: error looking up service account shop/ghost: "
            "serviceaccount \"ghost\" not found");
}

TEST_F(ServiceAccountTest, MirrorPodsAndOwnMountsAreLeftAlone) {
  Json mirror = Pod({{"containers", {{{"name", "a"}, {"image", "b"}}}}});
  mirror["metadata"]["annotations"] = {{"kubernetes.io/config.mirror", "abc"}};
  ASSERT_TRUE(AdmitServiceAccount(store_.get(), mirror));
  EXPECT_FALSE(mirror["spec"].contains("volumes"));
  Json own = Pod({{"containers",
                   {{{"name", "a"},
                     {"image", "b"},
                     {"volumeMounts",
                      {{{"name", "mine"},
                        {"mountPath", "/var/run/secrets/kubernetes.io/serviceaccount"}}}}}}}});
  ASSERT_TRUE(AdmitServiceAccount(store_.get(), own));
  EXPECT_FALSE(own["spec"].contains("volumes"));
}

TEST_F(ServiceAccountTest, NamespaceDefaultsCreateAndRestore) {
  NamespaceDefaults defaults(registry_.get(), &resources_, "CA PEM\n");
  defaults.SyncOnce();
  auto sa = registry_->Get(Res("serviceaccounts"), "shop", "default");
  ASSERT_TRUE(sa);
  auto cm = registry_->Get(Res("configmaps"), "shop", "kube-root-ca.crt");
  ASSERT_TRUE(cm);
  EXPECT_EQ((*cm)["data"]["ca.crt"], "CA PEM\n");

  // Edited: put back. Deleted: recreated.
  Json edited = *cm;
  edited["data"]["ca.crt"] = "forged";
  ASSERT_TRUE(registry_->Update(Res("configmaps"), "shop", "kube-root-ca.crt", edited, "", false));
  ASSERT_TRUE(registry_->Delete(Res("serviceaccounts"), "shop", "default", {}));
  defaults.SyncOnce();
  EXPECT_EQ((*registry_->Get(Res("configmaps"), "shop", "kube-root-ca.crt"))["data"]["ca.crt"],
            "CA PEM\n");
  EXPECT_TRUE(registry_->Get(Res("serviceaccounts"), "shop", "default"));
}

}  // namespace
}  // namespace capstan::control_plane::apiserver
