#include "control-plane/apiserver/discovery.h"

#include <optional>

namespace capstan::control_plane::apiserver {
namespace {

Json GroupVersionFor(const std::string& group, const std::string& version) {
  return {{"groupVersion", group + "/" + version}, {"version", version}};
}

Json GroupEntry(const std::string& group, const std::vector<std::string>& versions) {
  Json list = Json::array();
  for (const auto& v : versions) list.push_back(GroupVersionFor(group, v));
  return {{"name", group}, {"versions", list}, {"preferredVersion", list.front()}};
}

// The verbs a subresource answers.
std::vector<std::string> SubresourceVerbs(const std::string& sub) {
  if (sub == "status" || sub == "scale" || sub == "ephemeralcontainers" || sub == "approval") {
    return {"get", "patch", "update"};
  }
  if (sub == "log") return {"get"};
  if (sub == "binding" || sub == "eviction" || sub == "token") return {"create"};
  if (sub == "exec" || sub == "attach" || sub == "portforward" || sub == "proxy") {
    return {"create", "get"};
  }
  if (sub == "finalize") return {"update"};
  return {"get"};
}

// The group and version of a subresource's kind when they are not its resource's, as
// upstream's discovery says ({"group": "policy", "version": "v1"} for pods/eviction):
// kubectl drain evicts only when it finds pods/eviction in policy.
std::optional<std::pair<std::string, std::string>> SubresourceGroupVersion(
    const std::string& kind) {
  if (kind == "Scale") return std::pair{"autoscaling", "v1"};
  if (kind == "Eviction") return std::pair{"policy", "v1"};
  if (kind == "TokenRequest") return std::pair{"authentication.k8s.io", "v1"};
  return std::nullopt;
}

std::string SubresourceKind(const ResourceInfo& r, const std::string& sub) {
  if (sub == "scale") return "Scale";
  if (sub == "binding") return "Binding";
  if (sub == "eviction") return "Eviction";
  if (sub == "token") return "TokenRequest";
  if (sub == "exec") return "PodExecOptions";
  if (sub == "attach") return "PodAttachOptions";
  if (sub == "portforward") return "PodPortForwardOptions";
  if (sub == "log") return "Pod";
  if (sub == "proxy") return r.kind == "Pod" ? "PodProxyOptions" : r.kind + "ProxyOptions";
  return r.kind;
}

Json ResourceEntry(const ResourceInfo& r) {
  Json e = {{"name", r.plural},
            {"singularName", r.singular},
            {"namespaced", r.namespaced},
            {"kind", r.kind},
            {"verbs", r.verbs}};
  if (!r.short_names.empty()) e["shortNames"] = r.short_names;
  if (!r.categories.empty()) e["categories"] = r.categories;
  return e;
}

}  // namespace

Json ApiVersionsDocument(const std::string& server_address) {
  return {{"kind", "APIVersions"},
          {"versions", {"v1"}},
          {"serverAddressByClientCIDRs",
           {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}}}};
}

Json ApiGroupListDocument(const ResourceRegistry& registry) {
  Json groups = Json::array();
  for (const auto& [group, versions] : registry.Groups()) {
    if (!group.empty()) groups.push_back(GroupEntry(group, versions));
  }
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

std::optional<Json> ApiGroupDocument(const ResourceRegistry& registry, const std::string& group) {
  for (const auto& [name, versions] : registry.Groups()) {
    if (!name.empty() && name == group) {
      Json g = GroupEntry(name, versions);
      g["kind"] = "APIGroup";
      g["apiVersion"] = "v1";
      return g;
    }
  }
  return std::nullopt;
}

std::optional<Json> ApiResourceListDocument(const ResourceRegistry& registry,
                                            const std::string& group, const std::string& version) {
  Json resources = Json::array();
  bool found = false;
  for (const auto& r : registry.All()) {
    if (r->group != group || r->version != version) continue;
    found = true;
    resources.push_back(ResourceEntry(*r));
    for (const auto& sub : r->subresources) {
      Json entry = {{"name", r->plural + "/" + sub},
                    {"singularName", ""},
                    {"namespaced", r->namespaced},
                    {"kind", SubresourceKind(*r, sub)},
                    {"verbs", SubresourceVerbs(sub)}};
      if (auto gv = SubresourceGroupVersion(entry["kind"])) {
        entry["group"] = gv->first;
        entry["version"] = gv->second;
      }
      resources.push_back(std::move(entry));
    }
  }
  if (!found) return std::nullopt;
  return Json{{"kind", "APIResourceList"},
              {"apiVersion", "v1"},
              {"groupVersion", group.empty() ? version : group + "/" + version},
              {"resources", resources}};
}

Json AggregatedDiscoveryDocument(const ResourceRegistry& registry, bool legacy,
                                 const std::string& api_version) {
  Json items = Json::array();
  auto all = registry.All();
  for (const auto& [group, versions] : registry.Groups()) {
    if (group.empty() != legacy) continue;
    Json version_list = Json::array();
    for (const auto& version : versions) {
      Json resources = Json::array();
      for (const auto& r : all) {
        if (r->group != group || r->version != version) continue;
        Json e = {{"resource", r->plural},
                  {"responseKind", {{"group", group}, {"version", version}, {"kind", r->kind}}},
                  {"scope", r->namespaced ? "Namespaced" : "Cluster"},
                  {"singularResource", r->singular},
                  {"verbs", r->verbs}};
        if (!r->short_names.empty()) e["shortNames"] = r->short_names;
        if (!r->categories.empty()) e["categories"] = r->categories;
        if (!r->subresources.empty()) {
          Json subs = Json::array();
          for (const auto& sub : r->subresources) {
            std::string kind = SubresourceKind(*r, sub);
            auto gv = SubresourceGroupVersion(kind);
            std::string sub_group = gv ? gv->first : group;
            std::string sub_version = gv ? gv->second : version;
            subs.push_back(
                {{"subresource", sub},
                 {"responseKind", {{"group", sub_group}, {"version", sub_version}, {"kind", kind}}},
                 {"verbs", SubresourceVerbs(sub)}});
          }
          e["subresources"] = subs;
        }
        resources.push_back(std::move(e));
      }
      version_list.push_back(
          {{"version", version}, {"resources", resources}, {"freshness", "Current"}});
    }
    Json item = {{"metadata", {{"name", group}, {"creationTimestamp", nullptr}}},
                 {"versions", version_list}};
    items.push_back(std::move(item));
  }
  return {{"kind", "APIGroupDiscoveryList"},
          {"apiVersion", api_version},
          {"metadata", Json::object()},
          {"items", items}};
}

}  // namespace capstan::control_plane::apiserver
