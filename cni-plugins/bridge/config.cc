#include "cni-plugins/bridge/config.h"

#include "cni-plugins/lib/args.h"
#include "cni-plugins/lib/netlink.h"
#include "cni-plugins/lib/validate.h"

namespace capstan::cni::bridge {

CniResult<BridgeConf> ParseBridgeConf(const CmdArgs& a) {
  BridgeConf b;
  CAPSTAN_ASSIGN_OR_RETURN(b.net, ParseNetConf(a));
  const Json& c = a.config;
  CAPSTAN_ASSIGN_OR_RETURN(std::string name, OptString(c, "bridge", ""));
  if (!name.empty()) {
    b.bridge = name;
  }
  // "all" and "default" name sysctl directories, not interfaces.
  if (!IsValidIfName(b.bridge) || b.bridge == "all" || b.bridge == "default") {
    return CniFail(kInvalidConfig, "bridge name {:?} is not a valid interface name", b.bridge);
  }
  CAPSTAN_ASSIGN_OR_RETURN(b.is_gateway, OptBool(c, "isGateway", false, ""));
  CAPSTAN_ASSIGN_OR_RETURN(b.is_default_gateway, OptBool(c, "isDefaultGateway", false, ""));
  b.is_gateway = b.is_gateway || b.is_default_gateway;
  CAPSTAN_ASSIGN_OR_RETURN(b.force_address, OptBool(c, "forceAddress", false, ""));
  CAPSTAN_ASSIGN_OR_RETURN(b.ip_masq, OptBool(c, "ipMasq", false, ""));
  CAPSTAN_ASSIGN_OR_RETURN(int64_t mtu, OptInt(c, "mtu", 0, ""));
  if (mtu < 0 || mtu > 65535) {
    return CniFail(kInvalidConfig, "mtu {} is out of range (0-65535)", mtu);
  }
  if (mtu != 0 && mtu < 68) {
    return CniFail(kInvalidConfig, "mtu {} is below the minimum of 68", mtu);
  }
  b.mtu = static_cast<uint32_t>(mtu);
  CAPSTAN_ASSIGN_OR_RETURN(b.hairpin_mode, OptBool(c, "hairpinMode", false, ""));
  CAPSTAN_ASSIGN_OR_RETURN(b.promisc_mode, OptBool(c, "promiscMode", false, ""));
  if (b.hairpin_mode && b.promisc_mode) {
    return CniFail(kInvalidConfig, "cannot set hairpin mode and promiscuous mode at the same time");
  }
  CAPSTAN_ASSIGN_OR_RETURN(int64_t vlan, OptInt(c, "vlan", 0, ""));
  if (vlan < 0 || vlan > 4094) {
    return CniFail(kInvalidConfig, "invalid VLAN ID {} (must be between 0 and 4094)", vlan);
  }
  b.vlan = static_cast<int>(vlan);
  CAPSTAN_ASSIGN_OR_RETURN(b.preserve_default_vlan, OptBool(c, "preserveDefaultVlan", false, ""));
  CAPSTAN_ASSIGN_OR_RETURN(b.mac_spoof_check, OptBool(c, "macspoofchk", false, ""));
  CAPSTAN_ASSIGN_OR_RETURN(b.enable_dad, OptBool(c, "enabledad", false, ""));
  CAPSTAN_ASSIGN_OR_RETURN(b.port_isolation, OptBool(c, "portIsolation", false, ""));

  // Keys of the reference plugin that capstan does not implement: refuse them rather than
  // silently give a different network (SPEC code 2 names the key and value).
  for (const char* key : {"vlanTrunk", "disableContainerInterface"}) {
    if (c.contains(key) && !c[key].is_null() && c[key] != false &&
        !(c[key].is_array() && c[key].empty())) {
      return CniFail(kUnsupportedField, "unsupported field {}: {}", key, DumpJson(c[key]));
    }
  }
  CAPSTAN_ASSIGN_OR_RETURN(std::string backend, OptString(c, "ipMasqBackend", ""));
  if (!backend.empty() && backend != "nftables") {
    return CniFail(kUnsupportedField, "unsupported field ipMasqBackend: {:?} (only nftables)",
                   backend);
  }
  if (b.vlan != 0 && b.is_gateway) {
    return CniFail(kUnsupportedField,
                   "unsupported field vlan: {} together with isGateway (a gateway address on a "
                   "VLAN of the bridge is not implemented)",
                   b.vlan);
  }

  // The container MAC: CNI_ARGS, then args.cni.mac, then runtimeConfig.mac (last wins).
  CAPSTAN_ASSIGN_OR_RETURN(CniArgs env_args, ParseCniArgs(a.args, {"MAC"}));
  if (auto it = env_args.find("MAC"); it != env_args.end()) {
    b.mac = it->second;
  }
  CAPSTAN_ASSIGN_OR_RETURN(Json cni_args, OptObject(b.net.args, "cni", "args"));
  CAPSTAN_ASSIGN_OR_RETURN(std::string args_mac, OptString(cni_args, "mac", "args.cni"));
  if (!args_mac.empty()) {
    b.mac = args_mac;
  }
  CAPSTAN_ASSIGN_OR_RETURN(std::string rc_mac,
                           OptString(b.net.runtime_config, "mac", "runtimeConfig"));
  if (!rc_mac.empty()) {
    b.mac = rc_mac;
  }
  if (!b.mac.empty()) {
    auto bytes = ParseMac(b.mac);
    if (!bytes || ((*bytes)[0] & 1) != 0) {
      return CniFail(kInvalidConfig, "MAC {:?} is not a unicast MAC address", b.mac);
    }
    b.mac = FormatMac(bytes->data(), 6);
  }
  return b;
}

}  // namespace capstan::cni::bridge
