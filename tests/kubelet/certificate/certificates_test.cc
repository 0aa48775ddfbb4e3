// The kubelet's certificates through the CSR API, against the fake API client with a test
// signer standing in for the API server's.

#include "kubelet/certificate/certificates.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "api/k8s/client/fake_api_client.h"
#include "common/file.h"
#include "common/pki/base64.h"
#include "common/pki/certs.h"
#include "common/pki/csr.h"
#include "common/pki/kubeconfig.h"

namespace capstan::kubelet::certificate {
namespace {

namespace res = api::k8s::client::resources;
using api::k8s::client::FakeApiClient;
using Json = api::k8s::client::Json;

class CertificatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki::CertificateSpec ca;
    ca.common_name = "cluster-ca";
    ca.is_ca = true;
    ca_ = *pki::IssueCertificate(ca);
    char tmpl[] = "/tmp/capstan-kubelet-certs.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override {
    stop_ = true;
    if (signer_.joinable()) signer_.join();
    std::filesystem::remove_all(dir_);
  }
  // Answers every CSR: signs it, or denies it when `deny`.
  void StartSigner(bool deny) {
    signer_ = std::thread([this, deny] {
      while (!stop_) {
        auto list = api_.List(res::kCsrs, "", {});
        for (const auto& csr : (*list)["items"]) {
          if (csr.contains("status")) continue;
          std::string name = csr["metadata"]["name"];
          Json status;
          if (deny) {
            status = {{"conditions", {{{"type", "Denied"}, {"status", "True"}}}}};
          } else {
            auto pem = *pki::Base64Decode(csr["spec"]["request"].get<std::string>());
            auto info = *pki::ParseCertificateRequest(pem);
            pki::CertificateSpec grant;
            grant.common_name = info.common_name;
            grant.organizations = info.organizations;
            grant.dns_names = info.dns_names;
            grant.ip_addresses = info.ip_addresses;
            grant.server_auth = true;
            status = {
                {"certificate", pki::Base64Encode(*pki::SignCertificateRequest(pem, grant, ca_))}};
          }
          (void)api_.Patch(res::kCsrs, "", name, api::k8s::client::PatchType::kMerge,
                           {{"status", status}}, "status");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }

  FakeApiClient api_;
  pki::CertAndKey ca_;
  std::string dir_;
  std::atomic<bool> stop_{false};
  std::thread signer_;
};

TEST_F(CertificatesTest, ServingCertificateIsAskedForOnceAndReused) {
  StartSigner(false);
  auto files = EnsureServingCertificate(&api_, ca_.cert_pem, dir_ + "/pki", "node-a", {"node-a"},
                                        {"10.0.0.7"}, std::chrono::seconds(5));
  ASSERT_TRUE(files) << files.error().message();
  auto cert = pki::ParseCertificate(*ReadFile(files->cert_file));
  ASSERT_TRUE(cert);
  EXPECT_EQ(cert->common_name, "system:node:node-a");
  EXPECT_EQ(cert->ip_addresses, std::vector<std::string>{"10.0.0.7"});
  auto csrs = (*api_.List(res::kCsrs, "", {}))["items"];
  ASSERT_EQ(csrs.size(), 1u);
  EXPECT_EQ(csrs[0]["spec"]["signerName"], "kubernetes.io/kubelet-serving");
  EXPECT_EQ(csrs[0]["spec"]["usages"], (Json{"digital signature", "server auth"}));
  // Still good: no second request.
  ASSERT_TRUE(EnsureServingCertificate(&api_, ca_.cert_pem, dir_ + "/pki", "node-a", {"node-a"},
                                       {"10.0.0.7"}, std::chrono::seconds(5)));
  EXPECT_EQ((*api_.List(res::kCsrs, "", {}))["items"].size(), 1u);
}

TEST_F(CertificatesTest, DeniedAndUnansweredRequestsFail) {
  CsrRequest request;
  request.common_name = "system:node:node-a";
  request.organizations = {"system:nodes"};
  request.signer = "kubernetes.io/kube-apiserver-client-kubelet";
  request.usages = {"client auth"};
  auto unanswered = RequestCertificate(&api_, request, std::chrono::milliseconds(300));
  ASSERT_FALSE(unanswered);
  EXPECT_EQ(unanswered.error().code(), Code::kDeadlineExceeded);
  EXPECT_NE(unanswered.error().message().find("kubectl certificate approve"), std::string::npos);
  StartSigner(true);
  auto denied = RequestCertificate(&api_, request, std::chrono::seconds(5));
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code(), Code::kPermissionDenied);
}

TEST_F(CertificatesTest, ClientCertificateRotatesInTheLastFifthOfItsLife) {
  StartSigner(false);
  pki::CertificateSpec old_spec;
  old_spec.common_name = "system:node:node-a";
  old_spec.organizations = {"system:nodes"};
  old_spec.validity = std::chrono::hours(100);
  auto old_cert = *pki::IssueCertificate(old_spec, &ca_);
  pki::KubeconfigSpec kc;
  kc.server = "https://10.0.0.1:6443";
  kc.ca_pem = ca_.cert_pem;
  kc.user_name = "system:node:node-a";
  kc.client_cert_pem = old_cert.cert_pem;
  kc.client_key_pem = old_cert.key_pem;
  std::string path = dir_ + "/kubelet.kubeconfig";
  ASSERT_TRUE(pki::WriteKubeconfig(path, kc));

  auto early = RotateClientCertificate(&api_, path, "node-a", WallNow(), std::chrono::seconds(5));
  ASSERT_TRUE(early) << early.error().message();
  EXPECT_FALSE(*early);  // plenty of life left: nothing asked
  EXPECT_TRUE((*api_.List(res::kCsrs, "", {}))["items"].empty());

  auto late = RotateClientCertificate(&api_, path, "node-a", WallNow() + std::chrono::hours(85),
                                      std::chrono::seconds(5));
  ASSERT_TRUE(late) << late.error().message();
  ASSERT_TRUE(*late);
  auto csrs = (*api_.List(res::kCsrs, "", {}))["items"];
  ASSERT_EQ(csrs.size(), 1u);
  EXPECT_EQ(csrs[0]["spec"]["signerName"], "kubernetes.io/kube-apiserver-client-kubelet");
  // The kubeconfig holds the new certificate, with the same server and CA.
  auto written = pki::ReadKubeconfig(path);
  ASSERT_TRUE(written);
  EXPECT_EQ(written->client_cert_pem, (*late)->cert_pem);
  EXPECT_NE(written->client_cert_pem, old_cert.cert_pem);
  EXPECT_EQ(written->server, "https://10.0.0.1:6443");
  EXPECT_EQ(pki::ParseCertificate(written->client_cert_pem)->common_name, "system:node:node-a");
}

TEST_F(CertificatesTest, StillGoodUntilTheLastFifthOfItsLife) {
  pki::CertificateSpec leaf;
  leaf.common_name = "x";
  leaf.validity = std::chrono::hours(100);
  auto cert = *pki::IssueCertificate(leaf, &ca_);
  EXPECT_TRUE(StillGood(cert.cert_pem, ca_.cert_pem, WallNow()));
  EXPECT_FALSE(StillGood(cert.cert_pem, ca_.cert_pem, WallNow() + std::chrono::hours(85)));
  pki::CertificateSpec other_ca = leaf;
  other_ca.is_ca = true;
  auto stranger = *pki::IssueCertificate(other_ca);
  EXPECT_FALSE(StillGood(cert.cert_pem, stranger.cert_pem, WallNow()));
}

}  // namespace
}  // namespace capstan::kubelet::certificate
