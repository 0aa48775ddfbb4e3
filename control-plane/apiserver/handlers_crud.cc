// The handlers of get, list, watch, create, update, patch and delete.

#include <fmt/format.h>

#include "api/k8s/protobuf/protobuf_decode.h"
#include "api/k8s/yaml.h"
#include "control-plane/apiserver/csr_signer.h"
#include "control-plane/apiserver/field_validation.h"
#include "control-plane/apiserver/handlers.h"
#include "control-plane/apiserver/node_authorizer.h"
#include "control-plane/apiserver/patch_apply.h"
#include "control-plane/apiserver/table.h"

namespace capstan::control_plane::apiserver::internal {
namespace {

std::string Param(const RequestInfo& info, const std::string& key) {
  auto it = info.query.find(key);
  return it == info.query.end() ? "" : it->second;
}

std::optional<int64_t> IntParam(const RequestInfo& info, const std::string& key, ApiError* error) {
  std::string v = Param(info, key);
  if (v.empty()) return std::nullopt;
  try {
    size_t used = 0;
    int64_t n = std::stoll(v, &used);
    if (used == v.size()) return n;
  } catch (...) {
  }
  *error = BadRequestError(fmt::format("invalid value for {}: {}", key, v));
  return std::nullopt;
}

ListQuery ListQueryOf(const HandlerContext& c, ApiError* error) {
  ListQuery q;
  q.namespace_ = c.info.namespace_;
  q.label_selector = Param(c.info, "labelSelector");
  q.field_selector = Param(c.info, "fieldSelector");
  q.limit = IntParam(c.info, "limit", error).value_or(0);
  q.continue_token = Param(c.info, "continue");
  q.resource_version = Param(c.info, "resourceVersion");
  return q;
}

std::string IncludeObject(const HandlerContext& c) {
  std::string v = Param(c.info, "includeObject");
  return v.empty() ? "Metadata" : v;
}

void RespondObject(const HandlerContext& c, int status, const Json& obj,
                   const std::vector<std::string>& warnings = {}) {
  if (WantsTable(c.request)) {
    RespondJson(c.writer, status, ObjectToTable(c.resource, obj, c.clock.Now(), IncludeObject(c)),
                warnings);
    return;
  }
  RespondJson(c.writer, status, obj, warnings);
}

template <typename T>
bool Failed(const HandlerContext& c, const std::expected<T, ApiError>& r) {
  if (r) return false;
  RespondError(c.writer, r.error());
  return true;
}

DeleteOptions DeleteOptionsOf(const HandlerContext& c, ApiError* error) {
  DeleteOptions o;
  if (!c.request.body.empty()) {
    auto body = DecodeBody(c.request);
    if (!body) {
      *error = body.error();
      return o;
    }
    const Json& b = *body;
    if (b.contains("gracePeriodSeconds") && b["gracePeriodSeconds"].is_number_integer()) {
      o.grace_period_seconds = b["gracePeriodSeconds"].get<int64_t>();
    }
    o.propagation_policy = StringOr(b.value("propagationPolicy", Json()));
    if (b.value("orphanDependents", Json()) == Json(true)) o.propagation_policy = "Orphan";
    o.precondition_uid = StringOr(Lookup(b, {"preconditions", "uid"}));
    o.precondition_resource_version = StringOr(Lookup(b, {"preconditions", "resourceVersion"}));
    const Json& dry = b.value("dryRun", Json());
    o.dry_run = dry.is_array() && !dry.empty();
  }
  if (auto g = IntParam(c.info, "gracePeriodSeconds", error)) o.grace_period_seconds = g;
  std::string policy = Param(c.info, "propagationPolicy");
  if (!policy.empty()) o.propagation_policy = policy;
  if (!o.propagation_policy.empty() && o.propagation_policy != "Orphan" &&
      o.propagation_policy != "Background" && o.propagation_policy != "Foreground") {
    *error = InvalidError("", "DeleteOptions", "",
                          {NotSupported("propagationPolicy", o.propagation_policy,
                                        {"Foreground", "Background", "Orphan", "nil"})});
  }
  if (o.grace_period_seconds && *o.grace_period_seconds < 0) o.grace_period_seconds = 0;
  o.dry_run = o.dry_run || DryRun(c.info);
  return o;
}

}  // namespace

std::expected<Json, ApiError> DecodeBody(const HttpRequest& request) {
  std::string type = request.Header("content-type");
  type = type.substr(0, type.find(';'));
  if (type == "application/vnd.kubernetes.protobuf") {
    auto j = api::k8s::protobuf::DecodeObject(request.body);
    if (!j) return std::unexpected(UnsupportedMediaTypeError(j.error().message()));
    return *j;
  }
  if (type == "application/yaml" || type == "application/apply-patch+yaml") {
    auto j = api::k8s::YamlToJson(request.body);
    if (!j) return std::unexpected(BadRequestError(j.error().message()));
    return *j;
  }
  Json j = Json::parse(request.body, nullptr, false);
  if (j.is_discarded()) {
    return std::unexpected(
        BadRequestError("the object provided is unrecognized: invalid JSON in the body"));
  }
  return j;
}

bool WantsTable(const HttpRequest& request) {
  return request.Header("accept").find("as=Table") != std::string::npos;
}

bool DryRun(const RequestInfo& info) {
  auto it = info.query.find("dryRun");
  return it != info.query.end() && it->second == "All";
}

void HandleGet(const HandlerContext& c) {
  auto obj = c.registry.Get(c.resource, c.info.namespace_, c.info.name);
  if (Failed(c, obj)) return;
  RespondObject(c, 200, *obj);
}

void HandleList(const HandlerContext& c) {
  ApiError error;
  ListQuery q = ListQueryOf(c, &error);
  if (!error.reason.empty()) return RespondError(c.writer, error);
  auto list = c.registry.List(c.resource, q);
  if (Failed(c, list)) return;
  if (WantsTable(c.request)) {
    RespondJson(c.writer, 200, ListToTable(c.resource, *list, c.clock.Now(), IncludeObject(c)));
    return;
  }
  RespondJson(c.writer, 200, *list);
}

void HandleWatch(const HandlerContext& c) {
  ApiError error;
  WatchQuery q;
  q.namespace_ = c.info.namespace_;
  q.name = c.info.name;
  q.label_selector = Param(c.info, "labelSelector");
  q.field_selector = Param(c.info, "fieldSelector");
  q.resource_version = Param(c.info, "resourceVersion");
  q.allow_bookmarks = Param(c.info, "allowWatchBookmarks") == "true";
  if (auto t = IntParam(c.info, "timeoutSeconds", &error); t && *t > 0) {
    q.timeout = std::chrono::seconds(*t);
  }
  if (!error.reason.empty()) return RespondError(c.writer, error);
  bool table = WantsTable(c.request);
  bool started = false;
  bool stream_ok = false;
  auto start = [&] {
    if (!started) {
      started = true;
      stream_ok = c.writer.StartStream(200, "application/json");
    }
    return stream_ok;
  };
  auto sink = [&](const WatchEventOut& ev) {
    if (!start()) return false;
    Json object = ev.object;
    if (table && ev.type != "ERROR" && ev.type != "BOOKMARK") {
      object = ObjectToTable(c.resource, ev.object, c.clock.Now(), IncludeObject(c));
    }
    return c.writer.WriteChunk(Json{{"type", ev.type}, {"object", object}}.dump() + "\n");
  };
  auto result = c.registry.Watch(
      c.resource, q, sink, [&] { return c.writer.ClientGone(); }, [&] { start(); });
  if (!result && !started) return RespondError(c.writer, result.error());
  if (!start()) return;
  c.writer.EndStream();
}

void HandleCreate(const HandlerContext& c) {
  if (!c.info.name.empty() && c.info.subresource.empty()) {
    return RespondError(c.writer, MethodNotAllowedError("POST to a named object is not allowed"));
  }
  auto body = DecodeBody(c.request);
  if (Failed(c, body)) return;
  auto validation = FieldValidationOf(c.info);
  if (Failed(c, validation)) return;
  std::vector<std::string> warnings;
  if (Failed(c, CheckUnknownFields(c.resource, *body, nullptr, *validation, warnings))) return;
  if (std::string why = CheckNodeRestriction(c.user, c.resource.group, c.resource.plural, *body);
      !why.empty()) {
    return RespondError(c.writer, ForbiddenError(c.resource.group, c.resource.plural,
                                                 MetaString(*body, "name"), why));
  }
  if (c.resource.group == "certificates.k8s.io" && c.resource.kind == "CertificateSigningRequest") {
    SetCsrRequester(c.user, *body);
  }
  auto created = c.registry.Create(c.resource, c.info.namespace_, *body, DryRun(c.info));
  if (Failed(c, created)) return;
  RespondObject(c, 201, *created, warnings);
}

void HandleUpdate(const HandlerContext& c) {
  auto body = DecodeBody(c.request);
  if (Failed(c, body)) return;
  auto validation = FieldValidationOf(c.info);
  if (Failed(c, validation)) return;
  std::vector<std::string> warnings;
  if (c.info.subresource.empty() &&
      Failed(c, CheckUnknownFields(c.resource, *body, nullptr, *validation, warnings))) {
    return;
  }
  auto updated = c.registry.Update(c.resource, c.info.namespace_, c.info.name, *body,
                                   c.info.subresource, DryRun(c.info));
  if (Failed(c, updated)) return;
  RespondObject(c, 200, *updated, warnings);
}

void HandlePatch(const HandlerContext& c) {
  std::string type = c.request.Header("content-type");
  type = type.substr(0, type.find(';'));
  auto validation = FieldValidationOf(c.info);
  if (Failed(c, validation)) return;
  std::vector<std::string> warnings;
  auto patched = c.registry.GuaranteedUpdate(
      c.resource, c.info.namespace_, c.info.name, c.info.subresource, DryRun(c.info),
      [&](const Json& current) -> ApiResult<Json> {
        auto result = ApplyPatch(c.resource, type, current, c.request.body);
        if (!result) return result;
        warnings.clear();  // the update may be retried on a conflict
        auto checked = CheckUnknownFields(c.resource, *result, &current, *validation, warnings);
        if (!checked) return std::unexpected(checked.error());
        return result;
      });
  if (Failed(c, patched)) return;
  RespondObject(c, 200, *patched, warnings);
}

void HandleDelete(const HandlerContext& c) {
  ApiError error;
  DeleteOptions options = DeleteOptionsOf(c, &error);
  if (!error.reason.empty()) return RespondError(c.writer, error);
  auto result = c.registry.Delete(c.resource, c.info.namespace_, c.info.name, options);
  if (Failed(c, result)) return;
  if (!result->removed || c.resource.kind == "Pod") {
    RespondJson(c.writer, 200, result->object);
    return;
  }
  Json details = {{"name", c.info.name},
                  {"kind", c.resource.plural},
                  {"uid", MetaString(result->object, "uid")}};
  if (!c.resource.group.empty()) details["group"] = c.resource.group;
  RespondJson(c.writer, 200,
              {{"kind", "Status"},
               {"apiVersion", "v1"},
               {"metadata", Json::object()},
               {"status", "Success"},
               {"details", details}});
}

void HandleDeleteCollection(const HandlerContext& c) {
  ApiError error;
  ListQuery q = ListQueryOf(c, &error);
  DeleteOptions options = DeleteOptionsOf(c, &error);
  if (!error.reason.empty()) return RespondError(c.writer, error);
  auto list = c.registry.DeleteCollection(c.resource, q, options);
  if (Failed(c, list)) return;
  RespondJson(c.writer, 200, *list);
}

}  // namespace capstan::control_plane::apiserver::internal
