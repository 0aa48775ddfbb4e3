#include "kubelet/token/token_manager.h"

#include <gtest/gtest.h>

#include "api/k8s/client/fake_api_client.h"
#include "api/k8s/meta.h"
#include "kubelet/testing/fake_clock.h"
#include "tests/kubelet/test_pods.h"

namespace capstan::kubelet::token {
namespace {

using api::k8s::client::Json;

class TokenManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_.HandleSubresource(
        "serviceaccounts/token",
        [this](const std::string& ns, const std::string& name, const Json& body) -> Result<Json> {
          requests_.push_back(body);
          int64_t seconds = body["spec"].value("expirationSeconds", 3600);
          Json out = body;
          out["status"] = {{"token", ns + "/" + name + "#" + std::to_string(requests_.size())},
                           {"expirationTimestamp",
                            api::k8s::FormatTime(clock_.Now() + std::chrono::seconds(seconds))}};
          return out;
        });
  }
  api::k8s::Pod Pod(const std::string& sa) {
    return testing::PodFromYaml(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, uid: u1}\n"
        "spec: {serviceAccountName: \"" +
        sa + "\", containers: [{name: a, image: b}]}\n");
  }

  api::k8s::client::FakeApiClient api_;
  testing::FakeClock clock_;
  std::vector<Json> requests_;
};

TEST_F(TokenManagerTest, RequestsABoundTokenAndReusesItUntil80PercentOfItsLife) {
  TokenManager m(&api_, &clock_);
  api::k8s::ServiceAccountTokenProjection p{"", 3600, "token"};
  auto t = m.GetServiceAccountToken(Pod("builder"), p);
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(*t, "shop/builder#1");
  ASSERT_EQ(requests_.size(), 1u);
  EXPECT_EQ(requests_[0]["kind"], "TokenRequest");
  EXPECT_EQ(requests_[0]["spec"]["boundObjectRef"]["kind"], "Pod");
  EXPECT_EQ(requests_[0]["spec"]["boundObjectRef"]["uid"], "u1");
  EXPECT_FALSE(requests_[0]["spec"].contains("audiences"));

  clock_.Advance(std::chrono::minutes(47));  // under 80% of an hour
  EXPECT_EQ(*m.GetServiceAccountToken(Pod("builder"), p), "shop/builder#1");
  clock_.Advance(std::chrono::minutes(2));  // past 48 minutes
  EXPECT_EQ(*m.GetServiceAccountToken(Pod("builder"), p), "shop/builder#2");
}

TEST_F(TokenManagerTest, DefaultServiceAccountAndAudiences) {
  TokenManager m(&api_, &clock_);
  auto t = m.GetServiceAccountToken(Pod(""), {"vault", std::nullopt, "token"});
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(*t, "shop/default#1");
  EXPECT_EQ(requests_[0]["spec"]["audiences"], Json::array({"vault"}));
  EXPECT_EQ(requests_[0]["spec"]["expirationSeconds"], 3600);
}

TEST_F(TokenManagerTest, ErrorsNameTheServiceAccount) {
  TokenManager m(&api_, &clock_);
  api_.FailNext("create", Error(Code::kNotFound, "serviceaccounts \"ghost\" not found"));
  auto t = m.GetServiceAccountToken(Pod("ghost"), {"", 3600, "token"});
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code(), Code::kNotFound);
  EXPECT_NE(t.error().message().find("service account shop/ghost"), std::string::npos);
}

}  // namespace
}  // namespace capstan::kubelet::token
