#pragma once
// Seccomp filters: the RuntimeDefault profile (an allow-list in the spirit of Docker's and
// containerd's default), and Localhost profiles in the OCI seccomp JSON format.

#include <string>
#include <vector>

#include "common/error.h"

namespace capstan::cri::oci {

// Loads the RuntimeDefault filter into the calling thread. `capabilities` widens it as the
// default profiles do (CAP_SYS_ADMIN allows mount, unshare, ...).
Status LoadDefaultSeccomp(const std::vector<std::string>& capabilities);

// Loads an OCI-format profile (defaultAction, architectures, syscalls[names, action, errnoRet,
// args]). Invalid JSON or unknown actions are InvalidArgument before anything is loaded.
Status LoadSeccompProfile(const std::string& json_text);

// Checks a profile without loading it (capstan-cri does this at create time so errors surface
// on CreateContainer, not in the container's init).
Status ValidateSeccompProfile(const std::string& json_text);

}  // namespace capstan::cri::oci
