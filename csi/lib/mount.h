#pragma once
// The node-side mounts a CSI driver makes: bind mounts of a volume's directory at the staging
// and target paths the CO names, read-only where asked. All idempotent, as the spec's
// NodeStage/NodePublish and their undo must be.

#include <string>

#include "common/error.h"

namespace capstan::csi {

// Binds `source` at `target` (creating the directory `target`), then remounts it read-only
// when asked. A `target` that is already a mount point is left as it is.
Status BindMount(const std::string& source, const std::string& target, bool read_only);

// Unmounts `target` if mounted; removes the directory too when `remove_dir` (a publish target,
// which the driver made) but not a staging path (which the CO made). Absent is success.
Status Unmount(const std::string& target, bool remove_dir);

}  // namespace capstan::csi
