#pragma once
// A Pod as CRI configs: the sandbox config (generatePodSandboxConfig upstream) and each
// container's config (generateContainerConfig), with resources as CRI Linux resources.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "api/cri/runtime_service.h"
#include "api/k8s/pod.h"
#include "kubelet/kuberuntime/dns.h"
#include "kubelet/kuberuntime/node_context.h"

namespace capstan::kubelet::kuberuntime {

// /var/log/pods/<namespace>_<name>_<uid>
std::string PodLogDirectory(const NodeContext& node, const api::k8s::Pod& pod);
// "<container>/<restartCount>.log", relative to the pod's log directory.
std::string ContainerLogPath(const std::string& container, int32_t restart_count);
// spec.hostname, else the pod name, cut to 63 characters (a DNS label).
std::string PodHostname(const api::k8s::Pod& pod);

Result<api::cri::v1::PodSandboxConfig> GenerateSandboxConfig(const api::k8s::Pod& pod,
                                                             uint32_t attempt,
                                                             const NodeContext& node,
                                                             const ResolvConf& host_dns);

// CPU shares from the request (or the limit when only that is set), quota over the 100 ms
// period from the limit, the memory limit, and the OOM score adjustment of the pod's class.
api::cri::v1::LinuxContainerResources ContainerResources(const api::k8s::Pod& pod,
                                                         const api::k8s::Container& c,
                                                         const NodeContext& node);

struct ContainerInputs {
  std::string image_ref;  // what the image puller resolved
  int32_t restart_count = 0;
  bool init = false;
  std::vector<std::string> pod_ips;
  std::map<std::string, std::string> volume_paths;  // volume name -> host path
  // volumeMount index -> the host path prepared for its subPath (volumes/subpath.h). A
  // subPath is never joined onto the volume's path here: a symlink in the volume could
  // point that anywhere.
  std::map<int, std::string> sub_path_hosts;
  // Host file bind-mounted at terminationMessagePath ("" for none).
  std::string termination_message_file;
};

Result<api::cri::v1::ContainerConfig> GenerateContainerConfig(const api::k8s::Pod& pod,
                                                              const api::k8s::Container& c,
                                                              const NodeContext& node,
                                                              const ContainerInputs& in);

}  // namespace capstan::kubelet::kuberuntime
