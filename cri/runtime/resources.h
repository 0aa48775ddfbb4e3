#pragma once
// CRI LinuxContainerResources -> cgroup limits, and device cgroup rules.

#include <optional>
#include <string>

#include "api/cri/runtime/v1/api.pb.h"
#include "cri/oci/cgroups/manager.h"

namespace capstan::cri::runtime {

// `pids_limit` is the runtime-wide default (CRI-O's pids_limit); 0 leaves pids.max alone.
oci::CgroupResources ToCgroupResources(const ::runtime::v1::LinuxContainerResources& r,
                                       int64_t pids_limit);
// "c 1:3 rwm" for a host device node; nullopt when it is not a device.
std::optional<std::string> DeviceRule(const std::string& host_path, const std::string& perms);
// Whether this process may set a negative oom_score_adj (needs CAP_SYS_RESOURCE).
bool CanLowerOomScore();

}  // namespace capstan::cri::runtime
