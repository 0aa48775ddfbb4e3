#include "control-plane/controllers/storage_protection_controller.h"

#include "common/log.h"
#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {
namespace {

namespace client = api::k8s::client;
const log::Logger kLog("storage-protection");

constexpr char kClaimPrefix[] = "claim:";
constexpr char kVolumePrefix[] = "volume:";
constexpr char kPvcProtection[] = "kubernetes.io/pvc-protection";
constexpr char kPvProtection[] = "kubernetes.io/pv-protection";

bool HasFinalizer(const Json& o, const char* finalizer) {
  for (const auto& f : Field(o, {"metadata", "finalizers"})) {
    if (f == finalizer) return true;
  }
  return false;
}

// Upstream's podIsShutDown: the kubelet is done with it (deleted with grace 0) or it was
// force-deleted. A pod that merely ended still holds its claims until it is deleted.
bool ShutDown(const Json& pod) {
  return BeingDeleted(pod) && Field(pod, {"metadata", "deletionGracePeriodSeconds"}) == Json(0);
}

// The claims a pod's volumes name (a generic ephemeral volume's is <pod>-<volume>).
std::vector<std::string> ClaimsOf(const Json& pod) {
  std::vector<std::string> out;
  for (const auto& v : Field(pod, {"spec", "volumes"})) {
    std::string claim = StringOf(Field(v, {"persistentVolumeClaim", "claimName"}));
    if (claim.empty() && Field(v, {"ephemeral"}).is_object()) {
      claim = StringOf(Field(pod, {"metadata", "name"})) + "-" + StringOf(Field(v, {"name"}));
    }
    if (!claim.empty()) out.push_back(claim);
  }
  return out;
}

}  // namespace

StorageProtectionController::StorageProtectionController(client::ApiClient* api, const Clock* clock,
                                                         client::Reflector* claims,
                                                         client::Reflector* volumes,
                                                         client::Reflector* pods)
    : Controller(clock, "storage-protection-controller"),
      api_(api),
      claims_(*claims),
      volumes_(*volumes),
      pods_(*pods) {
  auto claim = [this](const Json& c) {
    if (BeingDeleted(c) && HasFinalizer(c, kPvcProtection)) queue_.Add(kClaimPrefix + KeyOf(c));
  };
  claims_.AddEventHandler({claim, [claim](const Json&, const Json& c) { claim(c); }, {}});
  auto volume = [this](const Json& v) {
    if (BeingDeleted(v) && HasFinalizer(v, kPvProtection)) {
      queue_.Add(kVolumePrefix + StringOf(Field(v, {"metadata", "name"})));
    }
  };
  volumes_.AddEventHandler({volume, [volume](const Json&, const Json& v) { volume(v); }, {}});
  // A pod that is shut down or goes may have been what held a claim.
  auto pod = [this](const Json& p) {
    std::string ns = StringOf(Field(p, {"metadata", "namespace"}));
    for (const auto& c : ClaimsOf(p)) queue_.Add(kClaimPrefix + ns + "/" + c);
  };
  pods_.AddEventHandler({{},
                         [pod](const Json& old_pod, const Json& p) {
                           if (ShutDown(p) && !ShutDown(old_pod)) pod(p);
                         },
                         pod});
}

bool StorageProtectionController::ClaimInUse(const std::string& ns, const std::string& name) {
  bool used = false;
  // As upstream's pvc-protection: only pods placed on a node count (the kubelet refuses to
  // start a pod whose claim is being deleted, and the scheduler holds one back, so an
  // unplaced pod and the claim would wait on each other for ever).
  auto uses = [&](const Json& p) {
    if (used || ShutDown(p) || StringOf(Field(p, {"spec", "nodeName"})).empty() ||
        StringOf(Field(p, {"metadata", "namespace"})) != ns) {
      return;
    }
    for (const auto& c : ClaimsOf(p)) used |= c == name;
  };
  pods_.ForEach(uses);
  if (used) return true;
  // The cache may not have seen a pod made a moment ago: ask the server, as upstream does.
  auto live = api_->List(client::resources::kPods, ns, {});
  if (!live) return true;  // unsure: keep the claim
  for (const auto& p : (*live)["items"]) uses(p);
  return used;
}

Status StorageProtectionController::RemoveFinalizer(const client::Resource& resource,
                                                    const Json& object, const char* finalizer) {
  Json kept = Json::array();
  for (const auto& f : Field(object, {"metadata", "finalizers"})) {
    if (f != finalizer) kept.push_back(f);
  }
  // resourceVersion in the patch makes it conditional: a finalizer added meanwhile stays.
  Json patch = {{"metadata",
                 {{"finalizers", kept},
                  {"resourceVersion", Field(object, {"metadata", "resourceVersion"})}}}};
  auto patched =
      api_->Patch(resource, StringOf(Field(object, {"metadata", "namespace"})),
                  StringOf(Field(object, {"metadata", "name"})), client::PatchType::kMerge, patch);
  if (!patched && patched.error().code() != Code::kNotFound) return Fail(patched.error());
  return Ok();
}

Status StorageProtectionController::Sync(const std::string& key) {
  if (key.rfind(kClaimPrefix, 0) == 0) {
    auto [ns, name] = SplitKey(key.substr(sizeof(kClaimPrefix) - 1));
    auto claim = claims_.Get(ns, name);
    if (!claim || !BeingDeleted(*claim) || !HasFinalizer(*claim, kPvcProtection)) return Ok();
    if (ClaimInUse(ns, name)) return Ok();  // the pod's end brings it back
    kLog.Info("claim no longer in use, letting it go", {{"claim", key}});
    return RemoveFinalizer(client::resources::kPersistentVolumeClaims, *claim, kPvcProtection);
  }
  if (key.rfind(kVolumePrefix, 0) == 0) {
    auto volume = volumes_.Get("", key.substr(sizeof(kVolumePrefix) - 1));
    if (!volume || !BeingDeleted(*volume) || !HasFinalizer(*volume, kPvProtection)) return Ok();
    if (StringOf(Field(*volume, {"status", "phase"})) == "Bound") return Ok();
    return RemoveFinalizer(client::resources::kPersistentVolumes, *volume, kPvProtection);
  }
  return Ok();
}

}  // namespace capstan::control_plane::controllers
