// Joining nodes: bootstrap-token authentication, and the CSR approver and signer, over a real
// SQLite store with the bootstrap RBAC policy.

#include <gtest/gtest.h>

#include "common/pki/base64.h"
#include "common/pki/csr.h"
#include "control-plane/apiserver/bootstrap_policy.h"
#include "control-plane/apiserver/bootstrap_tokens.h"
#include "control-plane/apiserver/csr_signer.h"
#include "control-plane/apiserver/rbac.h"
#include "tests/control-plane/apiserver/registry_fixture.h"

namespace capstan::control_plane::apiserver {
namespace {

class FixedClock : public Clock {
 public:
  WallTime now = WallNow();
  WallTime Now() const override { return now; }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::now();
  }
};

class CsrTest : public RegistryFixture {
 protected:
  const Clock* clock() override { return &clock_; }
  void SetUp() override {
    RegistryFixture::SetUp();
    for (const char* ns : {"default", "kube-system"}) {
      ASSERT_TRUE(registry_->Create(Res("namespaces"), "", {{"metadata", {{"name", ns}}}}, false));
    }
    for (auto& role : BootstrapClusterRoles()) {
      ASSERT_TRUE(
          registry_->Create(Res("clusterroles", "rbac.authorization.k8s.io"), "", role, false));
    }
    for (auto& b : BootstrapClusterRoleBindings()) {
      ASSERT_TRUE(
          registry_->Create(Res("clusterrolebindings", "rbac.authorization.k8s.io"), "", b, false));
    }
    authz_ = std::make_unique<UnionAuthorizer>();
    authz_->Add(std::make_unique<RbacAuthorizer>(store_.get()));
    pki::CertificateSpec ca_spec;
    ca_spec.common_name = "test-ca";
    ca_spec.is_ca = true;
    ca_ = *pki::IssueCertificate(ca_spec);
    signer_ = std::make_unique<CsrSigner>(registry_.get(), &resources_, authz_.get(), ca_, &clock_);
  }
  void TearDown() override {
    signer_.reset();
    authz_.reset();  // its watch thread reads the store
    RegistryFixture::TearDown();
  }
  Authenticator::Outcome AuthenticateToken(const std::string& token) {
    BootstrapTokenAuthenticator authn(store_.get(), &clock_);
    HttpRequest req;
    req.headers["authorization"] = "Bearer " + token;
    return authn.Authenticate(req);
  }
  // Creates a CSR as `user` would through the API, and runs the signer once.
  Json Submit(const std::string& name, const UserInfo& user, const pki::CertificateSpec& subject,
              const std::string& signer, std::vector<std::string> usages) {
    auto request = pki::CreateCertificateRequest(subject);
    EXPECT_TRUE(request);
    Json csr = {{"apiVersion", "certificates.k8s.io/v1"},
                {"kind", "CertificateSigningRequest"},
                {"metadata", {{"name", name}}},
                {"spec",
                 {{"request", pki::Base64Encode(request->request_pem)},
                  {"signerName", signer},
                  {"usages", usages},
                  {"username", "forged"}}},
                {"status", {{"certificate", "forged"}}}};
    SetCsrRequester(user, csr);
    auto created = registry_->Create(Csrs(), "", csr, false);
    EXPECT_TRUE(created) << (created ? "" : created.error().message);
    signer_->SyncOnce();
    return *registry_->Get(Csrs(), "", name);
  }
  const ResourceInfo& Csrs() { return Res("certificatesigningrequests", "certificates.k8s.io"); }

  FixedClock clock_;
  std::unique_ptr<UnionAuthorizer> authz_;
  pki::CertAndKey ca_;
  std::unique_ptr<CsrSigner> signer_;
};

std::string Conditions(const Json& csr) {
  std::string out;
  const Json& status = csr["status"];
  if (!status.is_object()) return out;
  for (const auto& c : status.value("conditions", Json::array())) {
    out += (out.empty() ? "" : ",") + c.value("type", "");
  }
  return out;
}

pki::CertificateSpec NodeSubject(const std::string& node) {
  pki::CertificateSpec s;
  s.common_name = "system:node:" + node;
  s.organizations = {"system:nodes"};
  return s;
}

UserInfo Bootstrapper() {
  return {"system:bootstrap:abcdef", "", {"system:bootstrappers", "system:authenticated"}, {}};
}

TEST_F(CsrTest, BootstrapTokensAuthenticateUntilTheyExpire) {
  BootstrapToken token = GenerateBootstrapToken();
  EXPECT_EQ(token.id.size(), 6u);
  EXPECT_EQ(token.secret.size(), 16u);
  // Not stored yet: refused, while other token shapes are left to other authenticators.
  EXPECT_FALSE(AuthenticateToken(token.Text()).error.empty());
  EXPECT_TRUE(AuthenticateToken("eyJhbGciOi.x.y").error.empty());
  EXPECT_FALSE(AuthenticateToken("eyJhbGciOi.x.y").user);

  Json secret = BootstrapTokenSecret(token, clock_.now + std::chrono::hours(1), "test");
  ASSERT_TRUE(registry_->Create(Res("secrets"), "kube-system", secret, false));
  auto ok = AuthenticateToken(token.Text());
  ASSERT_TRUE(ok.user) << ok.error;
  EXPECT_EQ(ok.user->name, "system:bootstrap:" + token.id);
  EXPECT_TRUE(ok.user->InGroup("system:bootstrappers"));
  EXPECT_TRUE(ok.user->InGroup("system:bootstrappers:capstan:default-node-token"));

  EXPECT_FALSE(AuthenticateToken(token.id + ".0000000000000000").user);
  clock_.now += std::chrono::hours(2);
  auto expired = AuthenticateToken(token.Text());
  EXPECT_FALSE(expired.user);
  EXPECT_EQ(expired.error, "bootstrap token expired");
}

TEST_F(CsrTest, AJoinTokenGetsANodeClientCertificate) {
  Json csr =
      Submit("join", Bootstrapper(), NodeSubject("worker-1"),
             "kubernetes.io/kube-apiserver-client-kubelet", {"digital signature", "client auth"});
  EXPECT_EQ(csr["spec"]["username"], "system:bootstrap:abcdef");
  EXPECT_EQ(Conditions(csr), "Approved");
  auto pem = pki::Base64Decode(csr["status"].value("certificate", ""));
  ASSERT_TRUE(pem);
  EXPECT_TRUE(pki::VerifiedBy(*pem, ca_.cert_pem));
  auto cert = pki::ParseCertificate(*pem);
  ASSERT_TRUE(cert);
  EXPECT_EQ(cert->common_name, "system:node:worker-1");
  EXPECT_EQ(cert->organizations, std::vector<std::string>{"system:nodes"});
}

TEST_F(CsrTest, ANodeRenewsOnlyItsOwnCertificate) {
  UserInfo node{"system:node:worker-1", "", {"system:nodes", "system:authenticated"}, {}};
  Json own =
      Submit("renew", node, NodeSubject("worker-1"), "kubernetes.io/kube-apiserver-client-kubelet",
             {"digital signature", "key encipherment", "client auth"});
  EXPECT_EQ(Conditions(own), "Approved");
  EXPECT_TRUE(own["status"].contains("certificate"));
  // Another node's name is not its to ask for: a nodes-group user has no nodeclient grant.
  Json other = Submit("steal", node, NodeSubject("worker-2"),
                      "kubernetes.io/kube-apiserver-client-kubelet", {"client auth"});
  EXPECT_EQ(Conditions(other), "");
  EXPECT_FALSE(other["status"].is_object() && other["status"].contains("certificate"));
}

TEST_F(CsrTest, RequestsOutsideTheRulesWaitForAnAdministrator) {
  // Not a node subject.
  pki::CertificateSpec admin;
  admin.common_name = "admin";
  admin.organizations = {"system:masters"};
  Json masters = Submit("masters", Bootstrapper(), admin,
                        "kubernetes.io/kube-apiserver-client-kubelet", {"client auth"});
  EXPECT_EQ(Conditions(masters), "");
  // Names in a client certificate request.
  pki::CertificateSpec named = NodeSubject("worker-1");
  named.dns_names = {"evil.example.com"};
  EXPECT_EQ(Conditions(Submit("named", Bootstrapper(), named,
                              "kubernetes.io/kube-apiserver-client-kubelet", {"client auth"})),
            "");
  // Server usage under the client signer.
  EXPECT_EQ(Conditions(Submit("server", Bootstrapper(), NodeSubject("worker-1"),
                              "kubernetes.io/kube-apiserver-client-kubelet",
                              {"client auth", "server auth"})),
            "");
  // A user without the nodeclient grant.
  UserInfo someone{"alice", "", {"system:authenticated"}, {}};
  EXPECT_EQ(Conditions(Submit("alice", someone, NodeSubject("worker-1"),
                              "kubernetes.io/kube-apiserver-client-kubelet", {"client auth"})),
            "");
}

TEST_F(CsrTest, TheNodeGetsItsServingCertificateWithItsNames) {
  UserInfo node{"system:node:worker-1", "", {"system:nodes", "system:authenticated"}, {}};
  pki::CertificateSpec serving = NodeSubject("worker-1");
  serving.dns_names = {"worker-1"};
  serving.ip_addresses = {"10.0.0.7"};
  Json csr = Submit("serving", node, serving, "kubernetes.io/kubelet-serving",
                    {"digital signature", "key encipherment", "server auth"});
  EXPECT_EQ(Conditions(csr), "Approved");
  auto cert = pki::ParseCertificate(*pki::Base64Decode(csr["status"].value("certificate", "")));
  ASSERT_TRUE(cert);
  EXPECT_EQ(cert->dns_names, std::vector<std::string>{"worker-1"});
  EXPECT_EQ(cert->ip_addresses, std::vector<std::string>{"10.0.0.7"});
  // A bootstrapper may not ask for a node's serving certificate.
  EXPECT_EQ(Conditions(Submit("serving-2", Bootstrapper(), serving, "kubernetes.io/kubelet-serving",
                              {"server auth"})),
            "");
}

TEST_F(CsrTest, ManualApprovalIsSignedAndDenialIsNot) {
  pki::CertificateSpec user;
  user.common_name = "jane";
  user.organizations = {"dev"};
  UserInfo admin{"admin", "", {"system:masters"}, {}};
  Json csr = Submit("jane", admin, user, "kubernetes.io/kube-apiserver-client", {"client auth"});
  EXPECT_EQ(Conditions(csr), "");
  csr["status"]["conditions"] =
      Json::array({{{"type", "Approved"}, {"status", "True"}, {"reason", "KubectlApprove"}}});
  ASSERT_TRUE(registry_->Update(Csrs(), "", "jane", csr, "approval", false));
  signer_->SyncOnce();
  Json signed_csr = *registry_->Get(Csrs(), "", "jane");
  EXPECT_TRUE(signed_csr["status"].contains("certificate"));

  Json denied =
      Submit("denied", admin, user, "kubernetes.io/kube-apiserver-client", {"client auth"});
  denied["status"]["conditions"] =
      Json::array({{{"type", "Denied"}, {"status", "True"}, {"reason", "KubectlDeny"}}});
  ASSERT_TRUE(registry_->Update(Csrs(), "", "denied", denied, "approval", false));
  signer_->SyncOnce();
  EXPECT_FALSE(registry_->Get(Csrs(), "", "denied")->at("status").contains("certificate"));
  EXPECT_EQ(Conditions(*registry_->Get(Csrs(), "", "denied")), "Denied");
}

TEST_F(CsrTest, GarbageRequestsAreRefusedByValidation) {
  Json csr = {{"apiVersion", "certificates.k8s.io/v1"},
              {"kind", "CertificateSigningRequest"},
              {"metadata", {{"name", "bad"}}},
              {"spec",
               {{"request", pki::Base64Encode("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n")},
                {"signerName", "kubernetes.io/kube-apiserver-client-kubelet"},
                {"usages", {"client auth", "flying"}}}}};
  auto created = registry_->Create(Csrs(), "", csr, false);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, 422);
  EXPECT_NE(created.error().message.find("spec.request"), std::string::npos);
  EXPECT_NE(created.error().message.find("spec.usages[1]"), std::string::npos);
}

}  // namespace
}  // namespace capstan::control_plane::apiserver
