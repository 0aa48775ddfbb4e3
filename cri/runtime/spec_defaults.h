#pragma once
// Defaults every container gets unless its request says otherwise (as containerd sets them).

#include <string>
#include <vector>

#include "cri/oci/spec.h"

namespace capstan::cri::runtime {

const std::vector<std::string>& DefaultMaskedPaths();
const std::vector<std::string>& DefaultReadonlyPaths();
// /proc, /dev (+pts, mqueue), /sys; a privileged container gets the host's /dev and a
// writable /sys.
std::vector<oci::MountSpec> StandardMounts(bool privileged);
// Device cgroup rules (v1) for an unprivileged container: the nodes it gets in /dev.
const std::vector<std::string>& DefaultDeviceRules();

}  // namespace capstan::cri::runtime
