#pragma once
// Builds a container's filesystem view inside its new mount namespace: the spec's mounts
// (standard ones included), device nodes, pivot_root, then masked and read-only paths.
// Runs in the container's init, single-threaded, as root.

#include "common/error.h"
#include "cri/oci/spec.h"

namespace capstan::cri::oci {

// Precondition: the caller is in a fresh mount namespace. On success the process's root is
// the container rootfs and its cwd is "/".
Status PrepareRootfs(const ContainerSpec& spec);

// Mount flags and data from option strings ("ro", "nosuid", "mode=755", ...).
struct MountOptions {
  unsigned long flags = 0;        // MS_RDONLY, MS_NOSUID, ... (not MS_BIND/MS_REC)
  unsigned long propagation = 0;  // MS_PRIVATE | MS_REC, ... (0: unchanged)
  bool bind = false;
  bool recursive = false;
  std::string data;  // comma-joined options the kernel parses per filesystem
};
MountOptions ParseMountOptions(const std::vector<std::string>& options);

}  // namespace capstan::cri::oci
