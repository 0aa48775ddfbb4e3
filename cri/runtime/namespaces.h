#pragma once
// Pod namespaces without a pause process: a short-lived child unshares the network, IPC and
// UTS namespaces, sets them up (hostname, loopback up, sysctls) and bind-mounts them onto
// files under the sandbox's state directory, which keep them alive (CRI-O's pinns does the
// same). Containers join them by path; UnpinNamespace releases one.

#include <map>
#include <string>

#include "common/error.h"

namespace capstan::cri::runtime {

struct PinRequest {
  std::string dir;  // where to create the net/ipc/uts files
  bool net = false;
  bool ipc = false;
  bool uts = false;
  std::string hostname;                        // set in the new UTS namespace
  std::map<std::string, std::string> sysctls;  // written inside the new namespaces
};

struct PinnedNamespaces {
  std::string net, ipc, uts;  // empty where the host's namespace is used
};

Result<PinnedNamespaces> PinNamespaces(const PinRequest& req);
// Unmounts and removes a pinned namespace file; missing is success.
Status UnpinNamespace(const std::string& path);

// Sysctls a pod may set: those the kernel namespaces (net.* with a pod network namespace;
// kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.* with a pod IPC namespace), as runc
// validates them. InvalidArgument names the offending sysctl.
Status ValidateSysctls(const std::map<std::string, std::string>& sysctls, bool own_net,
                       bool own_ipc);

}  // namespace capstan::cri::runtime
