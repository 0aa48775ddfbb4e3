#include "control-plane/controllers/persistent_volume_controller.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <vector>

#include "common/log.h"
#include "control-plane/controllers/pod_util.h"
#include "control-plane/controllers/volume_binding.h"

namespace capstan::control_plane::controllers {
namespace {

namespace client = api::k8s::client;
const log::Logger kLog("persistentvolume-controller");

constexpr char kClaimPrefix[] = "claim:";
constexpr char kVolumePrefix[] = "volume:";
constexpr char kBoundByController[] = "pv.kubernetes.io/bound-by-controller";
constexpr char kBindCompleted[] = "pv.kubernetes.io/bind-completed";
constexpr char kProvisionedBy[] = "pv.kubernetes.io/provisioned-by";
constexpr char kSelectedNode[] = "volume.kubernetes.io/selected-node";
constexpr char kStorageProvisioner[] = "volume.kubernetes.io/storage-provisioner";
constexpr char kBetaStorageProvisioner[] = "volume.beta.kubernetes.io/storage-provisioner";

std::string NameOf(const Json& o) { return StringOf(Field(o, {"metadata", "name"})); }
std::string PhaseOf(const Json& o) { return StringOf(Field(o, {"status", "phase"})); }

Json& Annotations(Json& o) {
  Json& a = o["metadata"]["annotations"];
  if (!a.is_object()) a = Json::object();
  return a;
}

}  // namespace

namespace {

// Removes what `name` in `dir_fd` is (a directory's tree, or the entry itself), never
// following a symlink: directories are opened with O_NOFOLLOW and entries unlinked by
// name, so a link swapped in meanwhile is removed, not entered.
Status RemoveAt(int dir_fd, const std::string& name, bool contents_only) {
  int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Ok();
    if (errno != ENOTDIR && errno != ELOOP) return FailErrno("opening {}", name);
    if (contents_only) return Ok();  // not a directory: nothing inside to empty
    if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
      return FailErrno("removing {}", name);
    }
    return Ok();
  }
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    ::close(fd);
    return FailErrno("reading {}", name);
  }
  std::vector<std::string> entries;
  while (auto* e = ::readdir(dir)) {
    std::string entry = e->d_name;
    if (entry != "." && entry != "..") entries.push_back(std::move(entry));
  }
  Status result = Ok();
  for (const auto& entry : entries) {
    if (auto st = RemoveAt(::dirfd(dir), entry, false); !st && result) result = st;
  }
  ::closedir(dir);
  if (!result || contents_only) return result;
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return FailErrno("removing {}", name);
  }
  return Ok();
}

}  // namespace

Status ScrubHostPath(const std::string& path, bool contents_only) {
  // The in-tree plugin's rule: a path below /tmp. Checked on the path's components, then
  // walked from /tmp without following a symlink, so neither ".." nor a link (even one
  // swapped in while this runs) leads out of /tmp.
  std::vector<std::string> parts;
  bool below_tmp = path.rfind("/tmp/", 0) == 0;
  for (size_t at = 5; below_tmp && at <= path.size();) {
    size_t slash = path.find('/', at);
    std::string part = path.substr(at, slash == std::string::npos ? slash : slash - at);
    if (part == "." || part == "..") below_tmp = false;
    if (!part.empty()) parts.push_back(part);
    if (slash == std::string::npos) break;
    at = slash + 1;
  }
  if (!below_tmp || parts.empty()) {
    return Fail(Code::kFailedPrecondition,
                "host_path deleter only supports /tmp/.+ but received provided {}", path);
  }
  int fd = ::open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return FailErrno("opening /tmp");
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    int next = ::openat(fd, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int err = errno;
    ::close(fd);
    if (next < 0) {
      if (err == ENOENT) return Ok();  // already gone, as upstream's RemoveAll counts it
      return Fail(Code::kFailedPrecondition, "{}: {} is not a directory below /tmp", path,
                  parts[i]);
    }
    fd = next;
  }
  Status st = RemoveAt(fd, parts.back(), contents_only);
  ::close(fd);
  return st;
}

PersistentVolumeController::PersistentVolumeController(client::ApiClient* api, const Clock* clock,
                                                       client::Reflector* claims,
                                                       client::Reflector* volumes,
                                                       client::Reflector* classes)
    : Controller(clock, "persistentvolume-binder-controller"),
      api_(api),
      claims_(*claims),
      volumes_(*volumes),
      classes_(*classes),
      events_(api, clock, "persistentvolume-controller") {
  auto claim = [this](const Json& c) { queue_.Add(kClaimPrefix + KeyOf(c)); };
  claims_.AddEventHandler({claim, [claim](const Json&, const Json& c) { claim(c); },
                           [this](const Json& c) {
                             // Its volume is Released now.
                             std::string volume = StringOf(Field(c, {"spec", "volumeName"}));
                             if (!volume.empty()) queue_.Add(kVolumePrefix + volume);
                           }});
  auto volume = [this](const Json& v) {
    queue_.Add(kVolumePrefix + NameOf(v));
    // A volume that appears or frees up may be what a Pending claim waits for.
    if (!Field(v, {"spec", "claimRef"}).is_object()) EnqueuePendingClaims(NameOf(v));
  };
  volumes_.AddEventHandler({volume, [volume](const Json&, const Json& v) { volume(v); },
                            [this](const Json& v) {
                              // Claims bound to it are now Lost.
                              const Json& ref = Field(v, {"spec", "claimRef"});
                              if (ref.is_object()) {
                                queue_.Add(kClaimPrefix + StringOf(Field(ref, {"namespace"})) +
                                           "/" + StringOf(Field(ref, {"name"})));
                              }
                            }});
}

void PersistentVolumeController::EnqueuePendingClaims(const std::string& volume) {
  claims_.ForEach([&](const Json& c) {
    std::string named = StringOf(Field(c, {"spec", "volumeName"}));
    // Unbound claims, and claims that name this volume and are not bound to it yet.
    if (named.empty() || (named == volume && PhaseOf(c) != "Bound")) {
      queue_.Add(kClaimPrefix + KeyOf(c));
    }
  });
}

Status PersistentVolumeController::Sync(const std::string& key) {
  if (key.rfind(kClaimPrefix, 0) == 0) {
    auto [ns, name] = SplitKey(key.substr(sizeof(kClaimPrefix) - 1));
    return SyncClaim(ns, name);
  }
  if (key.rfind(kVolumePrefix, 0) == 0) return SyncVolume(key.substr(sizeof(kVolumePrefix) - 1));
  return Ok();
}

Status PersistentVolumeController::SyncClaim(const std::string& ns, const std::string& name) {
  auto claim = claims_.Get(ns, name);
  if (!claim || BeingDeleted(*claim)) return Ok();
  std::string volume_name = StringOf(Field(*claim, {"spec", "volumeName"}));
  if (volume_name.empty()) {
    std::vector<Json> volumes = volumes_.List();
    std::string cls = ClaimClass(*claim);
    auto sc = cls.empty() ? std::nullopt : classes_.Get("", cls);
    bool delayed = sc && StringOf(Field(*sc, {"volumeBindingMode"})) == "WaitForFirstConsumer";
    if (delayed) {
      // The scheduler chooses: a volume it reserved for the claim, or a node the
      // provisioner is to make one on.
      for (const auto& v : volumes) {
        if (ReservedFor(v, *claim) && Mismatch(*claim, v).empty()) return Bind(v, *claim);
      }
      if (Field(*claim, {"metadata", "annotations", kSelectedNode}).is_null()) {
        events_.Record(*claim, "Normal", "WaitForFirstConsumer",
                       "waiting for first consumer to be created before binding");
        return SetClaimPhase(*claim, "Pending");
      }
      return WaitForVolume(*claim);
    }
    if (auto match = FindMatchingVolume(*claim, volumes)) return Bind(volumes[*match], *claim);
    return WaitForVolume(*claim);
  }

  auto volume = volumes_.Get("", volume_name);
  if (!volume) {
    if (PhaseOf(*claim) == "Bound" || PhaseOf(*claim) == "Lost") {
      if (PhaseOf(*claim) == "Bound") {
        events_.Record(*claim, "Warning", "ClaimLost",
                       "Bound claim has lost its PersistentVolume. Data on the volume is lost!");
      }
      return SetClaimPhase(*claim, "Lost");
    }
    events_.Record(*claim, "Normal", "FailedBinding",
                   fmt::format("volume \"{}\" not found", volume_name));
    return SetClaimPhase(*claim, "Pending");
  }
  if (ReservedFor(*volume, *claim) &&
      !StringOf(Field(*volume, {"spec", "claimRef", "uid"})).empty()) {
    // Bound (or half bound): finished, never re-judged, as upstream's syncBoundClaim. A
    // resize request or an edit of the volume must not unbind what is in use.
    return Bind(*volume, *claim);
  }
  if (ReservedFor(*volume, *claim) || !Field(*volume, {"spec", "claimRef"}).is_object()) {
    // Named by the claim: bound if it fits (the claim asked for this one volume).
    if (std::string why = Mismatch(*claim, *volume); !why.empty()) {
      events_.Record(*claim, "Warning", "VolumeMismatch",
                     fmt::format("Cannot bind to requested volume \"{}\": {}", volume_name, why));
      return SetClaimPhase(*claim, "Pending");
    }
    return Bind(*volume, *claim);
  }
  // The volume is another claim's.
  if (PhaseOf(*claim) == "Bound") {
    events_.Record(*claim, "Warning", "ClaimMisbound",
                   "Two claims are bound to the same volume, this one is bound incorrectly");
    return SetClaimPhase(*claim, "Lost");
  }
  events_.Record(*claim, "Warning", "FailedBinding",
                 fmt::format("volume \"{}\" already bound to a different claim.", volume_name));
  return SetClaimPhase(*claim, "Pending");
}

Status PersistentVolumeController::WaitForVolume(const Json& claim) {
  std::string cls = ClaimClass(claim);
  if (cls.empty()) {
    events_.Record(claim, "Normal", "FailedBinding",
                   "no persistent volumes available for this claim and no storage class is set");
    return SetClaimPhase(claim, "Pending");
  }
  auto sc = classes_.Get("", cls);
  if (!sc) {
    events_.Record(claim, "Warning", "ProvisioningFailed",
                   fmt::format("storageclass.storage.k8s.io \"{}\" not found", cls));
    return SetClaimPhase(claim, "Pending");
  }
  std::string provisioner = StringOf(Field(*sc, {"provisioner"}));
  if (provisioner == "kubernetes.io/no-provisioner") {
    events_.Record(claim, "Normal", "FailedBinding",
                   "no persistent volumes available for this claim and no storage class is set");
    return SetClaimPhase(claim, "Pending");
  }
  // The claim is the provisioner's to serve: annotated so it knows.
  if (StringOf(Field(claim, {"metadata", "annotations", kStorageProvisioner})) != provisioner) {
    Json patch = {
        {"metadata",
         {{"annotations",
           {{kStorageProvisioner, provisioner}, {kBetaStorageProvisioner, provisioner}}}}}};
    auto patched = api_->Patch(client::resources::kPersistentVolumeClaims,
                               StringOf(Field(claim, {"metadata", "namespace"})), NameOf(claim),
                               client::PatchType::kMerge, patch);
    if (!patched) return Fail(patched.error());
  }
  events_.Record(claim, "Normal", "ExternalProvisioning",
                 fmt::format("Waiting for a volume to be created either by the external "
                             "provisioner '{}' or manually by the system administrator. If volume "
                             "creation is delayed, please verify that the provisioner is running "
                             "and correctly registered.",
                             provisioner));
  return SetClaimPhase(claim, "Pending");
}

Status PersistentVolumeController::Bind(Json volume, Json claim) {
  std::string ns = StringOf(Field(claim, {"metadata", "namespace"}));
  // 1. The volume's claimRef: an update at the cached resourceVersion, so two claims never
  //    both take one volume.
  if (!ReservedFor(volume, claim) || StringOf(Field(volume, {"spec", "claimRef", "uid"})).empty()) {
    if (!Field(volume, {"spec", "claimRef"}).is_object()) {
      Annotations(volume)[kBoundByController] = "yes";
    }
    volume["spec"]["claimRef"] = {
        {"kind", "PersistentVolumeClaim"},
        {"namespace", ns},
        {"name", NameOf(claim)},
        {"uid", Field(claim, {"metadata", "uid"})},
        {"apiVersion", "v1"},
        {"resourceVersion", Field(claim, {"metadata", "resourceVersion"})}};
    auto updated = api_->Update(client::resources::kPersistentVolumes, "", NameOf(volume), volume);
    if (!updated) return Fail(updated.error());
    volume = std::move(*updated);
  }
  // 2. The volume's phase.
  CAPSTAN_TRY(SetVolumePhase(volume, "Bound"));
  // 3. The claim's volumeName.
  if (StringOf(Field(claim, {"spec", "volumeName"})) != NameOf(volume) ||
      StringOf(Field(claim, {"metadata", "annotations", kBindCompleted})) != "yes") {
    Json annotations = {{kBindCompleted, "yes"}};
    if (StringOf(Field(claim, {"spec", "volumeName"})).empty()) {
      annotations[kBoundByController] = "yes";
    }
    auto patched = api_->Patch(
        client::resources::kPersistentVolumeClaims, ns, NameOf(claim), client::PatchType::kMerge,
        {{"metadata", {{"annotations", annotations}}}, {"spec", {{"volumeName", NameOf(volume)}}}});
    if (!patched) return Fail(patched.error());
    claim = std::move(*patched);
  }
  // 4. The claim's status: Bound, with what the volume gives.
  Json status = {{"phase", "Bound"},
                 {"accessModes", Field(volume, {"spec", "accessModes"})},
                 {"capacity", Field(volume, {"spec", "capacity"})}};
  if (PhaseOf(claim) != "Bound" ||
      Field(claim, {"status", "capacity"}) != Field(volume, {"spec", "capacity"})) {
    auto patched = api_->Patch(client::resources::kPersistentVolumeClaims, ns, NameOf(claim),
                               client::PatchType::kMerge, {{"status", status}}, "status");
    if (!patched) return Fail(patched.error());
    kLog.Info("bound claim", {{"claim", ns + "/" + NameOf(claim)}, {"volume", NameOf(volume)}});
  }
  return Ok();
}

Status PersistentVolumeController::SetVolumePhase(const Json& volume, const std::string& phase,
                                                  const std::string& message) {
  if (PhaseOf(volume) == phase) return Ok();
  Json status = {{"phase", phase}};
  status["message"] = message.empty() ? Json() : Json(message);
  auto patched = api_->Patch(client::resources::kPersistentVolumes, "", NameOf(volume),
                             client::PatchType::kMerge, {{"status", status}}, "status");
  if (!patched && patched.error().code() != Code::kNotFound) return Fail(patched.error());
  return Ok();
}

Status PersistentVolumeController::SetClaimPhase(const Json& claim, const std::string& phase) {
  if (PhaseOf(claim) == phase) return Ok();
  auto patched = api_->Patch(client::resources::kPersistentVolumeClaims,
                             StringOf(Field(claim, {"metadata", "namespace"})), NameOf(claim),
                             client::PatchType::kMerge, {{"status", {{"phase", phase}}}}, "status");
  if (!patched && patched.error().code() != Code::kNotFound) return Fail(patched.error());
  return Ok();
}

Status PersistentVolumeController::SyncVolume(const std::string& name) {
  // A volume being deleted is still synced: its claim's end makes it Released, which lets
  // its protection finalizer go.
  auto volume = volumes_.Get("", name);
  if (!volume) return Ok();
  const Json& ref = Field(*volume, {"spec", "claimRef"});
  if (!ref.is_object()) return SetVolumePhase(*volume, "Available");
  std::string ns = StringOf(Field(ref, {"namespace"}));
  std::string claim_name = StringOf(Field(ref, {"name"}));
  if (StringOf(Field(ref, {"uid"})).empty()) {
    // Reserved by an administrator for a claim not yet bound: the claim's sync binds it.
    queue_.Add(kClaimPrefix + ns + "/" + claim_name);
    return SetVolumePhase(*volume, "Available");
  }
  auto claim = claims_.Get(ns, claim_name);
  if (claim && StringOf(Field(*claim, {"metadata", "uid"})) != StringOf(Field(ref, {"uid"}))) {
    claim.reset();  // a new claim of the old name is not this volume's
  }
  if (!claim) {
    // The cache may not have seen the claim yet: ask the server before releasing.
    auto live = api_->Get(client::resources::kPersistentVolumeClaims, ns, claim_name);
    if (live && StringOf(Field(*live, {"metadata", "uid"})) == StringOf(Field(ref, {"uid"}))) {
      return Ok();
    }
    if (!live && live.error().code() != Code::kNotFound) return Fail(live.error());
    if (PhaseOf(*volume) != "Released" && PhaseOf(*volume) != "Failed") {
      CAPSTAN_TRY(SetVolumePhase(*volume, "Released"));
    }
    if (PhaseOf(*volume) == "Failed") return Ok();
    return Reclaim(*volume);
  }
  std::string claim_volume = StringOf(Field(*claim, {"spec", "volumeName"}));
  if (claim_volume == name) return SetVolumePhase(*volume, "Bound");
  if (claim_volume.empty()) {
    queue_.Add(kClaimPrefix + ns + "/" + claim_name);  // a binding half done
    return Ok();
  }
  // The claim went to another volume. What this controller reserved, it frees.
  if (StringOf(Field(*volume, {"metadata", "annotations", kBoundByController})) == "yes") {
    Json freed = *volume;
    freed["spec"].erase("claimRef");
    Annotations(freed).erase(kBoundByController);
    auto updated = api_->Update(client::resources::kPersistentVolumes, "", name, freed);
    if (!updated) return Fail(updated.error());
    return SetVolumePhase(*updated, "Available");
  }
  return Ok();
}

Status PersistentVolumeController::Reclaim(const Json& cached) {
  // Decided on the live object: a policy switched to Retain, or a claimRef cleared, just
  // before the claim went must not lose the data to a stale cache.
  auto live = api_->Get(client::resources::kPersistentVolumes, "", NameOf(cached));
  if (!live) return live.error().code() == Code::kNotFound ? Ok() : Fail(live.error());
  const Json& volume = *live;
  if (PhaseOf(volume) != "Released" ||
      StringOf(Field(volume, {"spec", "claimRef", "uid"})) !=
          StringOf(Field(cached, {"spec", "claimRef", "uid"})) ||
      StringOf(Field(volume, {"metadata", "uid"})) !=
          StringOf(Field(cached, {"metadata", "uid"}))) {
    // The cache catches up, then it is judged again.
    queue_.AddAfter(kVolumePrefix + NameOf(cached), std::chrono::seconds(1));
    return Ok();
  }
  std::string name = NameOf(volume);
  std::string policy = StringOf(Field(volume, {"spec", "persistentVolumeReclaimPolicy"}));
  if (policy.empty() || policy == "Retain") return Ok();
  std::string provisioner = StringOf(Field(volume, {"metadata", "annotations", kProvisionedBy}));
  const Json& host_path = Field(volume, {"spec", "hostPath", "path"});
  if (!provisioner.empty() && !host_path.is_string()) return Ok();  // the provisioner's to do
  bool recycle = policy == "Recycle";
  if (!host_path.is_string()) {
    std::string message = recycle ? fmt::format("No recycler plugin found for the volume!")
                                  : fmt::format(
                                        "error getting deleter volume plugin for volume \"{}\": no "
                                        "deletable volume plugin matched",
                                        name);
    events_.Record(volume, "Warning", recycle ? "VolumeFailedRecycle" : "VolumeFailedDelete",
                   message);
    return SetVolumePhase(volume, "Failed", message);
  }
  if (auto scrubbed = ScrubHostPath(host_path.get<std::string>(), recycle); !scrubbed) {
    std::string message = scrubbed.error().message();
    events_.Record(volume, "Warning", recycle ? "VolumeFailedRecycle" : "VolumeFailedDelete",
                   message);
    return SetVolumePhase(volume, "Failed", message);
  }
  if (recycle) {
    Json freed = volume;
    freed["spec"].erase("claimRef");
    Annotations(freed).erase(kBoundByController);
    auto updated = api_->Update(client::resources::kPersistentVolumes, "", name, freed);
    if (!updated) return Fail(updated.error());
    events_.Record(volume, "Normal", "VolumeRecycled", "Volume recycled");
    return SetVolumePhase(*updated, "Available");
  }
  kLog.Info("deleted volume's data", {{"volume", name}, {"path", host_path}});
  auto deleted = api_->Delete(client::resources::kPersistentVolumes, "", name);
  if (!deleted && deleted.error().code() != Code::kNotFound) return deleted;
  return Ok();
}

}  // namespace capstan::control_plane::controllers
