#pragma once
// The bridge plugin's commands. ADD creates (or reuses) a Linux bridge on the host and a veth
// pair whose peer is created directly inside the container's namespace, delegates addresses
// to the IPAM plugin, and configures both ends; DEL detaches and releases; CHECK compares the
// kernel's state with prevResult; STATUS and GC go to IPAM and to our nftables tables.

#include <string>

#include "cni-plugins/lib/skel.h"

namespace capstan::cni::bridge {

CniResult<std::string> CmdAdd(const CmdArgs& a);
CniStatus CmdDel(const CmdArgs& a);
CniStatus CmdCheck(const CmdArgs& a);
CniStatus CmdStatus(const CmdArgs& a);
CniStatus CmdGc(const CmdArgs& a);

PluginFuncs BridgePlugin();

}  // namespace capstan::cni::bridge
