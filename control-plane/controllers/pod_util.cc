#include "control-plane/controllers/pod_util.h"

#include <algorithm>
#include <tuple>

#include "api/k8s/meta.h"

namespace capstan::control_plane::controllers {

std::string StringOf(const Json& v) { return v.is_string() ? v.get<std::string>() : ""; }

std::string KeyOf(const Json& object) {
  return StringOf(Field(object, {"metadata", "namespace"})) + "/" +
         StringOf(Field(object, {"metadata", "name"}));
}

const Json& Field(const Json& object, std::initializer_list<const char*> path) {
  static const Json kNull;
  const Json* at = &object;
  for (const char* key : path) {
    if (!at->is_object()) return kNull;
    auto it = at->find(key);
    if (it == at->end()) return kNull;
    at = &*it;
  }
  return *at;
}

Json WithoutNulls(const Json& v) {
  if (v.is_object()) {
    Json out = Json::object();
    for (const auto& [key, member] : v.items()) {
      if (!member.is_null()) out[key] = WithoutNulls(member);
    }
    return out;
  }
  if (v.is_array()) {
    Json out = Json::array();
    for (const auto& item : v) out.push_back(WithoutNulls(item));
    return out;
  }
  return v;
}

int64_t IntField(const Json& object, std::initializer_list<const char*> path, int64_t fallback) {
  const Json& v = Field(object, path);
  return v.is_number_integer() ? v.get<int64_t>() : fallback;
}

Status PutStatus(api::k8s::client::ApiClient* api, const api::k8s::client::Resource& resource,
                 const Json& object, const Json& status) {
  std::string ns = Field(object, {"metadata", "namespace"}).is_string()
                       ? Field(object, {"metadata", "namespace"}).get<std::string>()
                       : "";
  std::string name = Field(object, {"metadata", "name"}).get<std::string>();
  Json body = object;
  body["status"] = status;
  for (int attempt = 0;; ++attempt) {
    auto done = api->Update(resource, ns, name, body, "status");
    if (done || done.error().code() == Code::kNotFound) return Ok();
    if (done.error().code() != Code::kFailedPrecondition || attempt == 1) {
      return Fail(done.error());
    }
    auto fresh = api->Get(resource, ns, name);
    if (!fresh) return fresh.error().code() == Code::kNotFound ? Ok() : Fail(fresh.error());
    body = *fresh;
    body["status"] = status;
  }
}

std::optional<OwnerRef> ControllerRefOf(const Json& object) {
  const Json& refs = Field(object, {"metadata", "ownerReferences"});
  if (!refs.is_array()) return std::nullopt;
  for (const auto& r : refs) {
    if (r.is_object() && r.contains("controller") && r["controller"] == true) {
      auto str = [&](const char* k) {
        auto it = r.find(k);
        return it != r.end() && it->is_string() ? it->get<std::string>() : std::string();
      };
      return OwnerRef{str("apiVersion"), str("kind"), str("name"), str("uid")};
    }
  }
  return std::nullopt;
}

Json ControllerRefTo(const Json& owner) {
  return {{"apiVersion", owner.value("apiVersion", "")},
          {"kind", owner.value("kind", "")},
          {"name", Field(owner, {"metadata", "name"})},
          {"uid", Field(owner, {"metadata", "uid"})},
          {"controller", true},
          {"blockOwnerDeletion", true}};
}

Json PodFromTemplate(const Json& template_, const Json& owner, const std::string& generate_prefix) {
  Json meta = {{"generateName", generate_prefix},
               {"namespace", Field(owner, {"metadata", "namespace"})},
               {"ownerReferences", Json::array({ControllerRefTo(owner)})}};
  for (const char* key : {"labels", "annotations", "finalizers"}) {
    const Json& v = Field(template_, {"metadata", key});
    if (!v.is_null()) meta[key] = v;
  }
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", meta},
          {"spec", Field(template_, {"spec"})}};
}

bool IsPodActive(const Json& pod) {
  std::string phase = Field(pod, {"status", "phase"}).is_string()
                          ? Field(pod, {"status", "phase"}).get<std::string>()
                          : "";
  return phase != "Succeeded" && phase != "Failed" &&
         Field(pod, {"metadata", "deletionTimestamp"}).is_null();
}

namespace {

const Json* ReadyCondition(const Json& pod) {
  const Json& conditions = Field(pod, {"status", "conditions"});
  if (!conditions.is_array()) return nullptr;
  for (const auto& c : conditions) {
    if (c.is_object() && c.value("type", "") == "Ready") return &c;
  }
  return nullptr;
}

int PhaseRank(const Json& pod) {
  std::string phase = StringOf(Field(pod, {"status", "phase"}));
  if (phase == "Pending") return 0;
  if (phase == "Running") return 2;
  return 1;  // Unknown and anything else
}

int32_t Restarts(const Json& pod) {
  int32_t most = 0;
  const Json& statuses = Field(pod, {"status", "containerStatuses"});
  if (!statuses.is_array()) return 0;
  for (const auto& s : statuses) {
    if (s.is_object() && s.contains("restartCount") && s["restartCount"].is_number_integer()) {
      most = std::max(most, s["restartCount"].get<int32_t>());
    }
  }
  return most;
}

}  // namespace

bool IsPodReady(const Json& pod) {
  const Json* c = ReadyCondition(pod);
  return c && c->value("status", "") == "True";
}

bool IsPodAvailable(const Json& pod, int64_t min_ready_seconds, WallTime now) {
  const Json* c = ReadyCondition(pod);
  if (!c || c->value("status", "") != "True") return false;
  if (min_ready_seconds <= 0) return true;
  auto since = api::k8s::ParseTime(c->value("lastTransitionTime", ""));
  return since && *since + std::chrono::seconds(min_ready_seconds) <= now;
}

void SortForDeletion(std::vector<Json>& pods) {
  auto key = [](const Json& p) {
    bool assigned = !StringOf(Field(p, {"spec", "nodeName"})).empty();
    bool ready = IsPodReady(p);
    // Ready longer sorts later: the ready time, negated through the string order below.
    std::string ready_since =
        ready && ReadyCondition(p) ? ReadyCondition(p)->value("lastTransitionTime", "") : "";
    std::string created = StringOf(Field(p, {"metadata", "creationTimestamp"}));
    return std::make_tuple(assigned, PhaseRank(p), ready, ready_since, -Restarts(p), created);
  };
  std::stable_sort(pods.begin(), pods.end(), [&](const Json& a, const Json& b) {
    auto ka = key(a);
    auto kb = key(b);
    if (std::get<0>(ka) != std::get<0>(kb)) return !std::get<0>(ka);
    if (std::get<1>(ka) != std::get<1>(kb)) return std::get<1>(ka) < std::get<1>(kb);
    if (std::get<2>(ka) != std::get<2>(kb)) return !std::get<2>(ka);
    // Both ready: the one ready more recently goes first.
    if (std::get<3>(ka) != std::get<3>(kb)) return std::get<3>(ka) > std::get<3>(kb);
    if (std::get<4>(ka) != std::get<4>(kb)) return std::get<4>(ka) < std::get<4>(kb);
    return std::get<5>(ka) > std::get<5>(kb);  // newer first
  });
}

bool BeingDeleted(const Json& object) {
  return !Field(object, {"metadata", "deletionTimestamp"}).is_null();
}

}  // namespace capstan::control_plane::controllers
