// The secure port: TLS, client-certificate and anonymous authentication, authorization, and
// KubeletServers wiring the three ports from the configuration.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/file.h"
#include "kubelet/server/certs.h"
#include "kubelet/server/http_server.h"
#include "kubelet/server/router.h"
#include "kubelet/server/server.h"
#include "tests/kubelet/server/fake_host.h"
#include "tests/kubelet/server/server_test_util.h"
#include "tests/kubelet/server/test_client.h"

namespace capstan::kubelet::server {
namespace {

using testing::ClientOptions;
using testing::FakeHost;
using testing::Get;
using testing::TempDir;
using testing::TestPod;

struct Pki {
  std::string ca, server_cert, server_key;
  std::string client_cert, client_key;  // CN alice, O team, from the CA
  std::string other_cert, other_key;    // CN mallory, from another CA
};

// One set of certificates for the whole suite (key generation is the slow part).
class TlsAuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto issue = [](CertificateSpec spec, const CertAndKey* issuer) {
      auto r = IssueCertificate(spec, issuer);
      EXPECT_TRUE(r) << r.error().message();
      return r ? *r : CertAndKey{};
    };
    CertificateSpec ca_spec;
    ca_spec.common_name = "test-ca";
    ca_spec.is_ca = true;
    CertAndKey ca = issue(ca_spec, nullptr);
    CertificateSpec other_ca_spec = ca_spec;
    other_ca_spec.common_name = "other-ca";
    CertAndKey other_ca = issue(other_ca_spec, nullptr);
    CertificateSpec server;
    server.common_name = "node-a";
    server.dns_names = {"localhost"};
    server.ip_addresses = {"127.0.0.1"};
    server.server_auth = true;
    CertAndKey serving = issue(server, &ca);
    CertificateSpec alice;
    alice.common_name = "alice";
    alice.organizations = {"team"};
    alice.client_auth = true;
    CertAndKey client = issue(alice, &ca);
    CertificateSpec mallory = alice;
    mallory.common_name = "mallory";
    CertAndKey other = issue(mallory, &other_ca);

    pki_ = new Pki;
    pki_->ca = dir_->Write("ca.crt", ca.cert_pem);
    pki_->server_cert = dir_->Write("server.crt", serving.cert_pem);
    pki_->server_key = dir_->Write("server.key", serving.key_pem);
    pki_->client_cert = dir_->Write("alice.crt", client.cert_pem);
    pki_->client_key = dir_->Write("alice.key", client.key_pem);
    pki_->other_cert = dir_->Write("mallory.crt", other.cert_pem);
    pki_->other_key = dir_->Write("mallory.key", other.key_pem);
  }
  static void TearDownTestSuite() {
    delete pki_;
    delete dir_;
  }

  void SetUp() override { host_.pods.push_back(TestPod("default", "web", "uid-1")); }

  void Serve(std::unique_ptr<Authorizer> authz, bool anonymous, bool client_ca = true) {
    authorizer_ = std::move(authz);
    RouterOptions ro;
    ro.authorizer = authorizer_.get();
    ro.authentication.anonymous_enabled = anonymous;
    ro.authentication.x509_enabled = client_ca;
    ro.node_name = "node-a";
    router_ = std::make_unique<Router>(&host_, ro);
    HttpServerOptions o;
    o.address = "127.0.0.1";
    o.tls = TlsOptions{pki_->server_cert, pki_->server_key, client_ca ? pki_->ca : ""};
    auto s = HttpServer::Start(o, router_.get());
    ASSERT_TRUE(s) << s.error().message();
    server_ = std::move(*s);
  }

  std::string Url(const std::string& path) {
    return fmt::format("https://127.0.0.1:{}{}", server_->port(), path);
  }
  ClientOptions As(const std::string& cert, const std::string& key) {
    ClientOptions o;
    o.ca_file = pki_->ca;  // and the client checks the server
    o.cert_file = cert;
    o.key_file = key;
    return o;
  }

  static TempDir* dir_;
  static Pki* pki_;
  FakeHost host_;
  std::unique_ptr<Authorizer> authorizer_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<HttpServer> server_;
};

TempDir* TlsAuthTest::dir_ = nullptr;
Pki* TlsAuthTest::pki_ = nullptr;

TEST_F(TlsAuthTest, AnonymousIsRefusedUnlessEnabled) {
  Serve(NewAlwaysAllowAuthorizer(), /*anonymous=*/false);
  auto r = Get(Url("/pods"), As("", ""));
  EXPECT_EQ(r.status, 401) << r.error;
  EXPECT_EQ(r.body, "Unauthorized");
  EXPECT_EQ(Get(Url("/healthz"), As("", "")).status, 401);
}

TEST_F(TlsAuthTest, AValidClientCertificateIsAccepted) {
  Serve(NewAlwaysAllowAuthorizer(), /*anonymous=*/false);
  auto r = Get(Url("/pods"), As(pki_->client_cert, pki_->client_key));
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_NE(r.body.find("\"web\""), std::string::npos);
}

TEST_F(TlsAuthTest, ACertificateFromAnotherCaIsNotAUser) {
  Serve(NewAlwaysAllowAuthorizer(), /*anonymous=*/false);
  auto r = Get(Url("/pods"), As(pki_->other_cert, pki_->other_key));
  EXPECT_EQ(r.status, 401) << r.error;
}

TEST_F(TlsAuthTest, AnonymousWhenEnabled) {
  Serve(NewAlwaysAllowAuthorizer(), /*anonymous=*/true);
  EXPECT_EQ(Get(Url("/healthz"), As("", "")).status, 200);
  // An unverifiable certificate falls back to anonymous, as upstream's union authenticator.
  EXPECT_EQ(Get(Url("/healthz"), As(pki_->other_cert, pki_->other_key)).status, 200);
}

TEST_F(TlsAuthTest, WithoutAClientCaCertificatesAreNotAskedFor) {
  Serve(NewAlwaysAllowAuthorizer(), /*anonymous=*/false, /*client_ca=*/false);
  EXPECT_EQ(Get(Url("/healthz"), As(pki_->client_cert, pki_->client_key)).status, 401);
}

TEST_F(TlsAuthTest, WebhookModeWithoutAnApiServerIsForbidden) {
  Serve(NewNoApiServerWebhookAuthorizer(), /*anonymous=*/true);
  auto r = Get(Url("/containerLogs/default/web/app"), As(pki_->client_cert, pki_->client_key));
  EXPECT_EQ(r.status, 403) << r.error;
  EXPECT_NE(r.body.find("Forbidden (user=alice, verb=get, resource=nodes, subresource=proxy)"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("API server"), std::string::npos) << r.body;
  EXPECT_TRUE(host_.Requests().empty());
  // Authentication still comes first.
  Serve(NewNoApiServerWebhookAuthorizer(), /*anonymous=*/false);
  EXPECT_EQ(Get(Url("/pods"), As("", "")).status, 401);
}

// A rotated serving certificate is taken for new connections without a restart.
TEST_F(TlsAuthTest, ReloadedCertificateServesNewConnections) {
  std::string saved_cert = *ReadFile(pki_->server_cert);
  std::string saved_key = *ReadFile(pki_->server_key);
  Serve(NewAlwaysAllowAuthorizer(), /*anonymous=*/true);
  EXPECT_EQ(Get(Url("/healthz"), As("", "")).status, 200);  // verified against the test CA
  // A certificate from a CA the client does not trust replaces it on disk.
  CertificateSpec ca_spec;
  ca_spec.common_name = "rotated-ca";
  ca_spec.is_ca = true;
  auto other_ca = *IssueCertificate(ca_spec, nullptr);
  CertificateSpec server;
  server.common_name = "node-a";
  server.ip_addresses = {"127.0.0.1"};
  server.server_auth = true;
  auto rotated = *IssueCertificate(server, &other_ca);
  ASSERT_TRUE(WriteFileAtomic(pki_->server_cert, rotated.cert_pem));
  ASSERT_TRUE(WriteFileAtomic(pki_->server_key, rotated.key_pem, 0600));
  EXPECT_EQ(Get(Url("/healthz"), As("", "")).status, 200);  // not reloaded yet
  ASSERT_TRUE(server_->ReloadTls());
  EXPECT_EQ(Get(Url("/healthz"), As("", "")).status, 0);  // the new one does not verify
  ClientOptions trusting_rotated;
  trusting_rotated.ca_file = dir_->Write("rotated-ca.crt", other_ca.cert_pem);
  EXPECT_EQ(Get(Url("/healthz"), trusting_rotated).status, 200);
  // A broken file leaves the current certificate in use.
  ASSERT_TRUE(WriteFileAtomic(pki_->server_cert, "not a certificate"));
  EXPECT_FALSE(server_->ReloadTls());
  EXPECT_EQ(Get(Url("/healthz"), trusting_rotated).status, 200);
  ASSERT_TRUE(WriteFileAtomic(pki_->server_cert, saved_cert));
  ASSERT_TRUE(WriteFileAtomic(pki_->server_key, saved_key, 0600));
}

TEST_F(TlsAuthTest, PlainHttpToTheTlsPortGetsNothing) {
  Serve(NewAlwaysAllowAuthorizer(), /*anonymous=*/true);
  std::string resp = testing::RawExchange(server_->port(), "GET /healthz HTTP/1.1\r\n\r\n",
                                          std::chrono::milliseconds(2000));
  EXPECT_EQ(resp.find("ok"), std::string::npos);
  EXPECT_EQ(Get(Url("/healthz"), As("", "")).body, "ok");
}

TEST(AuthTest, AttributesAsUpstream) {
  UserInfo u{"bob", {}};
  EXPECT_EQ(AttributesFor("GET", "/pods", u, "n").subresource, "proxy");
  EXPECT_EQ(AttributesFor("GET", "/containerLogs/a/b/c", u, "n").subresource, "proxy");
  EXPECT_EQ(AttributesFor("GET", "/stats/summary", u, "n").subresource, "stats");
  EXPECT_EQ(AttributesFor("GET", "/logs/", u, "n").subresource, "log");
  EXPECT_EQ(AttributesFor("GET", "/logsx", u, "n").subresource, "proxy");
  EXPECT_EQ(AttributesFor("POST", "/exec/a", u, "n").verb, "create");
  EXPECT_EQ(AttributesFor("GET", "/pods", u, "n").name, "n");
  EXPECT_FALSE(NewAuthorizer("RBAC"));
  auto anon = Authenticate({true, true}, std::nullopt);
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->name, "system:anonymous");
  EXPECT_FALSE(Authenticate({false, true}, PeerCertificate{false, "x", {}}));
  auto user = Authenticate({false, true}, PeerCertificate{true, "x", {"g"}});
  ASSERT_TRUE(user);
  EXPECT_EQ(user->groups, (std::vector<std::string>{"g", "system:authenticated"}));
}

TEST(KubeletServersTest, StartsWhatTheConfigurationAsksFor) {
  TempDir root;
  FakeHost host;
  host.pods.push_back(TestPod("default", "web", "uid-1"));
  config::KubeletConfiguration c;
  c.address = "127.0.0.1";
  c.read_only_port = 10255;
  c.healthz_bind_address = "127.0.0.1";
  auto s = KubeletServers::Start(c, root.path(), "node-a", {&host, nullptr, true});
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_NE((*s)->secure_port(), 0);
  ASSERT_NE((*s)->read_only_port(), 0);
  ASSERT_NE((*s)->healthz_port(), 0);
  // A self-signed serving certificate, key private to root.
  struct stat st {};
  ASSERT_EQ(::stat((root / "pki/kubelet.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto cert = ReadFile(root / "pki/kubelet.crt");
  ASSERT_TRUE(cert);
  // The file defaults: no anonymous access to the secure port.
  EXPECT_EQ(
      Get(fmt::format("https://127.0.0.1:{}/healthz", (*s)->secure_port()), ClientOptions{}).status,
      401);
  EXPECT_EQ(Get(fmt::format("http://127.0.0.1:{}/pods", (*s)->read_only_port())).status, 200);
  EXPECT_EQ(Get(fmt::format("http://127.0.0.1:{}/healthz", (*s)->healthz_port())).body, "ok");
  (*s)->Stop();
  s->reset();

  // Restarted, it keeps its certificate; with the flag defaults it serves anonymous users.
  c.read_only_port = 0;
  c.healthz_port = 0;
  c.authentication_anonymous_enabled = true;
  c.authorization_mode = "AlwaysAllow";
  auto again = KubeletServers::Start(c, root.path(), "node-a", {&host, nullptr, true});
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(*ReadFile(root / "pki/kubelet.crt"), *cert);
  EXPECT_EQ((*again)->read_only_port(), 0);
  EXPECT_EQ((*again)->healthz_port(), 0);
  EXPECT_EQ(Get(fmt::format("https://127.0.0.1:{}/pods", (*again)->secure_port()), ClientOptions{})
                .status,
            200);
}

TEST(KubeletServersTest, ConfiguredCertificatesMustExist) {
  TempDir root;
  FakeHost host;
  config::KubeletConfiguration c;
  c.address = "127.0.0.1";
  c.tls_cert_file = root / "missing.crt";
  c.tls_private_key_file = root / "missing.key";
  auto s = KubeletServers::Start(c, root.path(), "node-a", {&host, nullptr, true});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("missing.crt"), std::string::npos);
  c.tls_private_key_file.clear();
  EXPECT_FALSE(KubeletServers::Start(c, root.path(), "node-a", {&host, nullptr, true}));
}

}  // namespace
}  // namespace capstan::kubelet::server
