#include "kubelet/volumes/csi_volumes.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "common/file.h"
#include "common/log.h"
#include "common/mount_table.h"

namespace capstan::kubelet::volumes {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using ::csi::v1::VolumeCapability;

const log::Logger kLog("csi");
constexpr const char* kPluginName = "kubernetes.io/csi";

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

VolumeCapability::AccessMode::Mode CsiMode(const std::string& mode) {
  if (mode == "ReadOnlyMany") return VolumeCapability::AccessMode::MULTI_NODE_READER_ONLY;
  if (mode == "ReadWriteMany") return VolumeCapability::AccessMode::MULTI_NODE_MULTI_WRITER;
  if (mode == "ReadWriteOncePod") return VolumeCapability::AccessMode::SINGLE_NODE_SINGLE_WRITER;
  return VolumeCapability::AccessMode::SINGLE_NODE_WRITER;
}

VolumeCapability Capability(const CsiVolumeSpec& spec) {
  VolumeCapability cap;
  cap.mutable_mount()->set_fs_type(spec.fs_type);
  for (const auto& o : spec.mount_options) cap.mutable_mount()->add_mount_flags(o);
  cap.mutable_access_mode()->set_mode(CsiMode(spec.access_mode));
  return cap;
}

std::string Field(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// What the CSIDriver object says (defaults as the API defaults them when there is none).
struct DriverPolicy {
  bool known = false;  // a CSIDriver object was found
  bool pod_info_on_mount = false;
  std::string fs_group_policy = "ReadWriteOnceWithFSType";
  std::vector<std::string> lifecycle_modes = {"Persistent"};
};

DriverPolicy PolicyOf(const ApiObjectGetter& get, const std::string& driver) {
  DriverPolicy policy;
  if (!get) return policy;
  auto obj = get("CSIDriver", "", driver);
  if (!obj || !obj->is_object()) return policy;
  Json spec = obj->value("spec", Json::object());
  if (spec.contains("podInfoOnMount") && spec["podInfoOnMount"].is_boolean()) {
    policy.pod_info_on_mount = spec["podInfoOnMount"].get<bool>();
  }
  if (std::string p = Field(spec, "fsGroupPolicy"); !p.empty()) policy.fs_group_policy = p;
  if (spec.contains("volumeLifecycleModes") && spec["volumeLifecycleModes"].is_array()) {
    policy.lifecycle_modes.clear();
    for (const auto& m : spec["volumeLifecycleModes"]) {
      if (m.is_string()) policy.lifecycle_modes.push_back(m.get<std::string>());
    }
  }
  policy.known = true;
  return policy;
}

bool AppliesFsGroup(const DriverPolicy& policy, const CsiVolumeSpec& spec) {
  if (policy.fs_group_policy == "File") return true;
  if (policy.fs_group_policy == "None") return false;
  return !spec.fs_type.empty() && spec.access_mode == "ReadWriteOnce";
}

}  // namespace

CsiVolumes::CsiVolumes(std::string root_dir, CsiRegistry* registry, ApiObjectGetter get)
    : root_(std::move(root_dir)), registry_(registry), get_(std::move(get)) {}

std::string CsiVolumes::StagingPath(const std::string& driver, const std::string& handle) const {
  return root_ + "/plugins/kubernetes.io/csi/" + driver + "/" + Sha256Hex(handle) + "/globalmount";
}

Result<std::string> CsiVolumes::SetUp(const api::k8s::Pod& pod, const std::string& pod_volume_name,
                                      const CsiVolumeSpec& spec) {
  auto driver = registry_->Get(spec.driver);
  if (!driver) {
    return Fail(Code::kUnavailable,
                "kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name {} not "
                "found in the list of registered CSI drivers",
                spec.driver);
  }
  // A driver serves inline volumes only when its CSIDriver lists Ephemeral (the default is
  // Persistent alone), as upstream: otherwise any pod could mount whatever a driver reaches
  // through volumeAttributes. Without an API server (static pods) nothing can be asked.
  DriverPolicy policy = PolicyOf(get_, spec.driver);
  std::string mode = spec.ephemeral ? "Ephemeral" : "Persistent";
  if (get_ && std::find(policy.lifecycle_modes.begin(), policy.lifecycle_modes.end(), mode) ==
                  policy.lifecycle_modes.end()) {
    return Fail(Code::kFailedPrecondition,
                "volume mode \"{}\" not supported by driver {} (only supports [\"{}\"])", mode,
                spec.driver, fmt::join(policy.lifecycle_modes, "\" \""));
  }
  std::string dir = PodVolumeDir(root_, pod.metadata.uid, kPluginName, spec.spec_name);
  std::string target = dir + "/mount";
  CAPSTAN_TRY(MkdirAll(dir, 0750));
  // Recorded before the mount, so a kubelet that dies between the two still finds it.
  Json data = {{"driverName", spec.driver},
               {"volumeHandle", spec.volume_handle},
               {"specVolID", spec.spec_name},
               {"podVolumeName", pod_volume_name},
               {"volumeLifecycleMode", spec.ephemeral ? "Ephemeral" : "Persistent"}};
  CsiNodeClient client(driver->endpoint);
  std::string staging;
  if (!spec.ephemeral) {
    CAPSTAN_ASSIGN_OR_RETURN(bool stages, client.SupportsStage());
    if (stages) {
      staging = StagingPath(spec.driver, spec.volume_handle);
      data["stagingPath"] = staging;
    }
  }
  CAPSTAN_TRY(WriteFileAtomic(dir + "/vol_data.json", data.dump()));
  if (!staging.empty()) {
    CAPSTAN_TRY(MkdirAll(staging, 0750));
    CAPSTAN_TRY(WriteFileAtomic(
        fs::path(staging).parent_path() / "vol_data.json",
        Json{{"driverName", spec.driver}, {"volumeHandle", spec.volume_handle}}.dump()));
    ::csi::v1::NodeStageVolumeRequest stage;
    stage.set_volume_id(spec.volume_handle);
    stage.set_staging_target_path(staging);
    *stage.mutable_volume_capability() = Capability(spec);
    for (const auto& [k, v] : spec.attributes) (*stage.mutable_volume_context())[k] = v;
    CAPSTAN_TRY(client.Stage(stage));
  }
  ::csi::v1::NodePublishVolumeRequest publish;
  publish.set_volume_id(spec.volume_handle);
  publish.set_staging_target_path(staging);
  publish.set_target_path(target);
  publish.set_readonly(spec.read_only);
  *publish.mutable_volume_capability() = Capability(spec);
  auto& context = *publish.mutable_volume_context();
  for (const auto& [k, v] : spec.attributes) context[k] = v;
  if (policy.pod_info_on_mount || spec.ephemeral) {
    context["csi.storage.k8s.io/pod.name"] = pod.metadata.name;
    context["csi.storage.k8s.io/pod.namespace"] = pod.metadata.namespace_;
    context["csi.storage.k8s.io/pod.uid"] = pod.metadata.uid;
    context["csi.storage.k8s.io/serviceAccount.name"] = pod.spec.service_account_name;
    context["csi.storage.k8s.io/ephemeral"] = spec.ephemeral ? "true" : "false";
  }
  CAPSTAN_TRY(client.Publish(publish));
  const auto& sc = pod.spec.security_context;
  if (sc && sc->fs_group && !spec.read_only && AppliesFsGroup(policy, spec)) {
    CAPSTAN_TRY(
        SetVolumeOwnership(target, *sc->fs_group, sc->fs_group_change_policy.value_or("Always")));
  }
  return target;
}

Status CsiVolumes::TearDown(const std::string& pod_uid, const std::string& pod_volume_name) {
  std::string base = root_ + "/pods/" + pod_uid + "/volumes/kubernetes.io~csi";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(base, ec)) {
    std::string dir = entry.path().string();
    auto text = ReadFile(dir + "/vol_data.json");
    if (!text) continue;  // not ours to judge: left for the caller's mount check
    Json data = Json::parse(*text, nullptr, false);
    if (!data.is_object()) continue;
    if (!pod_volume_name.empty() && Field(data, "podVolumeName") != pod_volume_name) continue;
    std::string driver = Field(data, "driverName"), handle = Field(data, "volumeHandle");
    std::string target = dir + "/mount";
    if (PathExists(target)) {
      auto info = registry_->Get(driver);
      if (!info) {
        return Fail(Code::kUnavailable,
                    "UnmountVolume.TearDown failed: driver name {} not found in the list of "
                    "registered CSI drivers",
                    driver);
      }
      ::csi::v1::NodeUnpublishVolumeRequest req;
      req.set_volume_id(handle);
      req.set_target_path(target);
      CAPSTAN_TRY(CsiNodeClient(info->endpoint).Unpublish(req));
      if (IsMountPoint(target)) {
        return Fail(Code::kInternal, "driver {} left {} mounted after NodeUnpublishVolume", driver,
                    target);
      }
      ::rmdir(target.c_str());
    }
    CAPSTAN_TRY(RemoveAll(dir + "/vol_data.json"));
    ::rmdir(dir.c_str());
    if (!Field(data, "stagingPath").empty() && !PublishedElsewhere(driver, handle)) {
      CAPSTAN_TRY(Unstage(driver, handle));
    }
  }
  return Ok();
}

bool CsiVolumes::PublishedElsewhere(const std::string& driver, const std::string& handle) const {
  std::error_code ec;
  for (const auto& pod : fs::directory_iterator(root_ + "/pods", ec)) {
    std::error_code ec2;
    for (const auto& vol :
         fs::directory_iterator(pod.path() / "volumes" / "kubernetes.io~csi", ec2)) {
      auto text = ReadFile(vol.path() / "vol_data.json");
      if (!text) continue;
      Json data = Json::parse(*text, nullptr, false);
      if (data.is_object() && Field(data, "driverName") == driver &&
          Field(data, "volumeHandle") == handle) {
        return true;
      }
    }
  }
  return false;
}

Status CsiVolumes::Unstage(const std::string& driver, const std::string& handle) {
  std::string staging = StagingPath(driver, handle);
  if (!PathExists(staging)) return Ok();
  auto info = registry_->Get(driver);
  if (!info) {
    return Fail(Code::kUnavailable,
                "UnmountDevice failed: driver name {} not found in the list of registered CSI "
                "drivers",
                driver);
  }
  ::csi::v1::NodeUnstageVolumeRequest req;
  req.set_volume_id(handle);
  req.set_staging_target_path(staging);
  CAPSTAN_TRY(CsiNodeClient(info->endpoint).Unstage(req));
  if (IsMountPoint(staging)) {
    return Fail(Code::kInternal, "driver {} left {} mounted after NodeUnstageVolume", driver,
                staging);
  }
  ::rmdir(staging.c_str());
  std::string parent = fs::path(staging).parent_path();
  CAPSTAN_TRY(RemoveAll(parent + "/vol_data.json"));
  ::rmdir(parent.c_str());
  return Ok();
}

namespace {

class CsiInlinePlugin : public VolumePlugin {
 public:
  explicit CsiInlinePlugin(CsiVolumes* csi) : csi_(csi) {}
  std::string Name() const override { return kPluginName; }
  bool CanSupport(const api::k8s::Volume& v) const override { return v.csi.has_value(); }
  // Set up once per pod and volume: a pod's later syncs neither publish again nor walk the
  // volume for fsGroup again (upstream mounts once too).
  Result<std::string> SetUp(const api::k8s::Pod& pod, const api::k8s::Volume& v) override {
    std::string key = pod.metadata.uid + "/" + v.name;
    {
      std::lock_guard lock(mu_);
      if (auto it = done_.find(key); it != done_.end()) return it->second;
    }
    CsiVolumeSpec spec;
    spec.driver = v.csi->driver;
    // Upstream's handle for an inline volume: unique per pod and volume.
    spec.volume_handle = "csi-" + Sha256Hex(pod.metadata.uid + v.name);
    spec.spec_name = v.name;
    spec.read_only = v.csi->read_only.value_or(false);
    spec.fs_type = v.csi->fs_type.value_or("");
    spec.attributes = v.csi->volume_attributes;
    spec.ephemeral = true;
    auto path = csi_->SetUp(pod, v.name, spec);
    if (path) {
      std::lock_guard lock(mu_);
      done_[key] = *path;
    }
    return path;
  }
  Status TearDown(const std::string& pod_uid, const std::string& volume_name) override {
    CAPSTAN_TRY(csi_->TearDown(pod_uid, volume_name));
    std::lock_guard lock(mu_);
    done_.erase(pod_uid + "/" + volume_name);
    return Ok();
  }

 private:
  CsiVolumes* csi_;
  std::mutex mu_;
  std::map<std::string, std::string> done_;  // "<pod uid>/<volume>" -> its path
};

}  // namespace

std::unique_ptr<VolumePlugin> NewCsiInlinePlugin(CsiVolumes* csi) {
  return std::make_unique<CsiInlinePlugin>(csi);
}

}  // namespace capstan::kubelet::volumes
