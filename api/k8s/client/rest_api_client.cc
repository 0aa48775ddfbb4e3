#include "api/k8s/client/rest_api_client.h"

#include <sys/socket.h>

#include <fmt/format.h>

#include "common/pki/kubeconfig.h"

namespace capstan::api::k8s::client {
namespace {

std::string Query(const ListOptions& o, bool watch) {
  std::string q;
  auto add = [&q](const char* key, const std::string& value) {
    if (value.empty()) return;
    q += q.empty() ? "?" : "&";
    q += key;
    q += '=';
    q += QueryEscape(value);
  };
  if (watch) add("watch", "true");
  add("labelSelector", o.label_selector);
  add("fieldSelector", o.field_selector);
  add("resourceVersion", o.resource_version);
  if (o.timeout.count() > 0) add("timeoutSeconds", std::to_string(o.timeout.count()));
  if (watch) add("allowWatchBookmarks", "true");
  return q;
}

}  // namespace

std::string QueryEscape(const std::string& value) {
  std::string out;
  for (unsigned char ch : value) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += fmt::format("%{:02X}", ch);
    }
  }
  return out;
}

std::string ResourcePath(const Resource& r, const std::string& ns, const std::string& name,
                         const std::string& subresource) {
  std::string path = r.group.empty() ? "/api/" + r.version : "/apis/" + r.group + "/" + r.version;
  if (r.namespaced && !ns.empty()) path += "/namespaces/" + ns;
  path += "/" + r.plural;
  if (!name.empty()) path += "/" + name;
  if (!subresource.empty()) path += "/" + subresource;
  return path;
}

Error ApiErrorFrom(int http_status, const std::string& body) {
  Json status = Json::parse(body, nullptr, false);
  std::string message = status.is_object() ? status.value("message", body) : body;
  std::string reason = status.is_object() ? status.value("reason", "") : "";
  Code code = Code::kInternal;
  switch (http_status) {
    case 400:
    case 422: code = Code::kInvalidArgument; break;
    case 401:
    case 403: code = Code::kPermissionDenied; break;
    case 404: code = Code::kNotFound; break;
    case 409:
      code = reason == "AlreadyExists" ? Code::kAlreadyExists : Code::kFailedPrecondition;
      break;
    case 410: code = Code::kOutOfRange; break;
    case 429:
    case 503:
    case 504: code = Code::kUnavailable; break;
    default: break;
  }
  return Error(code, fmt::format("HTTP {}: {}", http_status, message));
}

RestApiClient::RestApiClient(RestConfig config, std::unique_ptr<RestClient> client)
    : config_(std::move(config)), client_(std::move(client)) {}

Result<std::unique_ptr<RestApiClient>> RestApiClient::Create(RestConfig config) {
  CAPSTAN_ASSIGN_OR_RETURN(auto client, RestClient::Create(config));
  return std::unique_ptr<RestApiClient>(new RestApiClient(std::move(config), std::move(client)));
}

Result<std::unique_ptr<RestApiClient>> RestApiClient::FromKubeconfig(const std::string& path) {
  CAPSTAN_ASSIGN_OR_RETURN(auto kc, pki::ReadKubeconfig(path));
  CAPSTAN_ASSIGN_OR_RETURN(auto host_port, ParseServerUrl(kc.server));
  RestConfig config;
  config.host = host_port.first;
  config.port = host_port.second;
  config.ca_pem = kc.ca_pem;
  config.client_cert_pem = kc.client_cert_pem;
  config.client_key_pem = kc.client_key_pem;
  config.bearer_token = kc.token;
  return Create(std::move(config));
}

Status RestApiClient::SetClientCertificate(const std::string& cert_pem,
                                           const std::string& key_pem) {
  std::lock_guard lock(mu_);
  RestConfig next = config_;
  next.client_cert_pem = cert_pem;
  next.client_key_pem = key_pem;
  CAPSTAN_ASSIGN_OR_RETURN(auto client, RestClient::Create(next));
  config_ = std::move(next);
  client_ = std::move(client);
  return Ok();
}

Result<Json> RestApiClient::Call(const std::string& method, const std::string& path,
                                 const Json* body, const std::string& content_type) {
  Result<RestResponse> response = [&] {
    std::lock_guard lock(mu_);
    return client_->Do(method, path, body ? body->dump() : "", content_type);
  }();
  if (!response) return std::unexpected(response.error());
  if (response->status < 200 || response->status > 299) {
    return std::unexpected(ApiErrorFrom(response->status, response->body));
  }
  Json out = Json::parse(response->body, nullptr, false);
  if (out.is_discarded()) {
    return Fail(Code::kInternal, "{} {}: the answer is not JSON", method, path);
  }
  return out;
}

Result<Json> RestApiClient::Get(const Resource& r, const std::string& ns, const std::string& name) {
  return Call("GET", ResourcePath(r, ns, name), nullptr);
}

Result<Json> RestApiClient::List(const Resource& r, const std::string& ns,
                                 const ListOptions& options) {
  return Call("GET", ResourcePath(r, ns) + Query(options, false), nullptr);
}

Result<Json> RestApiClient::Create(const Resource& r, const std::string& ns, const Json& object) {
  return Call("POST", ResourcePath(r, ns), &object);
}

Result<Json> RestApiClient::CreateSubresource(const Resource& r, const std::string& ns,
                                              const std::string& name,
                                              const std::string& subresource, const Json& object) {
  return Call("POST", ResourcePath(r, ns, name, subresource), &object);
}

Result<Json> RestApiClient::Update(const Resource& r, const std::string& ns,
                                   const std::string& name, const Json& object,
                                   const std::string& subresource) {
  return Call("PUT", ResourcePath(r, ns, name, subresource), &object);
}

Result<Json> RestApiClient::Patch(const Resource& r, const std::string& ns, const std::string& name,
                                  PatchType type, const Json& patch,
                                  const std::string& subresource) {
  const char* content_type = type == PatchType::kMerge ? "application/merge-patch+json"
                             : type == PatchType::kStrategic
                                 ? "application/strategic-merge-patch+json"
                                 : "application/json-patch+json";
  return Call("PATCH", ResourcePath(r, ns, name, subresource), &patch, content_type);
}

Status RestApiClient::Delete(const Resource& r, const std::string& ns, const std::string& name,
                             int64_t grace_seconds, const std::string& propagation) {
  Json options = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (grace_seconds >= 0) options["gracePeriodSeconds"] = grace_seconds;
  if (!propagation.empty()) options["propagationPolicy"] = propagation;
  auto result = Call("DELETE", ResourcePath(r, ns, name), &options);
  if (!result) return std::unexpected(result.error());
  return Ok();
}

Status RestApiClient::Watch(const Resource& r, const std::string& ns, const ListOptions& options,
                            const std::function<bool(const WatchEvent&)>& on_event) {
  // A watch holds its connection for minutes: a client of its own, so that other calls go on.
  RestConfig config;
  {
    std::lock_guard lock(mu_);
    config = config_;
  }
  CAPSTAN_ASSIGN_OR_RETURN(auto client, RestClient::Create(config));
  auto limit = options.timeout.count() > 0 ? options.timeout + std::chrono::seconds(30)
                                           : std::chrono::seconds(3600);
  Status failed = Ok();
  int fd = -1;
  auto on_socket = [&](int socket) {
    std::lock_guard lock(watches_mu_);
    fd = socket;
    watch_fds_.insert(fd);
    if (watches_cancelled_) ::shutdown(fd, SHUT_RDWR);
  };
  {
    std::lock_guard lock(watches_mu_);
    if (watches_cancelled_) return Ok();
  }
  auto streamed = client->Stream(
      ResourcePath(r, ns) + Query(options, true),
      [&](const std::string& line) {
        Json event = Json::parse(line, nullptr, false);
        if (!event.is_object()) return true;
        WatchEvent e{event.value("type", ""), event.value("object", Json())};
        if (e.type == "ERROR") {
          int code = e.object.is_object() ? e.object.value("code", 500) : 500;
          failed = std::unexpected(ApiErrorFrom(code, e.object.dump()));
          return false;
        }
        return on_event(e);
      },
      std::chrono::duration_cast<std::chrono::milliseconds>(limit), on_socket);
  {
    std::lock_guard lock(watches_mu_);
    watch_fds_.erase(fd);
    if (watches_cancelled_) return Ok();
  }
  if (!failed) return failed;
  return streamed;
}

void RestApiClient::CancelWatches() {
  std::lock_guard lock(watches_mu_);
  watches_cancelled_ = true;
  for (int fd : watch_fds_) ::shutdown(fd, SHUT_RDWR);
}

}  // namespace capstan::api::k8s::client
