#include "control-plane/apiserver/pod_logs.h"

#include <fmt/format.h>

#include "api/k8s/client/api_client.h"
#include "api/k8s/client/rest_client.h"
#include "control-plane/apiserver/handlers.h"

namespace capstan::control_plane::apiserver {

Result<std::unique_ptr<api::k8s::client::RestClient>> KubeletConnection::Client(
    const std::string& host, int port, std::chrono::milliseconds timeout) const {
  api::k8s::client::RestConfig config;
  config.host = host;
  config.port = port;
  config.ca_pem = ca_pem;
  config.client_cert_pem = client_cert_pem;
  config.client_key_pem = client_key_pem;
  config.timeout = timeout;
  return api::k8s::client::RestClient::Create(config);
}

namespace internal {
namespace {

constexpr int kDefaultKubeletPort = 10250;
// A followed log ends when its container exits or the client leaves; this only bounds a
// stream whose kubelet went silent.
constexpr std::chrono::hours kFollowLimit{24};

std::vector<std::string> ContainerNames(const Json& pod, const char* list) {
  std::vector<std::string> out;
  for (const auto& c :
       Lookup(pod, {"spec", list}).is_array() ? Lookup(pod, {"spec", list}) : Json::array()) {
    out.push_back(StringOr(c.value("name", Json())));
  }
  return out;
}

std::string Bracketed(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : " ") + n;
  return "[" + out + "]";
}

// The container whose log is asked for, or an error in upstream's words.
std::expected<std::string, ApiError> ChooseContainer(const Json& pod, const std::string& asked) {
  std::string name = MetaString(pod, "name");
  auto containers = ContainerNames(pod, "containers");
  auto init = ContainerNames(pod, "initContainers");
  auto ephemeral = ContainerNames(pod, "ephemeralContainers");
  if (asked.empty()) {
    if (containers.size() == 1) return containers.front();
    std::string message =
        fmt::format("a container name must be specified for pod {}, choose one of: {}", name,
                    Bracketed(containers));
    if (!init.empty()) message += " or one of the init containers: " + Bracketed(init);
    return std::unexpected(BadRequestError(message));
  }
  for (const auto* list : {&containers, &init, &ephemeral}) {
    if (std::find(list->begin(), list->end(), asked) != list->end()) return asked;
  }
  return std::unexpected(
      BadRequestError(fmt::format("container {} is not valid for pod {}", asked, name)));
}

// A container that has not started has no log yet; kube-apiserver says so before asking.
std::optional<ApiError> WaitingError(const Json& pod, const std::string& container) {
  for (const char* list :
       {"initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"}) {
    const Json& statuses = Lookup(pod, {"status", list});
    if (!statuses.is_array()) continue;
    for (const auto& s : statuses) {
      if (StringOr(s.value("name", Json())) != container) continue;
      const Json& waiting = Lookup(s, {"state", "waiting"});
      bool ran_before = !Lookup(s, {"lastState", "terminated"}).is_null();
      if (waiting.is_object() && !ran_before) {
        return BadRequestError(fmt::format("container \"{}\" in pod \"{}\" is waiting to start: {}",
                                           container, MetaString(pod, "name"),
                                           StringOr(waiting.value("reason", Json()))));
      }
    }
  }
  return std::nullopt;
}

std::string KubeletQuery(const RequestInfo& info) {
  std::string q;
  for (const char* key : {"follow", "previous", "sinceSeconds", "sinceTime", "timestamps",
                          "tailLines", "limitBytes"}) {
    auto it = info.query.find(key);
    if (it == info.query.end()) continue;
    q += fmt::format("{}{}={}", q.empty() ? "?" : "&", key,
                     api::k8s::client::QueryEscape(it->second));
  }
  return q;
}

}  // namespace

ApiError KubeletUnavailable(const std::string& message) {
  ApiError e = InternalError(message);
  e.code = 503;
  e.reason = "ServiceUnavailable";
  return e;
}

std::expected<std::pair<std::string, int>, ApiError> KubeletAddress(const Json& node) {
  std::string host;
  for (const char* type : {"InternalIP", "ExternalIP", "Hostname"}) {
    for (const auto& a : Lookup(node, {"status", "addresses"}).is_array()
                             ? Lookup(node, {"status", "addresses"})
                             : Json::array()) {
      // Lookup, not value(): an element that is not an object must not throw.
      if (host.empty() && StringOr(Lookup(a, {"type"})) == type) {
        host = StringOr(Lookup(a, {"address"}));
      }
    }
  }
  if (host.empty()) {
    return std::unexpected(InternalError(
        fmt::format("node {} has no address to reach its kubelet at", MetaString(node, "name"))));
  }
  int port = static_cast<int>(
      IntOr(Lookup(node, {"status", "daemonEndpoints", "kubeletEndpoint", "Port"}), 0));
  return std::make_pair(host, port > 0 ? port : kDefaultKubeletPort);
}

void HandlePodLog(const HandlerContext& c) {
  if (c.info.verb != "get") {
    return RespondError(c.writer, MethodNotAllowedError("pods/log answers GET"));
  }
  if (c.kubelet == nullptr || !c.kubelet->configured()) {
    return RespondError(c.writer,
                        KubeletUnavailable("this server has no client certificate for kubelets"));
  }
  auto pod = c.registry.Get(c.resource, c.info.namespace_, c.info.name);
  if (!pod) return RespondError(c.writer, pod.error());
  auto it = c.info.query.find("container");
  auto container = ChooseContainer(*pod, it == c.info.query.end() ? "" : it->second);
  if (!container) return RespondError(c.writer, container.error());
  std::string node_name = StringOr(Lookup(*pod, {"spec", "nodeName"}));
  if (node_name.empty()) {
    return RespondError(c.writer, BadRequestError(fmt::format(
                                      "pod {} does not have a host assigned", c.info.name)));
  }
  if (auto waiting = WaitingError(*pod, *container)) return RespondError(c.writer, *waiting);
  auto nodes = c.resources.Find("", "v1", "nodes");
  auto node = c.registry.Get(*nodes, "", node_name);
  if (!node) return RespondError(c.writer, node.error());
  auto address = KubeletAddress(*node);
  if (!address) return RespondError(c.writer, address.error());

  auto client = c.kubelet->Client(address->first, address->second);
  if (!client) return RespondError(c.writer, InternalError(client.error().message()));
  std::string path = fmt::format("/containerLogs/{}/{}/{}{}", c.info.namespace_, c.info.name,
                                 *container, KubeletQuery(c.info));
  auto follow = c.info.query.find("follow");
  if (follow == c.info.query.end() || follow->second != "true") {
    auto response = (*client)->Do("GET", path);
    if (!response) return RespondError(c.writer, InternalError(response.error().message()));
    if (response->status != 200) {
      ApiError e = InternalError(response->body);
      e.code = response->status;
      e.reason = response->status == 404 ? "NotFound" : "BadRequest";
      return RespondError(c.writer, e);
    }
    c.writer.Respond(200, "text/plain", response->body);
    return;
  }
  bool started = false;
  auto streamed = (*client)->Stream(
      path,
      [&](const std::string& line) {
        if (!started) {
          if (!c.writer.StartStream(200, "text/plain")) return false;
          started = true;
        }
        return c.writer.WriteChunk(line + "\n") && !c.writer.ClientGone();
      },
      kFollowLimit);
  if (!started) {
    if (!streamed) return RespondError(c.writer, InternalError(streamed.error().message()));
    if (!c.writer.StartStream(200, "text/plain")) return;
  }
  c.writer.EndStream();
}

}  // namespace internal
}  // namespace capstan::control_plane::apiserver
