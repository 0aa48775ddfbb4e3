#include "kubelet/server/server.h"

#include "common/log.h"
#include "kubelet/server/certs.h"

namespace capstan::kubelet::server {

namespace {
const log::Logger kLog("kubelet-server");
}  // namespace

Result<std::unique_ptr<KubeletServers>> KubeletServers::Start(const config::KubeletConfiguration& c,
                                                              const std::string& root_dir,
                                                              const std::string& node_name,
                                                              ServerDeps deps) {
  std::unique_ptr<KubeletServers> s(new KubeletServers());
  RouterOptions base;
  base.node_name = node_name;
  base.clock = deps.clock;

  if (c.enable_server) {
    CAPSTAN_ASSIGN_OR_RETURN(auto files,
                             EnsureServingCertificate(c.tls_cert_file, c.tls_private_key_file,
                                                      root_dir + "/pki", node_name));
    CAPSTAN_ASSIGN_OR_RETURN(s->authorizer_, NewAuthorizer(c.authorization_mode));
    if (c.authorization_mode == "Webhook" && deps.authorizer == nullptr) {
      kLog.Warn(
          "authorization mode Webhook needs an API server: the secure port refuses every "
          "request (403) until one is configured; use AlwaysAllow to serve without one");
    }
    if (c.authentication_webhook_enabled) {
      kLog.Info("bearer-token authentication needs an API server; tokens are not checked");
    }
    RouterOptions ro = base;
    ro.endpoints = Endpoints::kAll;
    ro.authorizer = deps.authorizer != nullptr && c.authorization_mode == "Webhook"
                        ? deps.authorizer
                        : s->authorizer_.get();
    ro.authentication.anonymous_enabled = c.authentication_anonymous_enabled;
    ro.authentication.x509_enabled = !c.authentication_x509_client_ca_file.empty();
    s->secure_router_ = std::make_unique<Router>(deps.host, ro);
    HttpServerOptions o;
    o.name = "kubelet";
    o.address = c.address;
    o.port = deps.ephemeral_ports ? 0 : c.port;
    o.tls = TlsOptions{files.cert_file, files.key_file, c.authentication_x509_client_ca_file};
    o.worker_threads = 4;
    CAPSTAN_ASSIGN_OR_RETURN(s->secure_, HttpServer::Start(o, s->secure_router_.get()));
  }
  if (c.read_only_port > 0) {
    RouterOptions rr = base;
    rr.endpoints = Endpoints::kReadOnly;
    s->read_only_router_ = std::make_unique<Router>(deps.host, rr);
    HttpServerOptions ho;
    ho.name = "kubelet-read-only";
    ho.address = c.address;
    ho.port = deps.ephemeral_ports ? 0 : c.read_only_port;
    CAPSTAN_ASSIGN_OR_RETURN(s->read_only_, HttpServer::Start(ho, s->read_only_router_.get()));
  }
  if (c.healthz_port > 0) {
    RouterOptions hr = base;
    hr.endpoints = Endpoints::kHealthzOnly;
    s->healthz_router_ = std::make_unique<Router>(deps.host, hr);
    HttpServerOptions ho;
    ho.name = "kubelet-healthz";
    ho.address = c.healthz_bind_address;
    ho.port = deps.ephemeral_ports ? 0 : c.healthz_port;
    ho.worker_threads = 1;
    CAPSTAN_ASSIGN_OR_RETURN(s->healthz_, HttpServer::Start(ho, s->healthz_router_.get()));
  }
  return s;
}

KubeletServers::~KubeletServers() { Stop(); }

void KubeletServers::Stop() {
  for (auto* srv : {secure_.get(), read_only_.get(), healthz_.get()}) {
    if (srv) {
      srv->Stop();
    }
  }
}

}  // namespace capstan::kubelet::server
