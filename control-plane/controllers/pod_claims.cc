#include "control-plane/controllers/pod_claims.h"

#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {

namespace client = api::k8s::client;

Result<std::vector<Json>> ClaimPods(client::ApiClient* api, const Json& owner,
                                    const api::k8s::LabelSelector& selector,
                                    const client::Reflector& pods) {
  std::string ns = StringOf(Field(owner, {"metadata", "namespace"}));
  std::string uid = StringOf(Field(owner, {"metadata", "uid"}));
  bool deleting = !Field(owner, {"metadata", "deletionTimestamp"}).is_null();
  std::vector<Json> owned, to_adopt, to_release;
  pods.ForEach([&](const Json& pod) {
    if (Field(pod, {"metadata", "namespace"}) != ns) return;
    auto ref = ControllerRefOf(pod);
    bool matches = selector.MatchesObject(pod);
    if (ref && ref->uid == uid) {
      (matches ? owned : to_release).push_back(pod);
    } else if (!ref && matches && !deleting && IsPodActive(pod)) {
      to_adopt.push_back(pod);
    }
  });
  for (const auto& pod : to_release) {
    Json refs = Json::array();
    for (const auto& r : Field(pod, {"metadata", "ownerReferences"})) {
      if (!r.is_object() || StringOf(Field(r, {"uid"})) != uid) refs.push_back(r);
    }
    auto patched =
        api->Patch(client::resources::kPods, ns, StringOf(Field(pod, {"metadata", "name"})),
                   client::PatchType::kMerge, {{"metadata", {{"ownerReferences", refs}}}}, "");
    if (!patched && patched.error().code() != Code::kNotFound) return Fail(patched.error());
  }
  for (const auto& pod : to_adopt) {
    const Json& existing = Field(pod, {"metadata", "ownerReferences"});
    Json refs = existing.is_array() ? existing : Json::array();
    refs.push_back(ControllerRefTo(owner));
    // The resourceVersion makes this fail if the pod changed (another owner took it).
    auto patched =
        api->Patch(client::resources::kPods, ns, StringOf(Field(pod, {"metadata", "name"})),
                   client::PatchType::kMerge,
                   {{"metadata",
                     {{"ownerReferences", refs},
                      {"resourceVersion", Field(pod, {"metadata", "resourceVersion"})}}}},
                   "");
    if (patched) {
      owned.push_back(*patched);
    } else if (patched.error().code() != Code::kNotFound) {
      // Most likely a conflict (the kubelet wrote the pod meanwhile): the sync retries
      // rather than go on without a pod that may be the one it needs.
      return Fail(patched.error());
    }
  }
  return owned;
}

Status CreateOwnedPod(client::ApiClient* api, client::EventRecorder& events, const Json& owner,
                      const Json& pod) {
  auto made =
      api->Create(client::resources::kPods, StringOf(Field(owner, {"metadata", "namespace"})), pod);
  if (!made) {
    events.Record(owner, "Warning", "FailedCreate", "Error creating: " + made.error().message());
    return Fail(made.error());
  }
  events.Record(owner, "Normal", "SuccessfulCreate",
                "Created pod: " + StringOf(Field(*made, {"metadata", "name"})));
  return Ok();
}

std::vector<std::string> OwnersSelecting(const client::Reflector& owners, const Json& pod) {
  std::string ns = StringOf(Field(pod, {"metadata", "namespace"}));
  std::vector<std::string> out;
  owners.ForEach([&](const Json& owner) {
    if (Field(owner, {"metadata", "namespace"}) != ns) return;
    auto selector = api::k8s::LabelSelector::FromJson(Field(owner, {"spec", "selector"}));
    if (selector && !selector->Empty() && selector->MatchesObject(pod)) {
      out.push_back(ns + "/" + StringOf(Field(owner, {"metadata", "name"})));
    }
  });
  return out;
}

Status DeleteOwnedPods(client::ApiClient* api, client::EventRecorder& events,
                       Expectations& expectations, const Json& owner,
                       const std::vector<Json>& pods) {
  std::string key = StringOf(Field(owner, {"metadata", "namespace"})) + "/" +
                    StringOf(Field(owner, {"metadata", "name"}));
  for (size_t i = 0; i < pods.size(); ++i) {
    std::string name = StringOf(Field(pods[i], {"metadata", "name"}));
    auto st = api->Delete(client::resources::kPods,
                          StringOf(Field(pods[i], {"metadata", "namespace"})), name);
    if (!st) {
      expectations.DeletionObserved(key);
      if (st.error().code() == Code::kNotFound) continue;
      for (size_t j = i + 1; j < pods.size(); ++j) expectations.DeletionObserved(key);
      events.Record(owner, "Warning", "FailedDelete", "Error deleting: " + st.error().message());
      return st;
    }
    events.Record(owner, "Normal", "SuccessfulDelete", "Deleted pod: " + name);
  }
  return Ok();
}

client::EventHandler OwnedPodHandler(std::string owner_kind, Expectations* expectations,
                                     std::function<void(const std::string&)> enqueue,
                                     std::function<void(const Json&)> on_orphan) {
  auto owner_key = [owner_kind](const Json& pod) -> std::string {
    auto ref = ControllerRefOf(pod);
    if (!ref || ref->kind != owner_kind) return "";
    return StringOf(Field(pod, {"metadata", "namespace"})) + "/" + ref->name;
  };
  auto changed = [=](const Json& pod) {
    if (auto key = owner_key(pod); !key.empty()) {
      enqueue(key);
    } else if (!ControllerRefOf(pod)) {
      on_orphan(pod);
    }
  };
  return {[=](const Json& pod) {
            if (auto key = owner_key(pod); !key.empty() && expectations) {
              expectations->CreationObserved(key);
            }
            changed(pod);
          },
          [=](const Json& old_pod, const Json& pod) {
            // A pod counts as deleted once it is terminating (as upstream).
            if (Field(old_pod, {"metadata", "deletionTimestamp"}).is_null() &&
                !Field(pod, {"metadata", "deletionTimestamp"}).is_null()) {
              if (auto key = owner_key(pod); !key.empty() && expectations) {
                expectations->DeletionObserved(key);
              }
            }
            if (auto old_key = owner_key(old_pod); !old_key.empty() && old_key != owner_key(pod)) {
              enqueue(old_key);
            }
            changed(pod);
          },
          [=](const Json& pod) {
            if (auto key = owner_key(pod); !key.empty()) {
              // A pod that went through termination was counted when it began.
              bool counted = !Field(pod, {"metadata", "deletionTimestamp"}).is_null();
              if (expectations && !counted) expectations->DeletionObserved(key);
              enqueue(key);
            }
          }};
}

}  // namespace capstan::control_plane::controllers
