#include "control-plane/apiserver/api_server.h"

#include <fmt/format.h>

#include "common/log.h"
#include "control-plane/apiserver/discovery.h"
#include "control-plane/apiserver/handlers.h"
#include "control-plane/apiserver/openapi.h"

namespace capstan::control_plane::apiserver {
namespace {

const log::Logger kLog("apiserver");

// Paths anyone may read, as kube-apiserver's system:public-info-viewer grants.
bool IsPublicPath(const std::string& path) {
  return path == "/healthz" || path == "/livez" || path == "/readyz" || path == "/version" ||
         path.rfind("/healthz/", 0) == 0 || path.rfind("/livez/", 0) == 0 ||
         path.rfind("/readyz/", 0) == 0;
}

std::string DiscoveryVersionAsked(const std::string& accept) {
  // kubectl 1.27+ asks for the aggregated document first.
  if (accept.find("as=APIGroupDiscoveryList") == std::string::npos) return "";
  if (accept.find("g=apidiscovery.k8s.io;v=v2;") != std::string::npos ||
      accept.find("v=v2;g=apidiscovery.k8s.io") != std::string::npos) {
    return "v2";
  }
  if (accept.find("v2beta1") != std::string::npos) return "v2beta1";
  return "";
}

}  // namespace

void RespondSuccess(ResponseWriter& writer, int status) {
  RespondJson(writer, status,
              {{"kind", "Status"},
               {"apiVersion", "v1"},
               {"metadata", Json::object()},
               {"status", "Success"},
               {"code", status}});
}

void RespondJson(ResponseWriter& writer, int status, const Json& body) {
  writer.Respond(status, "application/json", body.dump() + "\n");
}

void RespondJson(ResponseWriter& writer, int status, const Json& body,
                 const std::vector<std::string>& warnings) {
  if (warnings.empty()) return RespondJson(writer, status, body);
  std::string header;
  for (const auto& w : warnings) {
    std::string quoted;
    for (char ch : w) {
      if (ch == '"' || ch == '\\') quoted += '\\';
      quoted += ch;
    }
    header += fmt::format("{}299 - \"{}\"", header.empty() ? "" : ", ", quoted);
  }
  writer.Respond(status, "application/json", body.dump() + "\n", {{"Warning", header}});
}

void RespondError(ResponseWriter& writer, const ApiError& error) {
  RespondJson(writer, error.code, error.ToStatus());
}

ApiServer::ApiServer(ApiServerOptions options, ResourceRegistry* resources, Registry* registry,
                     const UnionAuthenticator* authn, const Authorizer* authz,
                     const ServiceAccountTokens* tokens, const Clock* clock)
    : options_(std::move(options)),
      resources_(resources),
      registry_(registry),
      authn_(authn),
      authz_(authz),
      tokens_(tokens),
      clock_(clock) {}

void ApiServer::Serve(const HttpRequest& request, ResponseWriter& writer) const {
  // Objects are JSON from clients: a field of an unexpected type makes nlohmann throw deep
  // inside a handler. Nothing has been written at that point (writes are last), so the
  // request fails as a bad one and storage is untouched.
  try {
    ServeChecked(request, writer);
  } catch (const nlohmann::json::exception& e) {
    RespondError(writer,
                 BadRequestError(fmt::format("the object provided is invalid: {}", e.what())));
  } catch (const std::exception& e) {
    kLog.Error("request failed", {{"target", request.target}, {"error", e.what()}});
    RespondError(writer, InternalError(e.what()));
  }
}

void ApiServer::ServeChecked(const HttpRequest& request, ResponseWriter& writer) const {
  RequestInfo info = ParseRequestInfo(request.method, request.target);
  if (IsPublicPath(info.path)) {
    ServeNonResource(request, info, writer);
    return;
  }
  Authenticator::Outcome who = authn_->Authenticate(request);
  if (!who.error.empty() || !who.user || who.user->name == "system:anonymous") {
    RespondError(writer, UnauthorizedError());
    return;
  }
  Attributes attrs;
  attrs.user = *who.user;
  attrs.resource_request = info.is_resource_request;
  attrs.verb = info.is_resource_request ? info.verb : std::string();
  if (!info.is_resource_request) {
    attrs.verb = request.method == "GET" || request.method == "HEAD" ? "get"
                 : request.method == "POST"                          ? "post"
                 : request.method == "PUT"                           ? "put"
                 : request.method == "DELETE"                        ? "delete"
                                                                     : "patch";
  }
  attrs.namespace_ = info.namespace_;
  attrs.api_group = info.group;
  attrs.resource = info.resource;
  attrs.subresource = info.subresource;
  attrs.name = info.name;
  if (attrs.name.empty() && (info.verb == "list" || info.verb == "watch")) {
    // A list or watch of one object by a metadata.name field selector is authorized as that
    // object, as upstream's RequestInfoFactory does (kubelets watch their secrets this way).
    auto selector = info.query.find("fieldSelector");
    if (selector != info.query.end()) {
      for (const char* prefix : {"metadata.name==", "metadata.name="}) {
        const std::string& f = selector->second;
        if (f.rfind(prefix, 0) == 0 && f.find(',') == std::string::npos) {
          attrs.name = f.substr(std::string(prefix).size());
          break;
        }
      }
    }
  }
  attrs.path = info.path;
  std::string reason;
  if (authz_->Authorize(attrs, &reason) != Decision::kAllow) {
    std::string why;
    if (info.is_resource_request) {
      why = fmt::format(
          "User \"{}\" cannot {} resource \"{}\" in API group \"{}\"", attrs.user.name, info.verb,
          info.subresource.empty() ? info.resource : info.resource + "/" + info.subresource,
          info.group);
      why += info.namespace_.empty() ? " at the cluster scope"
                                     : fmt::format(" in the namespace \"{}\"", info.namespace_);
      if (!reason.empty()) why += ": " + reason;
      RespondError(writer, ForbiddenError(info.group, info.resource, info.name, why));
    } else {
      ApiError e = ForbiddenError("", "", "", "");
      e.message = fmt::format("forbidden: User \"{}\" cannot {} path \"{}\"", attrs.user.name,
                              attrs.verb, info.path);
      RespondError(writer, e);
    }
    return;
  }
  if (info.is_resource_request) {
    ServeResource(request, info, *who.user, writer);
    return;
  }
  if (!ServeNonResource(request, info, writer)) {
    ApiError e;
    e.code = 404;
    e.reason = "NotFound";
    e.message = "the server could not find the requested resource";
    RespondError(writer, e);
  }
}

bool ApiServer::ServeNonResource(const HttpRequest& request, const RequestInfo& info,
                                 ResponseWriter& writer) const {
  const std::string& path = info.path;
  if (path == "/healthz" || path == "/livez" || path.rfind("/healthz/", 0) == 0 ||
      path.rfind("/livez/", 0) == 0) {
    writer.Respond(200, "text/plain; charset=utf-8", "ok");
    return true;
  }
  if (path == "/readyz" || path.rfind("/readyz/", 0) == 0) {
    if (ready_) {
      writer.Respond(200, "text/plain; charset=utf-8", "ok");
    } else {
      writer.Respond(500, "text/plain; charset=utf-8", "readyz check failed\n");
    }
    return true;
  }
  if (path == "/version") {
    std::string v = options_.version;
    std::string minor = v.substr(v.find('.') + 1);
    minor = minor.substr(0, minor.find('.'));
    RespondJson(writer, 200,
                {{"major", "1"},
                 {"minor", minor},
                 {"gitVersion", v + options_.git_version_suffix},
                 {"gitCommit", "capstan"},
                 {"gitTreeState", "clean"},
                 {"buildDate", "2026-12-01T00:00:00Z"},
                 {"goVersion", "c++23"},
                 {"compiler", "gcc"},
                 {"platform", "linux/amd64"}});
    return true;
  }
  std::string aggregated = DiscoveryVersionAsked(request.Header("accept"));
  if (path == "/api" || path == "/apis") {
    bool legacy = path == "/api";
    if (!aggregated.empty()) {
      Json doc =
          AggregatedDiscoveryDocument(*resources_, legacy, "apidiscovery.k8s.io/" + aggregated);
      writer.Respond(200,
                     fmt::format("application/json;g=apidiscovery.k8s.io;v={};as="
                                 "APIGroupDiscoveryList",
                                 aggregated),
                     doc.dump());
      return true;
    }
    RespondJson(writer, 200,
                legacy ? ApiVersionsDocument(options_.advertise_address)
                       : ApiGroupListDocument(*resources_));
    return true;
  }
  if (path.rfind("/openapi/", 0) == 0) {
    // kubectl before 1.28 asks for the v2 document as gnostic protobuf only.
    if (path == "/openapi/v2" &&
        request.Header("accept").find("proto-openapi") != std::string::npos &&
        request.Header("accept").find("json") == std::string::npos) {
      writer.Respond(200, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
                     OpenApiV2Protobuf(), {});
      return true;
    }
    return ServeOpenApi(path, *resources_, writer);
  }
  if (path.rfind("/api/", 0) == 0 && !info.version.empty()) {
    if (auto doc = ApiResourceListDocument(*resources_, "", info.version)) {
      RespondJson(writer, 200, *doc);
      return true;
    }
    return false;
  }
  if (path.rfind("/apis/", 0) == 0) {
    if (!info.version.empty()) {
      if (auto doc = ApiResourceListDocument(*resources_, info.group, info.version)) {
        RespondJson(writer, 200, *doc);
        return true;
      }
      return false;
    }
    std::string group = path.substr(6);
    if (!group.empty() && group.back() == '/') group.pop_back();
    if (auto doc = ApiGroupDocument(*resources_, group)) {
      RespondJson(writer, 200, *doc);
      return true;
    }
  }
  return false;
}

void ApiServer::ServeResource(const HttpRequest& request, const RequestInfo& info,
                              const UserInfo& user, ResponseWriter& writer) const {
  auto resource = resources_->Find(info.group, info.version, info.resource);
  if (!resource) {
    ApiError e;
    e.code = 404;
    e.reason = "NotFound";
    e.message = "the server could not find the requested resource";
    RespondError(writer, e);
    return;
  }
  if (info.verb.empty()) {
    RespondError(writer, MethodNotAllowedError(fmt::format(
                             "the server does not allow this method on the requested resource")));
    return;
  }
  if (resource->namespaced && info.namespace_.empty() &&
      (info.verb == "create" || !info.name.empty())) {
    RespondError(writer, BadRequestError("the namespace of the object must be set in the URL"));
    return;
  }
  internal::HandlerContext c{request,    info,        *resource,         user,
                             *registry_, *resources_, *authz_,           *clock_,
                             writer,     tokens_,     &options_.kubelet, options_.metrics};
  const std::string& sub = info.subresource;
  if (!sub.empty() && !resource->HasSubresource(sub)) {
    ApiError e;
    e.code = 404;
    e.reason = "NotFound";
    e.message = "the server could not find the requested resource";
    RespondError(writer, e);
    return;
  }
  if (resource->kind == "ComponentStatus") return internal::HandleComponentStatus(c);
  if (resource->group == "metrics.k8s.io") return internal::HandleResourceMetrics(c);
  if (resource->virtual_only) return internal::HandleReview(c);
  if (sub == "scale") return internal::HandleScale(c);
  if (sub == "binding" || sub == "eviction") return internal::HandleBinding(c);
  if (sub == "token") return internal::HandleTokenRequest(c);
  if (sub == "log" && resource->kind == "Pod") return internal::HandlePodLog(c);
  if ((sub == "exec" || sub == "attach" || sub == "portforward") && resource->kind == "Pod") {
    return internal::HandlePodStream(c);
  }
  if (sub == "proxy" && resource->kind == "Node") return internal::HandleNodeProxy(c);
  if (!sub.empty() && sub != "status" && sub != "approval") {
    RespondError(writer,
                 MethodNotAllowedError(fmt::format("the {} subresource is not served yet", sub)));
    return;
  }
  const std::string& v = info.verb;
  if (v == "get") return internal::HandleGet(c);
  if (v == "list") return internal::HandleList(c);
  if (v == "watch") return internal::HandleWatch(c);
  if (v == "create") return internal::HandleCreate(c);
  if (v == "update") return internal::HandleUpdate(c);
  if (v == "patch") return internal::HandlePatch(c);
  if (v == "delete") return internal::HandleDelete(c);
  if (v == "deletecollection") return internal::HandleDeleteCollection(c);
  RespondError(writer, MethodNotAllowedError("unsupported verb"));
}

}  // namespace capstan::control_plane::apiserver
