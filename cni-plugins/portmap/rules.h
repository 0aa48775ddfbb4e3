#pragma once
// portmap's nftables rules, in a table per attachment (inet capstan_pm_<net>_<attachment>):
//   prerouting/output (dstnat): traffic to a local address (or the mapping's hostIP) and a
//     hostPort is DNATed to the container address and port; output covers connections from
//     the host itself, 127.0.0.1 included;
//   postrouting (srcnat, with snat): connections from 127.0.0.0/8 and hairpin connections
//     (the pod to its own hostPort) are masqueraded so that replies come back through us.
// The builder is pure (unit-tested).

#include <string>

#include "cni-plugins/portmap/config.h"

namespace capstan::cni::portmap {

inline constexpr const char* kTablePrefix = "capstan_pm_";

std::string PortMapCommands(const std::string& table, const PortMapConf& c,
                            const std::string& comment);

}  // namespace capstan::cni::portmap
