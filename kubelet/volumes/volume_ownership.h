#pragma once
// fsGroup: a volume's files given the pod's supplemental group.

#include <cstdint>
#include <string>

#include "common/error.h"

namespace capstan::kubelet::volumes {

// fsGroup on a volume's files, as upstream's SetVolumeOwnership: group `gid`, group rw (and x
// where the owner has it), setgid directories. "OnRootMismatch" skips the walk when the
// root already has them. Symlinks are not followed.
Status SetVolumeOwnership(const std::string& dir, int64_t gid, const std::string& change_policy);

}  // namespace capstan::kubelet::volumes
