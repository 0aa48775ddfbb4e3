#pragma once
// The bridge plugin's nftables rules, one table per attachment so that DEL and GC remove
// exactly one attachment's rules without listing handles:
//   inet  capstan_masq_<net>_<attachment>: ipMasq, masquerading traffic from the pod's
//         addresses to anything outside its subnet (multicast excepted);
//   bridge capstan_mac_<net>_<attachment>: macspoofchk, dropping frames from the pod's port
//         with any source MAC but the pod's.
// The text builders are pure (unit-tested); Apply/Delete run them.

#include <string>
#include <vector>

#include "cni-plugins/lib/ip.h"
#include "cni-plugins/lib/nft.h"

namespace capstan::cni::bridge {

inline constexpr const char* kMasqPrefix = "capstan_masq_";
inline constexpr const char* kMacPrefix = "capstan_mac_";

// Replaces the masquerade table with rules for `addresses` (each with its subnet prefix).
std::string MasqCommands(const std::string& table, const std::vector<IpNet>& addresses,
                         const std::string& comment);
// Replaces the MAC spoof-check table for the host port `host_ifname`.
std::string MacSpoofCommands(const std::string& table, const std::string& host_ifname,
                             const std::string& mac, const std::string& comment);

}  // namespace capstan::cni::bridge
