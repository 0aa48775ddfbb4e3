// GET /api/v1/nodes/{name}/proxy/{path}: the node's kubelet API, reached as the API
// server's kubelet client, so `kubectl get --raw /api/v1/nodes/N/proxy/stats/summary` (and
// /metrics, /metrics/cadvisor, /pods, /healthz) work as on kube-apiserver. Only GET: the
// kubelet answers nothing else that is not streaming.
#include <fmt/format.h>

#include "api/k8s/client/api_client.h"
#include "api/k8s/client/rest_client.h"
#include "control-plane/apiserver/handlers.h"
#include "control-plane/apiserver/object_util.h"

namespace capstan::control_plane::apiserver::internal {

namespace {

// The part of the request path after ".../nodes/{name}/proxy" ("/" when none).
std::string ProxiedPath(const RequestInfo& info) {
  std::string marker = "/nodes/" + info.name + "/proxy";
  auto at = info.path.find(marker);
  if (at == std::string::npos) return "/";
  std::string rest = info.path.substr(at + marker.size());
  return rest.empty() ? "/" : rest;
}

}  // namespace

void HandleNodeProxy(const HandlerContext& c) {
  if (c.info.verb != "get") {
    return RespondError(c.writer, MethodNotAllowedError("nodes/proxy answers GET here"));
  }
  if (c.kubelet == nullptr || !c.kubelet->configured()) {
    return RespondError(c.writer,
                        KubeletUnavailable("this server has no client certificate for kubelets"));
  }
  // The path arrives decoded: each segment is encoded again before it goes on the request
  // line, so a %0d%0a, a space or a %3F cannot change the request the kubelet reads.
  std::string decoded = ProxiedPath(c.info), path;
  for (size_t at = 1; at <= decoded.size();) {
    size_t slash = decoded.find('/', at);
    if (slash == std::string::npos) slash = decoded.size();
    std::string segment = decoded.substr(at, slash - at);
    if (segment == ".." || segment == ".") {
      return RespondError(c.writer, BadRequestError("invalid proxy path"));
    }
    path += "/" + api::k8s::client::QueryEscape(segment);
    at = slash + 1;
  }
  if (path.empty()) path = "/";
  auto node = c.registry.Get(c.resource, "", c.info.name);
  if (!node) return RespondError(c.writer, node.error());
  auto address = KubeletAddress(*node);
  if (!address) return RespondError(c.writer, address.error());

  std::string query;
  for (const auto& [k, v] : c.info.query) {
    query += (query.empty() ? "?" : "&") + api::k8s::client::QueryEscape(k) + "=" +
             api::k8s::client::QueryEscape(v);
  }
  auto client = c.kubelet->Client(address->first, address->second);
  if (!client) return RespondError(c.writer, InternalError(client.error().message()));
  auto response = (*client)->Do("GET", path + query);
  if (!response) {
    return RespondError(
        c.writer, KubeletUnavailable(fmt::format("error trying to reach the kubelet of node {}: {}",
                                                 c.info.name, response.error().message())));
  }
  // As kube-apiserver's proxy: the kubelet's answer as it came, status included.
  c.writer.Respond(response->status,
                   response->content_type.empty() ? "text/plain" : response->content_type,
                   response->body);
}

}  // namespace capstan::control_plane::apiserver::internal
