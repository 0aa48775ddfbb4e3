// The cluster PKI: first start, reuse, renewal before expiry and on new names; service-account
// JWTs (tampering, algorithms, expiry); kubeconfig round trips.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

#include "common/file.h"
#include "common/pki/base64.h"
#include "common/pki/certs.h"
#include "common/pki/cluster_pki.h"
#include "common/pki/csr.h"
#include "common/pki/jwt.h"
#include "common/pki/kubeconfig.h"

namespace capstan::pki {
namespace {

class PkiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-pki-test.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(PkiTest, FirstStartMakesEverythingAndLaterStartsReuseIt) {
  ClusterPkiOptions options;
  options.server_names = {"node1"};
  options.server_ips = {"127.0.0.1", "10.43.0.1"};
  auto first = EnsureClusterPki(dir_, options, WallNow());
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->renewed.size(), 5u);
  EXPECT_TRUE(VerifiedBy(*ReadFile(first->server_cert_file), first->ca_cert_pem));
  EXPECT_TRUE(VerifiedBy(first->admin_cert_pem, first->ca_cert_pem));
  EXPECT_TRUE(VerifiedBy(first->kubelet_client_cert_pem, first->ca_cert_pem));
  auto server = ParseCertificate(*ReadFile(first->server_cert_file));
  ASSERT_TRUE(server);
  for (const char* name :
       {"kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "node1"}) {
    EXPECT_NE(std::find(server->dns_names.begin(), server->dns_names.end(), name),
              server->dns_names.end())
        << name;
  }
  EXPECT_NE(std::find(server->ip_addresses.begin(), server->ip_addresses.end(), "10.43.0.1"),
            server->ip_addresses.end());
  auto admin = ParseCertificate(first->admin_cert_pem);
  EXPECT_EQ(admin->organizations, std::vector<std::string>{"system:masters"});
  struct stat st {};
  ASSERT_EQ(::stat(first->ca_key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto second = EnsureClusterPki(dir_, options, WallNow());
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->renewed.empty());
  EXPECT_EQ(second->ca_cert_pem, first->ca_cert_pem);
}

TEST_F(PkiTest, RenewsBeforeExpiryAndForNewNames) {
  ClusterPkiOptions options;
  auto first = EnsureClusterPki(dir_, options, WallNow());
  ASSERT_TRUE(first);
  // 300 days on, the one-year leaves are within 90 days of expiry; the CA is not.
  auto later = EnsureClusterPki(dir_, options, WallNow() + std::chrono::hours(24 * 300));
  ASSERT_TRUE(later);
  EXPECT_EQ(later->renewed, (std::vector<std::string>{"server.crt", "admin.crt",
                                                     "apiserver-kubelet-client.crt"}));
  EXPECT_EQ(later->ca_cert_pem, first->ca_cert_pem);
  // A new address for the server: its certificate is issued again with it.
  options.server_ips = {"192.0.2.7"};
  auto renamed = EnsureClusterPki(dir_, options, WallNow());
  ASSERT_TRUE(renamed);
  EXPECT_EQ(renamed->renewed, std::vector<std::string>{"server.crt"});
  // Within 90 days of the CA's ten years, the CA itself and everything it signed.
  auto old = EnsureClusterPki(dir_, options, WallNow() + std::chrono::hours(24 * 3600));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->renewed.front(), "ca.crt");
  EXPECT_NE(old->ca_cert_pem, first->ca_cert_pem);
  EXPECT_TRUE(VerifiedBy(old->admin_cert_pem, old->ca_cert_pem));
}

TEST(Jwt, SignVerifyAndRejectTampering) {
  auto key = GenerateRsaKey();
  ASSERT_TRUE(key);
  auto other = GenerateRsaKey();
  WallTime now = WallNow();
  int64_t t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  nlohmann::json claims = {{"sub", "system:serviceaccount:default:ci"}, {"exp", t + 3600}};
  auto kid = KeyId(key->second);
  ASSERT_TRUE(kid);
  EXPECT_EQ(kid->size(), 43u);
  auto token = SignJwt(claims, key->first, *kid);
  ASSERT_TRUE(token);
  auto verified = VerifyJwt(*token, key->second, now);
  ASSERT_TRUE(verified) << verified.error().message();
  EXPECT_EQ((*verified)["sub"], "system:serviceaccount:default:ci");

  EXPECT_FALSE(VerifyJwt(*token, other->second, now));  // another key
  std::string tampered = *token;
  size_t dot = tampered.find('.');
  auto forged_claims =
      Base64UrlEncode(nlohmann::json{{"sub", "system:admin"}, {"exp", t + 3600}}.dump());
  tampered = tampered.substr(0, dot + 1) + forged_claims + tampered.substr(tampered.rfind('.'));
  EXPECT_FALSE(VerifyJwt(tampered, key->second, now));
  // alg none: no signature at all.
  std::string none =
      Base64UrlEncode(R"({"alg":"none"})") + "." + Base64UrlEncode(claims.dump()) + ".";
  EXPECT_FALSE(VerifyJwt(none, key->second, now));
  // Expired.
  EXPECT_FALSE(VerifyJwt(*token, key->second, now + std::chrono::hours(2)));
  EXPECT_FALSE(VerifyJwt("not-a-token", key->second, now));
}

TEST_F(PkiTest, KubeconfigRoundTrip) {
  auto pki = EnsureClusterPki(dir_, {}, WallNow());
  ASSERT_TRUE(pki);
  KubeconfigSpec spec;
  spec.server = "https://127.0.0.1:6443";
  spec.ca_pem = pki->ca_cert_pem;
  spec.client_cert_pem = pki->admin_cert_pem;
  spec.client_key_pem = pki->admin_key_pem;
  std::string path = dir_ + "/admin.kubeconfig";
  ASSERT_TRUE(WriteKubeconfig(path, spec));
  auto kc = ReadKubeconfig(path);
  ASSERT_TRUE(kc) << kc.error().message();
  EXPECT_EQ(kc->server, spec.server);
  EXPECT_EQ(kc->ca_pem, spec.ca_pem);
  EXPECT_EQ(kc->client_key_pem, spec.client_key_pem);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // File references resolve relative to the kubeconfig.
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/ref.kubeconfig",
                              "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                              "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
                              "clusters: [{name: k, cluster: {server: 'https://x:1', "
                              "certificate-authority: ca.crt}}]\n"
                              "users: [{name: u, user: {token: abc}}]\n",
                              0600));
  auto ref = ReadKubeconfig(dir_ + "/ref.kubeconfig");
  ASSERT_TRUE(ref) << ref.error().message();
  EXPECT_EQ(ref->ca_pem, pki->ca_cert_pem);
  EXPECT_EQ(ref->token, "abc");
}

TEST(CertificateRequest, CreateParseAndSign) {
  CertificateSpec ca_spec;
  ca_spec.common_name = "test-ca";
  ca_spec.is_ca = true;
  auto ca = IssueCertificate(ca_spec);
  ASSERT_TRUE(ca) << ca.error().message();

  CertificateSpec want;
  want.common_name = "system:node:worker-1";
  want.organizations = {"system:nodes"};
  want.dns_names = {"worker-1"};
  want.ip_addresses = {"10.0.0.7", "fd00::7"};
  auto request = CreateCertificateRequest(want);
  ASSERT_TRUE(request) << request.error().message();
  EXPECT_NE(request->request_pem.find("BEGIN CERTIFICATE REQUEST"), std::string::npos);

  auto info = ParseCertificateRequest(request->request_pem);
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_EQ(info->common_name, "system:node:worker-1");
  EXPECT_EQ(info->organizations, std::vector<std::string>{"system:nodes"});
  EXPECT_EQ(info->dns_names, std::vector<std::string>{"worker-1"});
  EXPECT_EQ(info->ip_addresses, (std::vector<std::string>{"10.0.0.7", "fd00::7"}));
  EXPECT_FALSE(info->has_other_names);

  // The signer decides the subject: here it drops the names and makes a client certificate.
  CertificateSpec grant;
  grant.common_name = info->common_name;
  grant.organizations = info->organizations;
  grant.client_auth = true;
  auto cert = SignCertificateRequest(request->request_pem, grant, *ca);
  ASSERT_TRUE(cert) << cert.error().message();
  EXPECT_TRUE(VerifiedBy(*cert, ca->cert_pem));
  auto parsed = ParseCertificate(*cert);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->common_name, "system:node:worker-1");
  EXPECT_TRUE(parsed->dns_names.empty());

  // Garbage and tampered requests are refused.
  EXPECT_FALSE(ParseCertificateRequest("not pem"));
  std::string tampered = request->request_pem;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(ParseCertificateRequest(tampered));
  EXPECT_FALSE(SignCertificateRequest(tampered, grant, *ca));
}

}  // namespace
}  // namespace capstan::pki
