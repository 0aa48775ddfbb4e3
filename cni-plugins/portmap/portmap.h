#pragma once
// portmap: hostPorts (runtimeConfig.portMappings) for a pod whose addresses come from
// prevResult, as nftables DNAT/masquerade rules in a table per attachment (rules.h).

#include "cni-plugins/lib/skel.h"

namespace capstan::cni::portmap {

PluginFuncs PortmapPlugin();

}  // namespace capstan::cni::portmap
