#pragma once
// ApiServer: a request's whole path through capstan-server, independent of the transport:
// non-resource endpoints (health, version, discovery, OpenAPI), then for resources
// authentication -> authorization -> the verb's handler over the Registry, answering JSON,
// Tables for kubectl, or watch streams.

#include <atomic>
#include <memory>
#include <string>

#include "control-plane/apiserver/auth.h"
#include "control-plane/apiserver/http_server.h"
#include "control-plane/apiserver/pod_logs.h"
#include "control-plane/apiserver/registry.h"
#include "control-plane/apiserver/request_info.h"
#include "control-plane/apiserver/resource_info.h"
#include "control-plane/metrics/metrics_store.h"

namespace capstan::control_plane::apiserver {

class ServiceAccountTokens;

struct ApiServerOptions {
  std::string advertise_address = "127.0.0.1:6443";  // for /api's serverAddressByClientCIDRs
  std::string version = "v1.31.0";                   // the Kubernetes version we answer as
  std::string git_version_suffix = "+capstan";
  KubeletConnection kubelet;                       // for pods/log; unset: 503
  const metrics::MetricsStore* metrics = nullptr;  // metrics.k8s.io; null: 503
};

class ApiServer {
 public:
  ApiServer(ApiServerOptions options, ResourceRegistry* resources, Registry* registry,
            const UnionAuthenticator* authn, const Authorizer* authz,
            const ServiceAccountTokens* tokens, const Clock* clock);

  void Serve(const HttpRequest& request, ResponseWriter& writer) const;

  // Set once the server is ready for /readyz (storage open, defaults written).
  void SetReady(bool ready) { ready_ = ready; }

 private:
  void ServeChecked(const HttpRequest& request, ResponseWriter& writer) const;
  bool ServeNonResource(const HttpRequest& request, const RequestInfo& info,
                        ResponseWriter& writer) const;
  void ServeResource(const HttpRequest& request, const RequestInfo& info, const UserInfo& user,
                     ResponseWriter& writer) const;

  ApiServerOptions options_;
  ResourceRegistry* resources_;
  Registry* registry_;
  const UnionAuthenticator* authn_;
  const Authorizer* authz_;
  const ServiceAccountTokens* tokens_;
  const Clock* clock_;
  std::atomic<bool> ready_{false};
};

// Writes `error` as a Status response.
void RespondError(ResponseWriter& writer, const ApiError& error);
void RespondJson(ResponseWriter& writer, int status, const Json& body);
// A bare metav1.Status of Success (pods/binding and pods/eviction answer 201 with one).
void RespondSuccess(ResponseWriter& writer, int status);
// With a `Warning: 299 - "<text>"` header per warning, which kubectl prints as "Warning: <text>".
void RespondJson(ResponseWriter& writer, int status, const Json& body,
                 const std::vector<std::string>& warnings);

}  // namespace capstan::control_plane::apiserver
