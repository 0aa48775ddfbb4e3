// pods/exec, pods/attach and pods/portforward: kube-apiserver's streaming proxy. The request
// (an upgrade to SPDY/3.1, or to WebSocket) is checked against the pod, rewritten for the
// pod's kubelet (/exec/<ns>/<pod>/<container>?command=..&input=1.., /attach/..,
// /portForward/<ns>/<pod>) and sent there as the API server's kubelet client; from then on
// the connection is relayed byte for byte, the kubelet's 101 answer included, so kubectl
// exec -it, attach, cp and port-forward speak to the kubelet (and through it, to the
// runtime's streaming server) as they would through kube-apiserver.
#include <fmt/format.h>

#include "api/k8s/client/api_client.h"
#include "control-plane/apiserver/handlers.h"
#include "control-plane/apiserver/object_util.h"

namespace capstan::control_plane::apiserver::internal {

namespace {

// Every value of `key` in the raw query (command=sh&command=-c..., port=80&port=443).
std::vector<std::string> QueryValues(std::string_view target, std::string_view key) {
  std::vector<std::string> out;
  size_t q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    if (UrlDecode(pair.substr(0, eq), true) == key) {
      out.push_back(eq == std::string_view::npos ? "" : UrlDecode(pair.substr(eq + 1), true));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

bool QueryTrue(std::string_view target, std::string_view key) {
  auto v = QueryValues(target, key);
  return !v.empty() && (v.back() == "true" || v.back() == "1");
}

std::vector<std::string> Names(const Json& pod, const char* list) {
  std::vector<std::string> out;
  const Json& items = Lookup(pod, {"spec", list});
  for (const auto& c : items.is_array() ? items : Json::array()) {
    out.push_back(StringOr(Lookup(c, {"name"})));
  }
  return out;
}

// The container asked for, or the only one; errors in kube-apiserver's words.
std::expected<std::string, ApiError> StreamContainer(const Json& pod, const std::string& asked) {
  std::string name = MetaString(pod, "name");
  auto containers = Names(pod, "containers");
  if (asked.empty()) {
    if (containers.size() == 1) return containers[0];
    std::string list;
    for (const auto& n : containers) list += (list.empty() ? "" : " ") + n;
    return std::unexpected(BadRequestError(fmt::format(
        "a container name must be specified for pod {}, choose one of: [{}]", name, list)));
  }
  for (const char* list : {"containers", "initContainers", "ephemeralContainers"}) {
    auto names = Names(pod, list);
    if (std::find(names.begin(), names.end(), asked) != names.end()) return asked;
  }
  return std::unexpected(
      BadRequestError(fmt::format("container {} is not valid for pod {}", asked, name)));
}

bool IsUpgrade(const HttpRequest& request) {
  std::string connection = request.Header("connection");
  std::transform(connection.begin(), connection.end(), connection.begin(), ::tolower);
  return !request.Header("upgrade").empty() && connection.find("upgrade") != std::string::npos;
}

}  // namespace

void HandlePodStream(const HandlerContext& c) {
  const std::string& sub = c.info.subresource;
  if (c.info.verb != "get" && c.info.verb != "create") {
    return RespondError(c.writer, MethodNotAllowedError("pods/" + sub + " answers GET and POST"));
  }
  if (c.kubelet == nullptr || !c.kubelet->configured()) {
    return RespondError(c.writer,
                        KubeletUnavailable("this server has no client certificate for kubelets"));
  }
  auto pod = c.registry.Get(c.resource, c.info.namespace_, c.info.name);
  if (!pod) return RespondError(c.writer, pod.error());
  std::string phase = StringOr(Lookup(*pod, {"status", "phase"}));
  if (phase == "Succeeded" || phase == "Failed") {
    return RespondError(c.writer,
                        BadRequestError(fmt::format(
                            "cannot {} into a container in a completed pod; current phase is {}",
                            sub == "portforward" ? "port-forward" : sub, phase)));
  }
  std::string node_name = StringOr(Lookup(*pod, {"spec", "nodeName"}));
  if (node_name.empty()) {
    return RespondError(c.writer, BadRequestError(fmt::format(
                                      "pod {} does not have a host assigned", c.info.name)));
  }
  const std::string& target = c.request.target;
  std::string path = "/" + std::string(sub == "portforward" ? "portForward" : sub) + "/" +
                     api::k8s::client::QueryEscape(c.info.namespace_) + "/" +
                     api::k8s::client::QueryEscape(c.info.name);
  std::string query;
  auto add = [&](const std::string& k, const std::string& v) {
    query += (query.empty() ? "?" : "&") + k + "=" + api::k8s::client::QueryEscape(v);
  };
  if (sub == "portforward") {
    for (const auto& p : QueryValues(target, "ports")) add("port", p);
  } else {
    auto asked = QueryValues(target, "container");
    auto container = StreamContainer(*pod, asked.empty() ? "" : asked.back());
    if (!container) return RespondError(c.writer, container.error());
    path += "/" + api::k8s::client::QueryEscape(*container);
    auto command = QueryValues(target, "command");
    if (sub == "exec") {
      if (command.empty()) {
        return RespondError(c.writer, BadRequestError("you must specify at least one command"));
      }
      for (const auto& arg : command) add("command", arg);
    }
    bool any = false;
    for (auto [theirs, ours] : {std::pair{"stdin", "input"}, std::pair{"stdout", "output"},
                                std::pair{"stderr", "error"}, std::pair{"tty", "tty"}}) {
      if (QueryTrue(target, theirs)) {
        add(ours, "1");
        any = any || std::string_view(theirs) != "tty";
      }
    }
    if (!any) {
      return RespondError(c.writer,
                          BadRequestError("you must specify at least 1 of stdin, stdout, stderr"));
    }
  }
  if (!IsUpgrade(c.request)) {
    return RespondError(c.writer, BadRequestError("Upgrade request required"));
  }
  auto nodes = c.resources.Find("", "v1", "nodes");
  auto node = c.registry.Get(*nodes, "", node_name);
  if (!node) return RespondError(c.writer, node.error());
  auto address = KubeletAddress(*node);
  if (!address) return RespondError(c.writer, address.error());

  // The client's request for the kubelet: its method and the upgrade headers as they came
  // (Upgrade, Connection, X-Stream-Protocol-Version, Sec-WebSocket-*), no credentials.
  UpgradeTarget up;
  up.host = address->first;
  up.port = address->second;
  up.ca_pem = c.kubelet->ca_pem;
  up.client_cert_pem = c.kubelet->client_cert_pem;
  up.client_key_pem = c.kubelet->client_key_pem;
  std::string host = up.host.find(':') != std::string::npos ? "[" + up.host + "]" : up.host;
  up.request_head = c.request.method + " " + path + query + " HTTP/1.1\r\nHost: " + host + ":" +
                    std::to_string(up.port) + "\r\n";
  for (const auto& [original_name, value] : c.request.header_lines) {
    std::string name = original_name;
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    if (name == "host" || name == "authorization" || name == "content-length" ||
        name == "transfer-encoding" || name.rfind("impersonate-", 0) == 0) {
      continue;
    }
    up.request_head += original_name + ": " + value + "\r\n";
  }
  up.request_head += "Content-Length: 0\r\n\r\n";
  if (auto st = c.writer.ProxyUpgrade(up); !st) {
    return RespondError(c.writer, KubeletUnavailable(fmt::format("error dialing backend: {}",
                                                                 st.error().message())));
  }
}

}  // namespace capstan::control_plane::apiserver::internal
