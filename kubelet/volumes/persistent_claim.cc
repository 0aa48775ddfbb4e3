// persistentVolumeClaim: the claim is resolved to its bound PersistentVolume through the API,
// and the volume's own source is set up. hostPath and local volumes are the host's
// directories; csi volumes are staged and published through their driver (csi_volumes.h);
// other sources (nfs, iscsi, ...) are refused with a clear message.
#include <sys/stat.h>

#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "kubelet/volumes/persistent_claim.h"

#include "kubelet/volumes/csi_volumes.h"

namespace capstan::kubelet::volumes {
namespace {

using Json = nlohmann::json;

std::string Text(const Json& o, std::initializer_list<const char*> path) {
  const Json* at = &o;
  for (const char* key : path) {
    if (!at->is_object()) return "";
    auto it = at->find(key);
    if (it == at->end()) return "";
    at = &*it;
  }
  return at->is_string() ? at->get<std::string>() : "";
}

bool OwnedBy(const Json& obj, const std::string& uid) {
  const Json meta = obj.value("metadata", Json::object());
  for (const Json& ref : meta.value("ownerReferences", Json::array())) {
    if (!ref.is_object()) continue;
    auto ref_uid = ref.find("uid");
    auto controller = ref.find("controller");
    if (ref_uid != ref.end() && *ref_uid == uid && controller != ref.end() &&
        controller->is_boolean() && controller->get<bool>()) {
      return true;
    }
  }
  return false;
}

class PersistentClaimPlugin : public VolumePlugin {
 public:
  PersistentClaimPlugin(ApiObjectGetter get, CsiVolumes* csi,
                        std::chrono::milliseconds wait_for_binding)
      : get_(std::move(get)),
        csi_(csi),
        wait_for_binding_(wait_for_binding),
        host_path_(NewHostPathPlugin()) {}
  std::string Name() const override { return "kubernetes.io/persistent-claim"; }
  bool CanSupport(const api::k8s::Volume& v) const override {
    return v.persistent_volume_claim.has_value() || v.ephemeral.has_value();
  }

  // Resolved once per pod and volume: the pod's later syncs must not depend on the API
  // (a claim Terminating under a running pod, or a server that is down, must not stop its
  // containers from being restarted), as upstream checks only before the first mount.
  Result<std::string> SetUp(const api::k8s::Pod& pod, const api::k8s::Volume& v) override {
    std::string key = pod.metadata.uid + "/" + v.name;
    {
      std::lock_guard lock(mu_);
      if (auto it = resolved_.find(key); it != resolved_.end()) return it->second;
    }
    auto path = Resolve(pod, v);
    if (path) {
      std::lock_guard lock(mu_);
      resolved_[key] = *path;
    }
    return path;
  }

  // Nothing of the host's directories is the kubelet's to remove; a CSI volume is unpublished
  // (found by what SetUp recorded, so this works after a restart too).
  Status TearDown(const std::string& pod_uid, const std::string& volume_name) override {
    if (csi_) CAPSTAN_TRY(csi_->TearDown(pod_uid, volume_name));
    std::lock_guard lock(mu_);
    resolved_.erase(pod_uid + "/" + volume_name);
    return Ok();
  }

 private:
  Result<std::string> Resolve(const api::k8s::Pod& pod, const api::k8s::Volume& v) {
    const std::string& ns = pod.metadata.namespace_;
    // A generic ephemeral volume's claim is <pod>-<volume>, made for this pod.
    const std::string name =
        v.ephemeral ? pod.metadata.name + "-" + v.name : v.persistent_volume_claim->claim_name;
    const bool claim_read_only = v.persistent_volume_claim && v.persistent_volume_claim->read_only;
    if (!get_) {
      return Fail(Code::kFailedPrecondition,
                  "volume {}: persistentVolumeClaim needs an API server (this kubelet runs static "
                  "pods only)",
                  v.name);
    }
    CAPSTAN_ASSIGN_OR_RETURN(Json claim, get_("PersistentVolumeClaim", ns, name));
    // A claim the scheduler just chose this node for is being provisioned and bound: it is
    // waited for a little (upstream's kubelet waits for the mount in the pod's sync), rather
    // than failing the sync into its 10 s back-off.
    for (auto deadline = std::chrono::steady_clock::now() + wait_for_binding_;
         !Bound(claim) && std::chrono::steady_clock::now() < deadline;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      CAPSTAN_ASSIGN_OR_RETURN(claim, get_("PersistentVolumeClaim", ns, name));
    }
    if (v.ephemeral && !OwnedBy(claim, pod.metadata.uid)) {
      return Fail(Code::kFailedPrecondition,
                  "PVC {}/{} was not created for pod {}/{} (pod is not owner)", ns, name, ns,
                  pod.metadata.name);
    }
    if (!Text(claim, {"metadata", "deletionTimestamp"}).empty()) {
      return Fail(Code::kFailedPrecondition, "persistentvolumeclaim \"{}\" is being deleted", name);
    }
    std::string phase = Text(claim, {"status", "phase"});
    std::string volume_name = Text(claim, {"spec", "volumeName"});
    if (phase != "Bound" || volume_name.empty()) {
      return Fail(Code::kUnavailable,
                  "PVC {}/{} has non-bound phase (\"{}\") or empty pvc.Spec.VolumeName (\"{}\")",
                  ns, name, phase, volume_name);
    }
    CAPSTAN_ASSIGN_OR_RETURN(Json pv, get_("PersistentVolume", "", volume_name));
    std::string claim_uid = Text(claim, {"metadata", "uid"});
    if (Text(pv, {"spec", "claimRef", "uid"}) != claim_uid) {
      return Fail(Code::kFailedPrecondition,
                  "Expected volume \"{}\" to be bound to claim {}/{} (uid {})", volume_name, ns,
                  name, claim_uid);
    }
    const Json& spec = pv.value("spec", Json::object());
    if (spec.contains("hostPath")) {
      api::k8s::Volume host = v;
      host.persistent_volume_claim.reset();
      host.host_path = api::k8s::HostPathVolumeSource{Text(pv, {"spec", "hostPath", "path"}), {}};
      std::string type = Text(pv, {"spec", "hostPath", "type"});
      if (!type.empty()) host.host_path->type = type;
      return host_path_->SetUp(pod, host);
    }
    if (spec.contains("local")) {
      // A local volume is a directory (or disk) that must already be there.
      std::string path = Text(pv, {"spec", "local", "path"});
      struct stat st {};
      if (path.empty() || path[0] != '/' || ::stat(path.c_str(), &st) != 0) {
        return Fail(Code::kFailedPrecondition, "local volume {}: path {:?} does not exist",
                    volume_name, path);
      }
      return path;
    }
    if (spec.contains("csi") && spec["csi"].is_object() && csi_) {
      CsiVolumeSpec c;
      c.driver = Text(pv, {"spec", "csi", "driver"});
      c.volume_handle = Text(pv, {"spec", "csi", "volumeHandle"});
      c.fs_type = Text(pv, {"spec", "csi", "fsType"});
      c.spec_name = volume_name;
      const Json& src = spec["csi"];
      c.read_only = claim_read_only || (src.contains("readOnly") && src["readOnly"].is_boolean() &&
                                        src["readOnly"].get<bool>());
      if (src.contains("volumeAttributes") && src["volumeAttributes"].is_object()) {
        for (const auto& [k, val] : src["volumeAttributes"].items()) {
          if (val.is_string()) c.attributes[k] = val.get<std::string>();
        }
      }
      if (spec.contains("accessModes") && spec["accessModes"].is_array() &&
          !spec["accessModes"].empty() && spec["accessModes"][0].is_string()) {
        c.access_mode = spec["accessModes"][0].get<std::string>();
      }
      if (spec.contains("mountOptions") && spec["mountOptions"].is_array()) {
        for (const auto& o : spec["mountOptions"]) {
          if (o.is_string()) c.mount_options.push_back(o.get<std::string>());
        }
      }
      if (c.driver.empty() || c.volume_handle.empty()) {
        return Fail(Code::kInvalidArgument, "volume {} has a csi source without driver or handle",
                    volume_name);
      }
      return csi_->SetUp(pod, v.name, c);
    }
    std::string source;
    for (const auto& [key, value] : spec.items()) {
      if (key == "csi" || key == "nfs" || key == "iscsi" || key == "rbd" || key == "cephfs" ||
          key == "fc" || key == "flexVolume") {
        source = key;
      }
    }
    return Fail(Code::kUnimplemented,
                "volume {} of claim {}/{} has a {} source, which this kubelet cannot mount yet",
                volume_name, ns, name, source.empty() ? "unknown" : source);
  }

  static bool Bound(const Json& claim) {
    return Text(claim, {"status", "phase"}) == "Bound" &&
           !Text(claim, {"spec", "volumeName"}).empty();
  }

  ApiObjectGetter get_;
  CsiVolumes* csi_;
  std::chrono::milliseconds wait_for_binding_;
  std::mutex mu_;
  std::map<std::string, std::string> resolved_;  // "<pod uid>/<volume>" -> host path
  std::unique_ptr<VolumePlugin> host_path_;
};

}  // namespace

std::unique_ptr<VolumePlugin> NewPersistentClaimPlugin(ApiObjectGetter get, CsiVolumes* csi,
                                                       std::chrono::milliseconds wait_for_binding) {
  return std::make_unique<PersistentClaimPlugin>(std::move(get), csi, wait_for_binding);
}

}  // namespace capstan::kubelet::volumes
