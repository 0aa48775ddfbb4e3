// persistentVolumeClaim: the claim is resolved to its bound PersistentVolume through the API,
// and the volume's own source is set up. hostPath and local volumes are the host's
// directories; other sources (csi, nfs) are refused with a clear message until their plugins
// land.
#include <sys/stat.h>

#include <map>
#include <mutex>

#include "kubelet/volumes/persistent_claim.h"

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

class PersistentClaimPlugin : public VolumePlugin {
 public:
  explicit PersistentClaimPlugin(ApiObjectGetter get)
      : get_(std::move(get)), host_path_(NewHostPathPlugin()) {}
  std::string Name() const override { return "kubernetes.io/persistent-claim"; }
  bool CanSupport(const api::k8s::Volume& v) const override {
    return v.persistent_volume_claim.has_value();
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

  // Nothing of the host's directories is the kubelet's to remove.
  Status TearDown(const std::string& pod_uid, const std::string& volume_name) override {
    std::lock_guard lock(mu_);
    resolved_.erase(pod_uid + "/" + volume_name);
    return Ok();
  }

 private:
  Result<std::string> Resolve(const api::k8s::Pod& pod, const api::k8s::Volume& v) {
    const std::string& ns = pod.metadata.namespace_;
    const std::string& name = v.persistent_volume_claim->claim_name;
    if (!get_) {
      return Fail(Code::kFailedPrecondition,
                  "volume {}: persistentVolumeClaim needs an API server (this kubelet runs static "
                  "pods only)",
                  v.name);
    }
    CAPSTAN_ASSIGN_OR_RETURN(Json claim, get_("PersistentVolumeClaim", ns, name));
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

  ApiObjectGetter get_;
  std::mutex mu_;
  std::map<std::string, std::string> resolved_;  // "<pod uid>/<volume>" -> host path
  std::unique_ptr<VolumePlugin> host_path_;
};

}  // namespace

std::unique_ptr<VolumePlugin> NewPersistentClaimPlugin(ApiObjectGetter get) {
  return std::make_unique<PersistentClaimPlugin>(std::move(get));
}

}  // namespace capstan::kubelet::volumes
