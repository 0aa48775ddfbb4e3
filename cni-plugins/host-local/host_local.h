#pragma once
// host-local IPAM commands (reference-compatible on disk; see store.h).

#include <string>

#include "cni-plugins/lib/result.h"
#include "cni-plugins/lib/skel.h"

namespace capstan::cni::host_local {

CniResult<std::string> CmdAdd(const CmdArgs& a);
CniStatus CmdDel(const CmdArgs& a);
CniStatus CmdCheck(const CmdArgs& a);
// Error 50 when a range set has no free address left.
CniStatus CmdStatus(const CmdArgs& a);
// Releases every allocation not in cni.dev/valid-attachments.
CniStatus CmdGc(const CmdArgs& a);

PluginFuncs HostLocalPlugin();

// nameserver/domain/search/options lines of a resolv.conf.
Dns ParseResolvConf(std::string_view text);

}  // namespace capstan::cni::host_local
