#include "control-plane/controllers/garbage_collector.h"

#include "common/log.h"
#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {
namespace {

namespace client = api::k8s::client;
const log::Logger kLog("garbage-collector");

bool HasFinalizer(const Json& o, const std::string& finalizer) {
  const Json& finalizers = Field(o, {"metadata", "finalizers"});
  if (!finalizers.is_array()) return false;
  for (const auto& f : finalizers) {
    if (f == finalizer) return true;
  }
  return false;
}

}  // namespace

GarbageCollector::GarbageCollector(client::ApiClient* api, const Clock* clock,
                                   std::map<std::string, Watched> informers)
    : Controller(clock, "garbage-collector"), api_(api), informers_(std::move(informers)) {
  for (auto& [kind, watched] : informers_) {
    std::string k = kind;
    auto check = [this, k](const Json& o) {
      if (HasFinalizer(o, "orphan") || HasFinalizer(o, "foregroundDeletion")) {
        if (!Field(o, {"metadata", "deletionTimestamp"}).is_null()) {
          queue_.Add("owner/" + k + "/" + StringOf(Field(o, {"metadata", "namespace"})) + "/" +
                     StringOf(Field(o, {"metadata", "name"})));
        }
      }
      if (Field(o, {"metadata", "ownerReferences"}).is_array()) {
        queue_.Add(k + "/" + StringOf(Field(o, {"metadata", "namespace"})) + "/" +
                   StringOf(Field(o, {"metadata", "name"})));
      }
    };
    watched.informer->AddEventHandler({check, [check](const Json&, const Json& o) { check(o); },
                                       [this](const Json& o) { OnOwnerDeleted(o); }});
  }
}

void GarbageCollector::OnOwnerDeleted(const Json& owner) {
  std::string uid = StringOf(Field(owner, {"metadata", "uid"}));
  if (uid.empty()) return;
  for (const auto& [kind, dependent] : DependentsOf(uid)) {
    queue_.Add(kind + "/" + StringOf(Field(dependent, {"metadata", "namespace"})) + "/" +
               StringOf(Field(dependent, {"metadata", "name"})));
  }
}

std::optional<bool> GarbageCollector::OwnerExists(const std::string& ns, const Json& ref) {
  if (!ref.is_object() || !ref.contains("kind") || !ref["kind"].is_string()) return std::nullopt;
  auto watched = informers_.find(ref["kind"].get<std::string>());
  if (watched == informers_.end()) return std::nullopt;
  // The same kind in another group (a custom resource) is not ours to judge.
  std::string api_version = StringOf(ref.value("apiVersion", Json()));
  auto slash = api_version.find('/');
  std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  if (group != watched->second.resource.group) return std::nullopt;
  std::string owner_ns = watched->second.resource.namespaced ? ns : "";
  std::string name = ref.value("name", "");
  std::string uid = ref.value("uid", "");
  if (auto cached = watched->second.informer->Get(owner_ns, name)) {
    if (StringOf(Field(*cached, {"metadata", "uid"})) == uid) return true;
  }
  // The cache may lag behind a new owner: ask the API before judging.
  auto live = api_->Get(watched->second.resource, owner_ns, name);
  if (live) return StringOf(Field(*live, {"metadata", "uid"})) == uid;
  if (live.error().code() == Code::kNotFound) return false;
  return true;  // cannot tell: keep the dependent
}

Status GarbageCollector::Sync(const std::string& key) {
  // "[owner/]<Kind>/<namespace>/<name>"
  bool owner = key.rfind("owner/", 0) == 0;
  std::string rest = owner ? key.substr(6) : key;
  auto first = rest.find('/');
  auto second = rest.find('/', first + 1);
  if (first == std::string::npos || second == std::string::npos) return Ok();
  std::string kind = rest.substr(0, first);
  std::string ns = rest.substr(first + 1, second - first - 1);
  std::string name = rest.substr(second + 1);
  return owner ? FinalizeOwner(kind, ns, name) : SyncDependent(kind, ns, name);
}

std::vector<std::pair<std::string, Json>> GarbageCollector::DependentsOf(const std::string& uid) {
  std::vector<std::pair<std::string, Json>> out;
  for (auto& [kind, watched] : informers_) {
    watched.informer->ForEach([&](const Json& o) {
      const Json& refs = Field(o, {"metadata", "ownerReferences"});
      if (!refs.is_array()) return;
      for (const auto& r : refs) {
        if (r.is_object() && r.contains("uid") && r["uid"] == uid) {
          out.emplace_back(kind, o);
          return;
        }
      }
    });
  }
  return out;
}

Status GarbageCollector::FinalizeOwner(const std::string& kind, const std::string& ns,
                                       const std::string& name) {
  auto watched = informers_.find(kind);
  if (watched == informers_.end()) return Ok();
  auto object = watched->second.informer->Get(ns, name);
  if (!object || Field(*object, {"metadata", "deletionTimestamp"}).is_null()) return Ok();
  std::string uid = StringOf(Field(*object, {"metadata", "uid"}));
  std::string finalizer;
  if (HasFinalizer(*object, "orphan")) {
    finalizer = "orphan";
    // The dependents stay, without this owner.
    for (const auto& [dep_kind, dep] : DependentsOf(uid)) {
      Json kept = Json::array();
      for (const auto& r : Field(dep, {"metadata", "ownerReferences"})) {
        if (r.value("uid", "") != uid) kept.push_back(r);
      }
      auto patched = api_->Patch(
          informers_.at(dep_kind).resource, StringOf(Field(dep, {"metadata", "namespace"})),
          StringOf(Field(dep, {"metadata", "name"})), client::PatchType::kMerge,
          {{"metadata",
            {{"ownerReferences", kept},
             {"resourceVersion", Field(dep, {"metadata", "resourceVersion"})}}}},
          "");
      if (!patched && patched.error().code() != Code::kNotFound) return Fail(patched.error());
    }
  } else if (HasFinalizer(*object, "foregroundDeletion")) {
    finalizer = "foregroundDeletion";
    // The dependents go first; the owner waits until none is left. A dependent with
    // dependents of its own (a Deployment's ReplicaSet) goes in the foreground too, as
    // upstream's collector does, so the owner also waits for its grandchildren.
    auto dependents = DependentsOf(uid);
    if (!dependents.empty()) {
      for (const auto& [dep_kind, dep] : dependents) {
        if (!Field(dep, {"metadata", "deletionTimestamp"}).is_null()) continue;
        bool has_own = !DependentsOf(StringOf(Field(dep, {"metadata", "uid"}))).empty();
        auto st = api_->Delete(
            informers_.at(dep_kind).resource, StringOf(Field(dep, {"metadata", "namespace"})),
            StringOf(Field(dep, {"metadata", "name"})), -1, has_own ? "Foreground" : "");
        if (!st && st.error().code() != Code::kNotFound) return st;
      }
      queue_.AddAfter("owner/" + kind + "/" + ns + "/" + name, std::chrono::seconds(1));
      return Ok();
    }
  } else {
    return Ok();
  }
  Json finalizers = Json::array();
  for (const auto& f : Field(*object, {"metadata", "finalizers"})) {
    if (f != finalizer) finalizers.push_back(f);
  }
  auto patched =
      api_->Patch(watched->second.resource, ns, name, client::PatchType::kMerge,
                  {{"metadata",
                    {{"finalizers", finalizers},
                     {"resourceVersion", Field(*object, {"metadata", "resourceVersion"})}}}},
                  "");
  if (!patched && patched.error().code() != Code::kNotFound) return Fail(patched.error());
  return Ok();
}

Status GarbageCollector::SyncDependent(const std::string& kind, const std::string& ns,
                                       const std::string& name) {
  std::string key = kind + "/" + ns + "/" + name;
  auto watched = informers_.find(kind);
  if (watched == informers_.end()) return Ok();
  auto object = watched->second.informer->Get(ns, name);
  if (!object) return Ok();
  const Json& refs = Field(*object, {"metadata", "ownerReferences"});
  if (!refs.is_array() || refs.empty()) return Ok();
  Json kept = Json::array();
  int gone = 0;
  for (const auto& ref : refs) {
    auto exists = OwnerExists(ns, ref);
    if (exists && !*exists) {
      ++gone;
    } else {
      kept.push_back(ref);
    }
  }
  if (gone == 0) return Ok();
  if (kept.empty()) {
    // Judged from the cache: the live object must still be the same one with the same
    // owners (an Orphan deletion may have just stripped them, or the name been reused).
    auto live = api_->Get(watched->second.resource, ns, name);
    if (!live) return live.error().code() == Code::kNotFound ? Ok() : Fail(live.error());
    if (Field(*live, {"metadata", "uid"}) != Field(*object, {"metadata", "uid"}) ||
        Field(*live, {"metadata", "ownerReferences"}) != refs) {
      queue_.AddAfter(key, std::chrono::seconds(1));  // again once the informer caught up
      return Ok();
    }
    kLog.Info("deleting an object whose owners are gone", {{"object", key}});
    auto st = api_->Delete(watched->second.resource, ns, name);
    if (!st && st.error().code() != Code::kNotFound) return st;
    return Ok();
  }
  Json patch = {{"metadata",
                 {{"ownerReferences", kept},
                  {"resourceVersion", Field(*object, {"metadata", "resourceVersion"})}}}};
  auto patched =
      api_->Patch(watched->second.resource, ns, name, client::PatchType::kMerge, patch, "");
  if (!patched && patched.error().code() != Code::kNotFound) return Fail(patched.error());
  return Ok();
}

}  // namespace capstan::control_plane::controllers
