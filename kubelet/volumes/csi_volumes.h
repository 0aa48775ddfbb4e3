#pragma once
// The kubelet's CSI volume plugin: stage and publish through a registered driver's Node
// service, laid out as upstream lays them out:
//   <root>/plugins/kubernetes.io/csi/<driver>/<sha256(volumeHandle)>/globalmount  (staging)
//   <root>/pods/<uid>/volumes/kubernetes.io~csi/<volume>/mount                    (the pod's)
// with a vol_data.json beside each, so a restarted kubelet can unpublish (and unstage when
// no pod uses the volume any more) without the objects that described it. Serves inline
// `csi` volumes itself, and PersistentVolumes with a `csi` source for the claim plugin.

#include <memory>
#include <string>
#include <vector>

#include "kubelet/volumes/csi_registry.h"
#include "kubelet/volumes/persistent_claim.h"
#include "kubelet/volumes/volume_ownership.h"
#include "kubelet/volumes/volume_plugin.h"

namespace capstan::kubelet::volumes {

struct CsiVolumeSpec {
  std::string driver;
  std::string volume_handle;
  std::string spec_name;  // the directory under kubernetes.io~csi (PV name, or the volume's)
  bool read_only = false;
  std::string fs_type;
  std::map<std::string, std::string> attributes;  // volumeAttributes / PV volumeAttributes
  bool ephemeral = false;                         // an inline volume
  std::string access_mode = "ReadWriteOnce";      // the PV's first access mode
  std::vector<std::string> mount_options;         // the PV's mountOptions
};

class CsiVolumes {
 public:
  CsiVolumes(std::string root_dir, CsiRegistry* registry, ApiObjectGetter get);

  // Stages (when the driver stages) and publishes; returns the pod's path. Idempotent.
  Result<std::string> SetUp(const api::k8s::Pod& pod, const std::string& pod_volume_name,
                            const CsiVolumeSpec& spec);
  // Unpublishes the pod's CSI volume named `pod_volume_name` ("" : all of the pod's), and
  // unstages a volume no other pod has published. Absent is success.
  Status TearDown(const std::string& pod_uid, const std::string& pod_volume_name);

  std::string StagingPath(const std::string& driver, const std::string& handle) const;

 private:
  Status Unstage(const std::string& driver, const std::string& handle);
  bool PublishedElsewhere(const std::string& driver, const std::string& handle) const;

  std::string root_;
  CsiRegistry* registry_;
  ApiObjectGetter get_;
};

// The inline `csi` volume plugin ("kubernetes.io/csi").
std::unique_ptr<VolumePlugin> NewCsiInlinePlugin(CsiVolumes* csi);

}  // namespace capstan::kubelet::volumes
