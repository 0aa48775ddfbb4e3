#pragma once
// KubeletServers: the kubelet's HTTP endpoints as its configuration asks for them (upstream's
// ListenAndServeKubeletServer, ...ReadOnlyServer and the healthz server):
//   - the secure port (`address`:`port`, when enableServer): HTTPS with the configured
//     certificate or a self-signed one kept in <root-dir>/pki, client-certificate and
//     anonymous authentication, the configured authorization mode; every endpoint;
//   - the read-only port (`address`:`readOnlyPort`, when non-zero): HTTP, no authentication,
//     /healthz and /pods;
//   - the healthz port (`healthzBindAddress`:`healthzPort`, when non-zero): HTTP /healthz.

#include <memory>
#include <string>

#include "common/error.h"
#include "kubelet/config/kubelet_config.h"
#include "kubelet/server/http_server.h"
#include "kubelet/server/router.h"

namespace capstan::kubelet::server {

struct ServerDeps {
  HostInterface* host = nullptr;  // must outlive the servers
  const Clock* clock = nullptr;   // null: the real clock
  bool ephemeral_ports = false;   // tests: every enabled server binds a free port
  // Replaces the authorizer authorizationMode names (a node of a cluster: the
  // SubjectAccessReview one); must outlive the servers.
  const Authorizer* authorizer = nullptr;
};

class KubeletServers {
 public:
  // Starts what `config` enables (a read-only or healthz port of 0 is off); a port that
  // cannot be bound, or a serving certificate that cannot be read or made, is an error.
  static Result<std::unique_ptr<KubeletServers>> Start(const config::KubeletConfiguration& config,
                                                       const std::string& root_dir,
                                                       const std::string& node_name,
                                                       ServerDeps deps);
  ~KubeletServers();

  // The bound ports, 0 for a server that is not running.
  int secure_port() const { return secure_ ? secure_->port() : 0; }
  int read_only_port() const { return read_only_ ? read_only_->port() : 0; }
  int healthz_port() const { return healthz_ ? healthz_->port() : 0; }

  // Stops every server and waits for their handlers. Idempotent.
  void Stop();
  // The secure port takes its (rotated) certificate files again.
  Status ReloadServingCertificate() { return secure_ ? secure_->ReloadTls() : Ok(); }

 private:
  KubeletServers() = default;

  std::unique_ptr<Authorizer> authorizer_;
  std::unique_ptr<Router> secure_router_, read_only_router_, healthz_router_;
  std::unique_ptr<HttpServer> secure_, read_only_, healthz_;
};

}  // namespace capstan::kubelet::server
