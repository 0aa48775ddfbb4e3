#pragma once
// Capability names and the process identity switch (groups, gid, uid, capability sets) that
// a container's init performs just before exec.

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/error.h"

namespace capstan::cri::oci {

// The set a container gets unless the pod asks otherwise (containerd's and Docker's default).
const std::vector<std::string>& DefaultCapabilities();
// Every capability the running kernel knows, as "CAP_..." names.
std::vector<std::string> AllCapabilities();

// "NET_ADMIN", "net_admin" and "CAP_NET_ADMIN" all normalise to "CAP_NET_ADMIN";
// InvalidArgument for names libcap does not know.
Result<std::string> NormalizeCapability(std::string_view name);

// default + add - drop, with "ALL" on either side as the CRI defines it.
Result<std::vector<std::string>> ComputeCapabilities(const std::vector<std::string>& add,
                                                     const std::vector<std::string>& drop);

struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additional_gids;
  std::vector<std::string> capabilities;  // bounding, permitted, effective
  std::vector<std::string> ambient;
};

// Drops the bounding set, switches groups/gid/uid keeping the wanted capabilities, and raises
// ambient ones. Inheritable is left empty but for ambient caps (CVE-2022-24769).
Status ApplyIdentity(const Identity& id);

}  // namespace capstan::cri::oci
