// pods/log and nodes/proxy: the API server relays a container's log, or any GET, from the
// kubelet over mutually authenticated TLS. A fake kubelet (capstan's HTTPS server with a
// CA-signed certificate) answers /containerLogs and /stats/summary.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <mutex>

#include "common/file.h"
#include "common/pki/certs.h"
#include "control-plane/apiserver/api_server.h"
#include "tests/control-plane/apiserver/registry_fixture.h"

namespace capstan::control_plane::apiserver {
namespace {

class CapturingWriter : public ResponseWriter {
 public:
  void Respond(int s, const std::string& type, const std::string& b,
               const std::map<std::string, std::string>&) override {
    status = s;
    content_type = type;
    body = b;
  }
  bool StartStream(int s, const std::string& type) override {
    status = s;
    content_type = type;
    return true;
  }
  bool WriteChunk(std::string_view data) override {
    body += data;
    return true;
  }
  void EndStream() override { ended = true; }
  bool ClientGone() override { return false; }

  int status = 0;
  std::string content_type, body;
  bool ended = false;
};

// A kubelet's API: the log of container c2 of app/web, once or followed.
class FakeKubelet {
 public:
  FakeKubelet(const std::string& dir, const pki::CertAndKey& serving, const std::string& ca_pem) {
    CAPSTAN_CHECK(WriteFileAtomic(dir + "/kubelet.crt", serving.cert_pem));
    CAPSTAN_CHECK(WriteFileAtomic(dir + "/kubelet.key", serving.key_pem));
    CAPSTAN_CHECK(WriteFileAtomic(dir + "/ca.crt", ca_pem));
    HttpServerOptions o;
    o.cert_file = dir + "/kubelet.crt";
    o.key_file = dir + "/kubelet.key";
    o.client_ca_file = dir + "/ca.crt";
    auto server = HttpServer::Start(o, [this](const HttpRequest& req, ResponseWriter& w) {
      {
        std::lock_guard lock(mu_);
        targets.push_back(req.target);
        callers.push_back(req.client_certificate ? req.client_certificate->common_name : "");
      }
      if (req.target.rfind("/stats/summary", 0) == 0) {
        return w.Respond(200, "application/json", R"({"node":{"nodeName":"node-a"}})");
      }
      if (req.target.rfind("/containerLogs/app/web/c2", 0) != 0) {
        return w.Respond(404, "text/plain", "no such container");
      }
      if (req.target.find("follow=true") != std::string::npos) {
        w.StartStream(200, "text/plain");
        w.WriteChunk("line 1\n");
        w.WriteChunk("line 2\n");
        return w.EndStream();
      }
      w.Respond(200, "text/plain", "hello\nworld\n");
    });
    CAPSTAN_CHECK(server);
    server_ = std::move(*server);
  }
  int port() const { return server_->port(); }

  std::mutex mu_;
  std::vector<std::string> targets, callers;

 private:
  std::unique_ptr<HttpServer> server_;
};

class PodLogsTest : public RegistryFixture {
 protected:
  void SetUp() override {
    RegistryFixture::SetUp();
    authn_.Add(std::make_unique<ClientCertAuthenticator>());
    authz_.Add(std::make_unique<MastersAuthorizer>());

    pki::CertificateSpec ca_spec;
    ca_spec.common_name = "cluster-ca";
    ca_spec.is_ca = true;
    ca_ = *pki::IssueCertificate(ca_spec);
    pki::CertificateSpec serving;
    serving.common_name = "system:node:node-a";
    serving.ip_addresses = {"127.0.0.1"};
    serving.server_auth = true;
    kubelet_ =
        std::make_unique<FakeKubelet>(dir_, *pki::IssueCertificate(serving, &ca_), ca_.cert_pem);
    pki::CertificateSpec client;
    client.common_name = "kube-apiserver-kubelet-client";
    client.client_auth = true;
    auto client_pair = *pki::IssueCertificate(client, &ca_);
    ApiServerOptions options;
    options.kubelet = {ca_.cert_pem, client_pair.cert_pem, client_pair.key_pem};
    api_ = std::make_unique<ApiServer>(options, &resources_, registry_.get(), &authn_, &authz_,
                                       nullptr, &real_clock_);
    api_->SetReady(true);

    ASSERT_TRUE(registry_->Create(Res("namespaces"), "", {{"metadata", {{"name", "app"}}}}, false));
    Json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", "node-a"}}}};
    ASSERT_TRUE(registry_->Create(Res("nodes"), "", node, false));
    auto stored = registry_->Get(Res("nodes"), "", "node-a");
    Json with_status = *stored;
    with_status["status"] = {
        {"addresses", {{{"type", "InternalIP"}, {"address", "127.0.0.1"}}}},
        {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", kubelet_->port()}}}}}};
    ASSERT_TRUE(registry_->Update(Res("nodes"), "", "node-a", with_status, "status", false));
    Json pod = Json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},
      "spec":{"nodeName":"node-a","containers":[{"name":"c1","image":"x"},{"name":"c2","image":"x"}]}})");
    ASSERT_TRUE(registry_->Create(Res("pods"), "app", pod, false));
    Json pending = Json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"pending"},
      "spec":{"containers":[{"name":"c","image":"x"}]}})");
    ASSERT_TRUE(registry_->Create(Res("pods"), "app", pending, false));
  }
  void TearDown() override {
    api_.reset();
    kubelet_.reset();
    RegistryFixture::TearDown();
  }
  CapturingWriter Get(const std::string& target) {
    HttpRequest req;
    req.method = "GET";
    req.target = target;
    req.client_certificate = ClientCertificate{"admin", {"system:masters"}};
    CapturingWriter w;
    api_->Serve(req, w);
    return w;
  }

  UnionAuthenticator authn_;
  UnionAuthorizer authz_;
  pki::CertAndKey ca_;
  std::unique_ptr<FakeKubelet> kubelet_;
  std::unique_ptr<ApiServer> api_;
};

TEST_F(PodLogsTest, RelaysTheKubeletsLogAsTheApiServerClient) {
  auto w = Get("/api/v1/namespaces/app/pods/web/log?container=c2&tailLines=10&timestamps=true");
  EXPECT_EQ(w.status, 200) << w.body;
  EXPECT_EQ(w.body, "hello\nworld\n");
  std::lock_guard lock(kubelet_->mu_);
  ASSERT_EQ(kubelet_->targets.size(), 1u);
  EXPECT_EQ(kubelet_->targets[0], "/containerLogs/app/web/c2?timestamps=true&tailLines=10");
  EXPECT_EQ(kubelet_->callers[0], "kube-apiserver-kubelet-client");
}

TEST_F(PodLogsTest, FollowStreamsLines) {
  auto w = Get("/api/v1/namespaces/app/pods/web/log?container=c2&follow=true");
  EXPECT_EQ(w.status, 200);
  EXPECT_EQ(w.body, "line 1\nline 2\n");
  EXPECT_TRUE(w.ended);
}

TEST_F(PodLogsTest, ErrorsInUpstreamsWords) {
  auto w = Get("/api/v1/namespaces/app/pods/web/log");
  EXPECT_EQ(w.status, 400);
  EXPECT_NE(w.body.find("a container name must be specified for pod web, choose one of: [c1 c2]"),
            std::string::npos)
      << w.body;
  w = Get("/api/v1/namespaces/app/pods/web/log?container=zz");
  EXPECT_NE(w.body.find("container zz is not valid for pod web"), std::string::npos) << w.body;
  w = Get("/api/v1/namespaces/app/pods/pending/log");
  EXPECT_NE(w.body.find("pod pending does not have a host assigned"), std::string::npos) << w.body;
  w = Get("/api/v1/namespaces/app/pods/web/log?container=c1");
  EXPECT_EQ(w.status, 404) << w.body;
  EXPECT_NE(w.body.find("no such container"), std::string::npos) << w.body;
}

TEST_F(PodLogsTest, NodeProxyRelaysAGetToTheKubelet) {
  auto w = Get("/api/v1/nodes/node-a/proxy/stats/summary?only_cpu_and_memory=true");
  EXPECT_EQ(w.status, 200) << w.body;
  EXPECT_EQ(w.content_type, "application/json");
  EXPECT_EQ(w.body, R"({"node":{"nodeName":"node-a"}})");
  w = Get("/api/v1/nodes/node-a/proxy/nope");
  EXPECT_EQ(w.status, 404);  // the kubelet's own answer
  w = Get("/api/v1/nodes/node-a/proxy/stats/../containerLogs/app/web/c2");
  EXPECT_EQ(w.status, 400) << w.body;
  // A decoded CR LF or space must not reach the kubelet's request line as such.
  w = Get("/api/v1/nodes/node-a/proxy/healthz%20HTTP/1.1%0d%0aX:%20y");
  EXPECT_EQ(w.status, 404) << w.body;
  w = Get("/api/v1/nodes/node-b/proxy/stats/summary");
  EXPECT_EQ(w.status, 404) << w.body;
  std::lock_guard lock(kubelet_->mu_);
  ASSERT_EQ(kubelet_->targets.size(), 3u);
  EXPECT_EQ(kubelet_->targets[0], "/stats/summary?only_cpu_and_memory=true");
  EXPECT_EQ(kubelet_->targets[2], "/healthz%20HTTP/1.1%0D%0AX%3A%20y");
  EXPECT_EQ(kubelet_->callers[0], "kube-apiserver-kubelet-client");
}

TEST_F(PodLogsTest, AKubeletWithAnUntrustedCertificateIsNotTalkedTo) {
  pki::CertificateSpec self;
  self.common_name = "impostor";
  self.ip_addresses = {"127.0.0.1"};
  self.server_auth = true;
  std::filesystem::create_directory(dir_ + "/impostor");
  FakeKubelet impostor(dir_ + "/impostor", *pki::IssueCertificate(self), ca_.cert_pem);
  auto node = *registry_->Get(Res("nodes"), "", "node-a");
  node["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"] = impostor.port();
  ASSERT_TRUE(registry_->Update(Res("nodes"), "", "node-a", node, "status", false));
  auto w = Get("/api/v1/namespaces/app/pods/web/log?container=c2");
  EXPECT_EQ(w.status, 500) << w.body;
  std::lock_guard lock(impostor.mu_);
  EXPECT_TRUE(impostor.targets.empty());
}

}  // namespace
}  // namespace capstan::control_plane::apiserver
