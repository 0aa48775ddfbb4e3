#include "control-plane/controllers/endpoints_controller.h"

#include <algorithm>
#include <map>

#include "api/k8s/labels.h"
#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {
namespace {

namespace client = api::k8s::client;
constexpr const char* kServiceNameLabel = "kubernetes.io/service-name";
constexpr const char* kManagedByLabel = "endpointslice.kubernetes.io/managed-by";
constexpr const char* kManagedBy = "endpointslice-controller.k8s.io";

// The Service's selector as a plain label map (empty: none, or not a map of strings).
api::k8s::StringMap SelectorOf(const Json& service) {
  api::k8s::StringMap out;
  const Json& selector = Field(service, {"spec", "selector"});
  if (!selector.is_object()) return out;
  for (const auto& [k, v] : selector.items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

bool Selects(const api::k8s::StringMap& selector, const Json& pod) {
  if (selector.empty()) return false;
  return api::k8s::LabelSelector::FromSet(selector).MatchesObject(pod);
}

// A service port's target on `pod`: a number, or a named container port; nullopt when the
// pod has no port by that name.
std::optional<int64_t> TargetPort(const Json& port, const Json& pod) {
  const Json& target = Field(port, {"targetPort"});
  if (target.is_number_integer()) return target.get<int64_t>();
  if (!target.is_string()) return IntField(port, {"port"}, 0);
  std::string name = target.get<std::string>();
  std::string protocol = StringOf(Field(port, {"protocol"}));
  const Json& containers = Field(pod, {"spec", "containers"});
  if (!containers.is_array()) return std::nullopt;
  for (const auto& c : containers) {
    const Json& ports = Field(c, {"ports"});
    if (!ports.is_array()) continue;
    for (const auto& p : ports) {
      std::string p_protocol = StringOf(Field(p, {"protocol"}));
      if (StringOf(Field(p, {"name"})) == name &&
          (p_protocol.empty() ? "TCP" : p_protocol) == (protocol.empty() ? "TCP" : protocol)) {
        return IntField(p, {"containerPort"}, 0);
      }
    }
  }
  return std::nullopt;
}

}  // namespace

EndpointsController::EndpointsController(client::ApiClient* api, const Clock* clock,
                                         client::Reflector* services, client::Reflector* pods,
                                         client::Reflector* endpoints, client::Reflector* slices)
    : Controller(clock, "endpoints-controller"),
      api_(api),
      services_(*services),
      pods_(*pods),
      endpoints_(*endpoints),
      slices_(*slices) {
  auto enqueue = [this](const Json& s) { queue_.Add(KeyOf(s)); };
  services_.AddEventHandler(
      {enqueue, [enqueue](const Json&, const Json& s) { enqueue(s); }, enqueue});
  pods_.AddEventHandler({[this](const Json& p) { OnPod(p); },
                         [this](const Json& old_pod, const Json& p) {
                           OnPod(old_pod);  // labels may have moved it out of a service
                           OnPod(p);
                         },
                         [this](const Json& p) { OnPod(p); }});
}

void EndpointsController::OnPod(const Json& pod) {
  std::string ns = StringOf(Field(pod, {"metadata", "namespace"}));
  services_.ForEach([&](const Json& service) {
    if (StringOf(Field(service, {"metadata", "namespace"})) == ns &&
        Selects(SelectorOf(service), pod)) {
      queue_.Add(KeyOf(service));
    }
  });
}

Status EndpointsController::Sync(const std::string& key) {
  auto [ns, name] = SplitKey(key);
  auto service = services_.Get(ns, name);
  if (!service) return DeleteFor(ns, name);
  auto selector = SelectorOf(*service);
  if (selector.empty()) return Ok();
  bool publish_not_ready = Field(*service, {"spec", "publishNotReadyAddresses"}) == true;
  const Json& service_ports = Field(*service, {"spec", "ports"});

  // Pods grouped by the ports they resolve to, as upstream packs subsets.
  std::map<std::string, Json> subsets;  // ports (as text) -> subset
  std::map<std::string, Json> slice_endpoints;
  std::map<std::string, size_t> pods_per_ports;
  pods_.ForEach([&](const Json& pod) {
    if (StringOf(Field(pod, {"metadata", "namespace"})) != ns || !Selects(selector, pod)) return;
    std::string ip = StringOf(Field(pod, {"status", "podIP"}));
    if (ip.empty() || !IsPodActive(pod)) return;
    Json ports = Json::array();
    if (service_ports.is_array()) {
      for (const auto& sp : service_ports) {
        auto target = TargetPort(sp, pod);
        if (!target) continue;
        Json port = {{"port", *target},
                     {"protocol", StringOf(Field(sp, {"protocol"})).empty()
                                      ? "TCP"
                                      : StringOf(Field(sp, {"protocol"}))}};
        if (!StringOf(Field(sp, {"name"})).empty()) port["name"] = Field(sp, {"name"});
        ports.push_back(port);
      }
    }
    Json address = {{"ip", ip},
                    {"targetRef",
                     {{"kind", "Pod"},
                      {"namespace", ns},
                      {"name", Field(pod, {"metadata", "name"})},
                      {"uid", Field(pod, {"metadata", "uid"})}}}};
    std::string node = StringOf(Field(pod, {"spec", "nodeName"}));
    if (!node.empty()) address["nodeName"] = node;
    if (StringOf(Field(pod, {"spec", "subdomain"})) == name &&
        !StringOf(Field(pod, {"spec", "hostname"})).empty()) {
      address["hostname"] = Field(pod, {"spec", "hostname"});
    }
    bool ready = publish_not_ready || IsPodReady(pod);
    std::string group = ports.dump();
    Json& subset = subsets[group];
    subset["ports"] = ports;
    subset[ready ? "addresses" : "notReadyAddresses"].push_back(address);
    Json endpoint = {{"addresses", {ip}},
                     {"conditions", {{"ready", ready}, {"serving", ready}, {"terminating", false}}},
                     {"targetRef", address["targetRef"]}};
    if (!node.empty()) endpoint["nodeName"] = node;
    if (address.contains("hostname")) endpoint["hostname"] = address["hostname"];
    slice_endpoints[group].push_back(endpoint);
    ++pods_per_ports[group];
  });

  Json out = Json::array();
  for (auto& [group, subset] : subsets) {
    for (const char* list : {"addresses", "notReadyAddresses"}) {
      if (!subset.contains(list)) continue;
      std::sort(subset[list].begin(), subset[list].end(),
                [](const Json& a, const Json& b) { return a["ip"] < b["ip"]; });
    }
    if (subset["ports"].empty()) subset.erase("ports");
    out.push_back(subset);
  }
  CAPSTAN_TRY(SyncEndpoints(*service, out));

  std::string busiest;
  size_t most = 0;
  for (const auto& [group, n] : pods_per_ports) {
    if (n > most) busiest = group, most = n;
  }
  Json slice_ports = most ? Json::parse(busiest) : Json::array();
  // A slice port always has a name, "" when the service port has none: clients such as
  // kubectl describe read it through a pointer.
  for (auto& port : slice_ports) {
    if (!port.contains("name")) port["name"] = "";
  }
  Json endpoints = most ? slice_endpoints[busiest] : Json::array();
  std::sort(endpoints.begin(), endpoints.end(),
            [](const Json& a, const Json& b) { return a["addresses"] < b["addresses"]; });
  return SyncSlice(*service, slice_ports, endpoints);
}

Status EndpointsController::SyncEndpoints(const Json& service, const Json& subsets) {
  std::string ns = StringOf(Field(service, {"metadata", "namespace"}));
  std::string name = StringOf(Field(service, {"metadata", "name"}));
  Json labels = Field(service, {"metadata", "labels"}).is_object()
                    ? Field(service, {"metadata", "labels"})
                    : Json::object();
  if (StringOf(Field(service, {"spec", "clusterIP"})) == "None") {
    labels["service.kubernetes.io/headless"] = "";
  }
  auto current = endpoints_.Get(ns, name);
  Json want = current ? *current
                      : Json{{"apiVersion", "v1"},
                             {"kind", "Endpoints"},
                             {"metadata", {{"name", name}, {"namespace", ns}}}};
  if (labels.empty()) {
    want["metadata"].erase("labels");
  } else {
    want["metadata"]["labels"] = labels;
  }
  if (subsets.empty()) {
    want.erase("subsets");
  } else {
    want["subsets"] = subsets;
  }
  if (current && want == *current) return Ok();
  auto done = current ? api_->Update(client::resources::kEndpoints, ns, name, want, "")
                      : api_->Create(client::resources::kEndpoints, ns, want);
  // A stale cache (conflict, or made meanwhile): the informer's event brings a retry.
  if (!done) return Fail(done.error());
  return Ok();
}

std::optional<Json> EndpointsController::SliceOf(const std::string& ns,
                                                 const std::string& service) const {
  std::optional<Json> found;
  slices_.ForEach([&](const Json& s) {
    if (!found && StringOf(Field(s, {"metadata", "namespace"})) == ns &&
        StringOf(Field(s, {"metadata", "labels", kServiceNameLabel})) == service &&
        StringOf(Field(s, {"metadata", "labels", kManagedByLabel})) == kManagedBy) {
      found = s;
    }
  });
  return found;
}

Status EndpointsController::SyncSlice(const Json& service, const Json& ports,
                                      const Json& endpoints) {
  std::string ns = StringOf(Field(service, {"metadata", "namespace"}));
  std::string name = StringOf(Field(service, {"metadata", "name"}));
  auto current = SliceOf(ns, name);
  Json want = current
                  ? *current
                  : Json{{"apiVersion", "discovery.k8s.io/v1"},
                         {"kind", "EndpointSlice"},
                         {"metadata",
                          {{"generateName", name + "-"},
                           {"namespace", ns},
                           {"labels", {{kServiceNameLabel, name}, {kManagedByLabel, kManagedBy}}},
                           {"ownerReferences", Json::array({ControllerRefTo(service)})}}},
                         {"addressType", "IPv4"}};
  want["ports"] = ports;
  want["endpoints"] = endpoints;
  if (current && want == *current) return Ok();
  auto done = current ? api_->Update(client::resources::kEndpointSlices, ns,
                                     StringOf(Field(*current, {"metadata", "name"})), want, "")
                      : api_->Create(client::resources::kEndpointSlices, ns, want);
  if (!done) return Fail(done.error());
  return Ok();
}

Status EndpointsController::DeleteFor(const std::string& ns, const std::string& name) {
  if (endpoints_.Get(ns, name)) {
    auto st = api_->Delete(client::resources::kEndpoints, ns, name);
    if (!st && st.error().code() != Code::kNotFound) return st;
  }
  if (auto slice = SliceOf(ns, name)) {
    auto st = api_->Delete(client::resources::kEndpointSlices, ns,
                           StringOf(Field(*slice, {"metadata", "name"})));
    if (!st && st.error().code() != Code::kNotFound) return st;
  }
  return Ok();
}

}  // namespace capstan::control_plane::controllers
