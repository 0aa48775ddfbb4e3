// Subresources with shapes of their own (scale, binding, eviction), the review kinds that
// are asked and answered but never stored, and ComponentStatus.

#include <fmt/format.h>

#include "control-plane/apiserver/handlers.h"
#include "control-plane/apiserver/patch_apply.h"
#include "control-plane/apiserver/table.h"
#include "control-plane/apiserver/table_printers.h"

namespace capstan::control_plane::apiserver::internal {
namespace {

Json ScaleOf(const Json& obj) {
  Json meta = {{"name", MetaString(obj, "name")},
               {"namespace", MetaString(obj, "namespace")},
               {"uid", MetaString(obj, "uid")},
               {"resourceVersion", MetaString(obj, "resourceVersion")},
               {"creationTimestamp", Lookup(obj, {"metadata", "creationTimestamp"})}};
  Json status = {{"replicas", IntOr(Lookup(obj, {"status", "replicas"}), 0)}};
  const Json& selector = Lookup(obj, {"spec", "selector"});
  if (selector.is_object()) status["selector"] = FormatLabelSelector(selector);
  return {{"kind", "Scale"},
          {"apiVersion", "autoscaling/v1"},
          {"metadata", meta},
          {"spec", {{"replicas", IntOr(Lookup(obj, {"spec", "replicas"}), 1)}}},
          {"status", status}};
}

}  // namespace

void HandleScale(const HandlerContext& c) {
  if (c.info.verb == "get") {
    auto obj = c.registry.Get(c.resource, c.info.namespace_, c.info.name);
    if (!obj) return RespondError(c.writer, obj.error());
    return RespondJson(c.writer, 200, ScaleOf(*obj));
  }
  if (c.info.verb != "update" && c.info.verb != "patch") {
    return RespondError(c.writer, MethodNotAllowedError("scale answers get, update and patch"));
  }
  std::string type = c.request.Header("content-type");
  type = type.substr(0, type.find(';'));
  std::optional<Json> body;
  if (c.info.verb == "update") {
    auto decoded = DecodeBody(c.request);
    if (!decoded) return RespondError(c.writer, decoded.error());
    body = std::move(*decoded);
  }
  ResourceInfo scale_resource;
  scale_resource.group = "autoscaling";
  scale_resource.version = "v1";
  scale_resource.kind = "Scale";
  scale_resource.plural = c.resource.plural;
  auto updated = c.registry.GuaranteedUpdate(
      c.resource, c.info.namespace_, c.info.name, "", DryRun(c.info),
      [&](const Json& current) -> ApiResult<Json> {
        Json scale = ScaleOf(current);
        Json wanted;
        if (body) {
          wanted = *body;
        } else {
          auto patched = ApplyPatch(scale_resource, type, scale, c.request.body);
          if (!patched) return patched;
          wanted = std::move(*patched);
        }
        const Json& replicas = Lookup(wanted, {"spec", "replicas"});
        if (!replicas.is_number_integer() || replicas.get<int64_t>() < 0) {
          return std::unexpected(InvalidError(
              "autoscaling", "Scale", c.info.name,
              {Invalid("spec.replicas", replicas, "must be greater than or equal to 0")}));
        }
        std::string rv = MetaString(wanted, "resourceVersion");
        Json next = current;
        next["spec"]["replicas"] = replicas;
        if (!rv.empty()) next["metadata"]["resourceVersion"] = rv;
        return next;
      });
  if (!updated) return RespondError(c.writer, updated.error());
  RespondJson(c.writer, 200, ScaleOf(*updated));
}

void HandleBinding(const HandlerContext& c) {
  if (c.info.verb != "create") {
    return RespondError(c.writer, MethodNotAllowedError("only POST is allowed"));
  }
  auto body = DecodeBody(c.request);
  if (!body) return RespondError(c.writer, body.error());
  if (c.info.subresource == "eviction") return HandleEviction(c, *body);
  std::string node = StringOr(Lookup(*body, {"target", "name"}));
  if (node.empty()) {
    return RespondError(c.writer,
                        InvalidError("", "Binding", c.info.name, {Required("target.name")}));
  }
  auto bound = c.registry.GuaranteedUpdate(
      c.resource, c.info.namespace_, c.info.name, "binding", DryRun(c.info),
      [&](const Json& pod) -> ApiResult<Json> {
        if (!Lookup(pod, {"metadata", "deletionTimestamp"}).is_null()) {
          return std::unexpected(ConflictError(
              "", "pods", c.info.name, "pod is being deleted, cannot be assigned to a host"));
        }
        // A binding made for a pod that was since replaced by another of the same name.
        std::string want_uid = StringOr(Lookup(*body, {"metadata", "uid"}));
        if (!want_uid.empty() && want_uid != StringOr(Lookup(pod, {"metadata", "uid"}))) {
          return std::unexpected(ConflictError(
              "", "pods", c.info.name,
              fmt::format("Precondition failed: UID in precondition: {}, UID in object meta: {}",
                          want_uid, StringOr(Lookup(pod, {"metadata", "uid"})))));
        }
        std::string current = StringOr(Lookup(pod, {"spec", "nodeName"}));
        if (!current.empty()) {
          return std::unexpected(ConflictError(
              "", "pods", c.info.name,
              fmt::format("pod {} is already assigned to node \"{}\"", c.info.name, current)));
        }
        Json next = pod;
        next["spec"]["nodeName"] = node;
        // PodScheduled=True, as upstream's binding storage sets it.
        Json conditions = Json::array();
        Json scheduled = {{"type", "PodScheduled"},
                          {"status", "True"},
                          {"lastProbeTime", nullptr},
                          {"lastTransitionTime", FormatApiTime(c.clock.Now())}};
        const Json& existing = Lookup(pod, {"status", "conditions"});
        if (existing.is_array()) {
          for (const auto& cond : existing) {
            if (cond.is_object() && cond.value("type", "") == "PodScheduled") continue;
            conditions.push_back(cond);
          }
        }
        conditions.push_back(std::move(scheduled));
        next["status"]["conditions"] = std::move(conditions);
        return next;
      });
  if (!bound) return RespondError(c.writer, bound.error());
  RespondSuccess(c.writer, 201);
}

void HandleTokenRequest(const HandlerContext& c) {
  if (c.info.verb != "create" || c.tokens == nullptr) {
    return RespondError(c.writer, MethodNotAllowedError("serviceaccounts/token answers POST"));
  }
  auto body = DecodeBody(c.request);
  if (!body) return RespondError(c.writer, body.error());
  auto sa = c.registry.Get(c.resource, c.info.namespace_, c.info.name);
  if (!sa) return RespondError(c.writer, sa.error());
  const Json& spec = body->value("spec", Json::object());
  TokenRequestSpec request;
  request.namespace_ = c.info.namespace_;
  request.service_account = c.info.name;
  request.service_account_uid = MetaString(*sa, "uid");
  for (const auto& a : spec.value("audiences", Json::array())) {
    if (a.is_string()) request.audiences.push_back(a.get<std::string>());
  }
  request.expiration_seconds = IntOr(spec.value("expirationSeconds", Json()), 3600);
  if (request.expiration_seconds < 600) {
    return RespondError(c.writer,
                        InvalidError("authentication.k8s.io", "TokenRequest", c.info.name,
                                     {Invalid("spec.expirationSeconds", request.expiration_seconds,
                                              "may not specify a duration less than 10 minutes")}));
  }
  const Json& bound = spec.value("boundObjectRef", Json());
  if (bound.is_object()) {
    if (StringOr(bound.value("kind", Json())) != "Pod") {
      return RespondError(c.writer,
                          InvalidError("authentication.k8s.io", "TokenRequest", c.info.name,
                                       {NotSupported("spec.boundObjectRef.kind",
                                                     bound.value("kind", Json()), {"Pod"})}));
    }
    request.pod_name = StringOr(bound.value("name", Json()));
    request.pod_uid = StringOr(bound.value("uid", Json()));
  }
  auto issued = c.tokens->Issue(request);
  if (!issued) return RespondError(c.writer, InternalError(issued.error().message()));
  Json out = *body;
  out["apiVersion"] = "authentication.k8s.io/v1";
  out["kind"] = "TokenRequest";
  out["metadata"] = {{"name", c.info.name},
                     {"namespace", c.info.namespace_},
                     {"creationTimestamp", FormatApiTime(c.clock.Now())}};
  out["spec"]["expirationSeconds"] = request.expiration_seconds;
  if (!out["spec"].contains("audiences")) {
    out["spec"]["audiences"] = Json::array({ServiceAccountTokens::kIssuer});
  }
  out["status"] = {{"token", issued->first},
                   {"expirationTimestamp", FormatApiTime(issued->second)}};
  RespondJson(c.writer, 201, out);
}

void HandleComponentStatus(const HandlerContext& c) {
  if (c.info.verb != "get" && c.info.verb != "list") {
    return RespondError(c.writer, MethodNotAllowedError("componentstatuses are read-only"));
  }
  auto revision = c.registry.store()->CurrentRevision();
  auto item = [&](const std::string& name, bool healthy, const std::string& message) {
    return Json{
        {"kind", "ComponentStatus"},
        {"apiVersion", "v1"},
        {"metadata", {{"name", name}, {"creationTimestamp", nullptr}}},
        {"conditions",
         {{{"type", "Healthy"}, {"status", healthy ? "True" : "False"}, {"message", message}}}}};
  };
  // The scheduler and controller manager run inside capstan-server: they are as healthy as
  // the server answering; the store is asked.
  std::vector<Json> items = {item("scheduler", true, "ok"), item("controller-manager", true, "ok"),
                             item("etcd-0", revision.has_value(),
                                  revision ? "ok" : "storage: " + revision.error().message())};
  if (c.info.verb == "get") {
    for (const auto& i : items) {
      if (MetaString(i, "name") == c.info.name) return RespondJson(c.writer, 200, i);
    }
    return RespondError(c.writer, NotFoundError("", "componentstatuses", c.info.name));
  }
  Json list = {{"kind", "ComponentStatusList"},
               {"apiVersion", "v1"},
               {"metadata", Json::object()},
               {"items", items}};
  if (WantsTable(c.request)) {
    return RespondJson(c.writer, 200, ListToTable(c.resource, list, c.clock.Now(), "Metadata"));
  }
  RespondJson(c.writer, 200, list);
}

void HandleReview(const HandlerContext& c) {
  if (c.info.verb != "create") {
    return RespondError(c.writer, MethodNotAllowedError("reviews answer POST only"));
  }
  auto body = DecodeBody(c.request);
  if (!body) return RespondError(c.writer, body.error());
  Json review = *body;
  review["apiVersion"] = c.resource.GroupVersion();
  review["kind"] = c.resource.kind;
  const std::string& kind = c.resource.kind;
  if (kind == "SelfSubjectReview") {
    Json user = {{"username", c.user.name}, {"groups", c.user.groups}};
    if (!c.user.uid.empty()) user["uid"] = c.user.uid;
    review["status"] = {{"userInfo", user}};
    return RespondJson(c.writer, 201, review);
  }
  if (kind == "SelfSubjectAccessReview" || kind == "SubjectAccessReview" ||
      kind == "LocalSubjectAccessReview") {
    Attributes attrs;
    const Json& spec = review.value("spec", Json::object());
    if (kind == "SelfSubjectAccessReview") {
      attrs.user = c.user;
    } else {
      attrs.user.name = StringOr(spec.value("user", Json()));
      attrs.user.uid = StringOr(spec.value("uid", Json()));
      for (const auto& g : spec.value("groups", Json::array())) {
        attrs.user.groups.push_back(StringOr(g));
      }
    }
    const Json& ra = spec.value("resourceAttributes", Json());
    const Json& nra = spec.value("nonResourceAttributes", Json());
    if (ra.is_object()) {
      attrs.resource_request = true;
      attrs.verb = StringOr(ra.value("verb", Json()));
      attrs.namespace_ = StringOr(ra.value("namespace", Json()));
      attrs.api_group = StringOr(ra.value("group", Json()));
      attrs.resource = StringOr(ra.value("resource", Json()));
      attrs.subresource = StringOr(ra.value("subresource", Json()));
      attrs.name = StringOr(ra.value("name", Json()));
      if (kind == "LocalSubjectAccessReview") attrs.namespace_ = c.info.namespace_;
    } else if (nra.is_object()) {
      attrs.verb = StringOr(nra.value("verb", Json()));
      attrs.path = StringOr(nra.value("path", Json()));
    } else {
      return RespondError(c.writer,
                          InvalidError(c.resource.group, kind, "",
                                       {Invalid("spec.resourceAttributes", nullptr,
                                                "exactly one of nonResourceAttributes or "
                                                "resourceAttributes must be specified")}));
    }
    std::string reason;
    Decision d = c.authorizer.Authorize(attrs, &reason);
    Json status = {{"allowed", d == Decision::kAllow}};
    if (d == Decision::kDeny && !reason.empty()) status["denied"] = true;
    if (!reason.empty()) status["reason"] = reason;
    review["status"] = status;
    return RespondJson(c.writer, 201, review);
  }
  if (kind == "SelfSubjectRulesReview") {
    std::string ns = StringOr(Lookup(review, {"spec", "namespace"}));
    Json resource_rules = Json::array(), url_rules = Json::array();
    for (const auto& rule : c.authorizer.RulesFor(c.user, ns)) {
      if (!rule.non_resource_urls.empty()) {
        url_rules.push_back({{"verbs", rule.verbs}, {"nonResourceURLs", rule.non_resource_urls}});
        continue;
      }
      Json r = {
          {"verbs", rule.verbs}, {"apiGroups", rule.api_groups}, {"resources", rule.resources}};
      if (!rule.resource_names.empty()) r["resourceNames"] = rule.resource_names;
      resource_rules.push_back(std::move(r));
    }
    review["status"] = {
        {"resourceRules", resource_rules}, {"nonResourceRules", url_rules}, {"incomplete", false}};
    return RespondJson(c.writer, 201, review);
  }
  RespondError(c.writer, MethodNotAllowedError(fmt::format("{} is not served yet", kind)));
}

}  // namespace capstan::control_plane::apiserver::internal
