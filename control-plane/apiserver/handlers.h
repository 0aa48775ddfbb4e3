#pragma once
// Internal to the API server: the handlers of the resource verbs. Each gets the parsed
// request, the resource it names and what it needs to answer.

#include "control-plane/apiserver/api_server.h"
#include "control-plane/apiserver/service_account_tokens.h"

namespace capstan::control_plane::apiserver::internal {

struct HandlerContext {
  const HttpRequest& request;
  const RequestInfo& info;
  const ResourceInfo& resource;
  const UserInfo& user;
  Registry& registry;
  ResourceRegistry& resources;
  const Authorizer& authorizer;
  const Clock& clock;
  ResponseWriter& writer;
  const ServiceAccountTokens* tokens;  // null: TokenRequest is not served
  const KubeletConnection* kubelet;
  const metrics::MetricsStore* metrics;  // null: metrics.k8s.io answers 503
};

void HandleGet(const HandlerContext& c);
void HandleList(const HandlerContext& c);
void HandleWatch(const HandlerContext& c);
void HandleCreate(const HandlerContext& c);
void HandleUpdate(const HandlerContext& c);
void HandlePatch(const HandlerContext& c);
void HandleDelete(const HandlerContext& c);
void HandleDeleteCollection(const HandlerContext& c);
// Create-only review kinds (SelfSubjectAccessReview, ...) and the virtual ComponentStatus.
void HandleReview(const HandlerContext& c);
void HandleComponentStatus(const HandlerContext& c);
// Subresources with their own shapes: scale, binding, eviction.
void HandleScale(const HandlerContext& c);
void HandleBinding(const HandlerContext& c);
// pods/eviction (handlers_eviction.cc): `body` is the Eviction.
void HandleEviction(const HandlerContext& c, const Json& body);
// pods/NAME/log: proxied to the pod's kubelet (pod_logs.cc).
void HandlePodLog(const HandlerContext& c);
// pods/exec, pods/attach, pods/portforward (pod_stream.cc).
void HandlePodStream(const HandlerContext& c);
// nodes/NAME/proxy/PATH: a GET proxied to the node's kubelet (node_proxy.cc).
void HandleNodeProxy(const HandlerContext& c);
// 503 ServiceUnavailable: no kubelet client, or the kubelet could not be reached.
ApiError KubeletUnavailable(const std::string& message);
// The kubelet's address from its Node: InternalIP, else Hostname, and its port.
std::expected<std::pair<std::string, int>, ApiError> KubeletAddress(const Json& node);
// metrics.k8s.io NodeMetrics and PodMetrics (metrics_api.cc).
void HandleResourceMetrics(const HandlerContext& c);
// serviceaccounts/NAME/token: a bound service-account token (TokenRequest).
void HandleTokenRequest(const HandlerContext& c);

// The decoded request body (JSON, or YAML converted to JSON); 400/415 on failure.
std::expected<Json, ApiError> DecodeBody(const HttpRequest& request);
// Whether the client asked for a Table (kubectl get) and which version.
bool WantsTable(const HttpRequest& request);
bool DryRun(const RequestInfo& info);

}  // namespace capstan::control_plane::apiserver::internal
