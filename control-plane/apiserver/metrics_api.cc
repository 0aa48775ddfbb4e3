// metrics.k8s.io/v1beta1: NodeMetrics and PodMetrics served from the MetricsStore, in
// metrics-server's shapes, so `kubectl top node` and `kubectl top pod` work with nothing
// else deployed. Objects carry the labels of their Node or Pod; label and field selectors
// select among those Nodes and Pods.
#include <fmt/format.h>

#include "api/k8s/quantity.h"
#include "control-plane/apiserver/handlers.h"
#include "control-plane/apiserver/table.h"

namespace capstan::control_plane::apiserver::internal {
namespace {

constexpr char kGroupVersion[] = "metrics.k8s.io/v1beta1";

// Nanocores as resource.NewScaledQuantity(n, Nano) prints them.
std::string CpuQuantity(uint64_t nano_cores) {
  if (nano_cores == 0) return "0";
  return fmt::format("{}n", nano_cores);
}

// A window as Go's time.Duration prints it ("15.002s", "1m30s").
std::string GoDuration(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  int64_t minutes = ns / 60'000'000'000;
  ns -= minutes * 60'000'000'000;
  std::string secs = fmt::format("{}.{:09}", ns / 1'000'000'000, ns % 1'000'000'000);
  while (secs.back() == '0') secs.pop_back();
  if (secs.back() == '.') secs.pop_back();
  return minutes > 0 ? fmt::format("{}m{}s", minutes, secs) : secs + "s";
}

Json Usage(const metrics::Usage& u) {
  return {{"cpu", CpuQuantity(u.nano_cores)},
          {"memory", api::k8s::FormatBinarySI(static_cast<int64_t>(u.memory_bytes))}};
}

Json Metadata(const Json& source, WallTime now, bool namespaced) {
  Json m = {{"name", MetaString(source, "name")}, {"creationTimestamp", FormatRfc3339(now)}};
  if (namespaced) m["namespace"] = MetaString(source, "namespace");
  const Json& labels = Lookup(source, {"metadata", "labels"});
  if (labels.is_object() && !labels.empty()) m["labels"] = labels;
  return m;
}

std::optional<Json> NodeItem(const metrics::MetricsStore& store, const Json& node, WallTime now) {
  auto usage = store.NodeUsage(MetaString(node, "name"));
  if (!usage) return std::nullopt;
  return Json{{"kind", "NodeMetrics"},
              {"apiVersion", kGroupVersion},
              {"metadata", Metadata(node, now, false)},
              {"timestamp", FormatRfc3339(usage->timestamp)},
              {"window", GoDuration(usage->window)},
              {"usage", Usage(*usage)}};
}

Json PodItem(const metrics::PodUsage& usage, const Json& pod, WallTime now) {
  Json containers = Json::array();
  for (const auto& [name, u] : usage.containers) {
    containers.push_back({{"name", name}, {"usage", Usage(u)}});
  }
  return {{"kind", "PodMetrics"},
          {"apiVersion", kGroupVersion},
          {"metadata", Metadata(pod, now, true)},
          {"timestamp", FormatRfc3339(usage.timestamp)},
          {"window", GoDuration(usage.window)},
          {"containers", std::move(containers)}};
}

// The Nodes or Pods the request selects, from the registry.
ApiResult<Json> SelectedSources(const HandlerContext& c, const std::string& plural) {
  auto resource = c.resources.Find("", "v1", plural);
  if (!resource) return std::unexpected(InternalError("no " + plural + " resource"));
  ListQuery q;
  q.namespace_ = c.info.namespace_;
  if (auto it = c.info.query.find("labelSelector"); it != c.info.query.end()) {
    q.label_selector = it->second;
  }
  if (auto it = c.info.query.find("fieldSelector"); it != c.info.query.end()) {
    q.field_selector = it->second;
  }
  if (!c.info.name.empty()) {
    auto one = c.registry.Get(*resource, c.info.namespace_, c.info.name);
    if (!one) return std::unexpected(one.error());
    return Json{{"items", Json::array({*one})}};
  }
  return c.registry.List(*resource, q);
}

void Respond(const HandlerContext& c, const std::string& list_kind, Json items) {
  WallTime now = c.clock.Now();
  if (!c.info.name.empty()) {
    if (items.empty()) {
      return RespondError(c.writer,
                          NotFoundError("metrics.k8s.io", c.resource.plural, c.info.name));
    }
    return RespondJson(c.writer, 200, items.front());
  }
  Json list = {{"kind", list_kind},
               {"apiVersion", kGroupVersion},
               {"metadata", Json::object()},
               {"items", std::move(items)}};
  if (WantsTable(c.request)) {
    return RespondJson(c.writer, 200, ListToTable(c.resource, list, now, "Metadata"));
  }
  RespondJson(c.writer, 200, list);
}

}  // namespace

void HandleResourceMetrics(const HandlerContext& c) {
  if (c.info.verb != "get" && c.info.verb != "list") {
    return RespondError(c.writer, MethodNotAllowedError("metrics are read-only"));
  }
  if (c.metrics == nullptr) {
    ApiError e = InternalError("resource metrics are not collected by this server");
    e.code = 503;
    e.reason = "ServiceUnavailable";
    return RespondError(c.writer, e);
  }
  WallTime now = c.clock.Now();
  bool nodes = c.resource.kind == "NodeMetrics";
  auto sources = SelectedSources(c, nodes ? "nodes" : "pods");
  if (!sources) {
    if (sources.error().code == 404) {
      return RespondError(c.writer,
                          NotFoundError("metrics.k8s.io", c.resource.plural, c.info.name));
    }
    return RespondError(c.writer, sources.error());
  }
  Json items = Json::array();
  if (nodes) {
    for (const auto& node : (*sources)["items"]) {
      if (auto item = NodeItem(*c.metrics, node, now)) items.push_back(std::move(*item));
    }
    return Respond(c, "NodeMetricsList", std::move(items));
  }
  std::map<std::string, const Json*> pods;  // "ns/name" -> the Pod
  for (const auto& pod : (*sources)["items"]) {
    pods[MetaString(pod, "namespace") + "/" + MetaString(pod, "name")] = &pod;
  }
  for (const auto& usage : c.metrics->PodUsages(c.info.namespace_)) {
    auto it = pods.find(usage.namespace_ + "/" + usage.name);
    if (it != pods.end()) items.push_back(PodItem(usage, *it->second, now));
  }
  std::sort(items.begin(), items.end(), [](const Json& a, const Json& b) {
    return std::make_pair(MetaString(a, "namespace"), MetaString(a, "name")) <
           std::make_pair(MetaString(b, "namespace"), MetaString(b, "name"));
  });
  Respond(c, "PodMetricsList", std::move(items));
}

}  // namespace capstan::control_plane::apiserver::internal
