#pragma once
// The bridge plugin's config: the reference plugin's keys and defaults (bridge "cni0", all
// flags off), checked up front so a bad config fails before anything is created.

#include <cstdint>
#include <string>

#include "cni-plugins/lib/netconf.h"

namespace capstan::cni::bridge {

struct BridgeConf {
  NetConf net;
  std::string bridge = "cni0";
  bool is_gateway = false;
  bool is_default_gateway = false;  // implies is_gateway
  bool force_address = false;
  bool ip_masq = false;
  uint32_t mtu = 0;  // 0: the kernel's default
  bool hairpin_mode = false;
  bool promisc_mode = false;
  int vlan = 0;  // 0: untagged
  bool preserve_default_vlan = false;
  bool mac_spoof_check = false;
  bool enable_dad = false;
  bool port_isolation = false;
  std::string mac;  // for the container interface: CNI_ARGS MAC, args.cni.mac, runtimeConfig.mac
};

// Codes: 6 for wrong types, 7 for invalid values, 2 for keys capstan does not implement.
CniResult<BridgeConf> ParseBridgeConf(const CmdArgs& a);

}  // namespace capstan::cni::bridge
