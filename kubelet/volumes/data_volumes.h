#pragma once
// The volumes whose files come from the API: configMap, secret, downwardAPI and projected
// (which mixes those with a bound service-account token). Each SetUp builds the payload and
// hands it to an AtomicWriter; Remount does the same for a volume already set up, so a
// changed ConfigMap reaches running pods (subPath mounts excepted, as upstream).
// secret and projected volumes live on tmpfs, so their data never reaches the node's disk.

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "api/k8s/pod.h"
#include "kubelet/volumes/atomic_writer.h"
#include "kubelet/volumes/volume_plugin.h"

namespace capstan::kubelet::volumes {

struct DataSources {
  // The data of a ConfigMap ("ConfigMap", data and binaryData) or Secret ("Secret", decoded);
  // NotFound when it does not exist. Null: no API server (static pods), volumes refused.
  std::function<Result<std::map<std::string, std::string>>(
      const std::string& kind, const std::string& ns, const std::string& name)>
      object_data;
  // A bound token of the pod's service account (TokenRequest), cached and refreshed by the
  // caller. Null: no API server.
  std::function<Result<std::string>(const api::k8s::Pod& pod,
                                    const api::k8s::ServiceAccountTokenProjection& projection)>
      service_account_token;
  // Resource limits a container leaves unset read as the node's allocatable.
  api::k8s::ResourceList node_allocatable;
};

// The payloads, pure functions of the pod, the volume source and what `sources` return.
Result<Payload> ConfigMapPayload(const api::k8s::Pod& pod, const api::k8s::ConfigMapVolumeSource& s,
                                 int32_t default_mode, const DataSources& sources);
Result<Payload> SecretPayload(const api::k8s::Pod& pod, const api::k8s::SecretVolumeSource& s,
                              int32_t default_mode, const DataSources& sources);
Result<Payload> DownwardApiPayload(const api::k8s::Pod& pod,
                                   const api::k8s::DownwardAPIVolumeSource& s, int32_t default_mode,
                                   const DataSources& sources);
Result<Payload> ProjectedPayload(const api::k8s::Pod& pod, const api::k8s::ProjectedVolumeSource& s,
                                 const DataSources& sources);

// metadata.labels and metadata.annotations as a downwardAPI file: `key="value"` lines,
// sorted, values quoted as Go's strconv.Quote does.
std::string FormatMap(const api::k8s::StringMap& m);

std::unique_ptr<VolumePlugin> NewConfigMapPlugin(std::string root_dir, Mounter* mounter,
                                                 const DataSources* sources);
std::unique_ptr<VolumePlugin> NewSecretPlugin(std::string root_dir, Mounter* mounter,
                                              const DataSources* sources);
std::unique_ptr<VolumePlugin> NewDownwardApiPlugin(std::string root_dir, Mounter* mounter,
                                                   const DataSources* sources);
std::unique_ptr<VolumePlugin> NewProjectedPlugin(std::string root_dir, Mounter* mounter,
                                                 const DataSources* sources);

}  // namespace capstan::kubelet::volumes
