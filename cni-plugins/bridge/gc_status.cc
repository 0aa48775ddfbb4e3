// bridge STATUS and GC: both go to the IPAM plugin; GC also removes our nftables tables of
// attachments that are no longer valid.
#include "cni-plugins/bridge/bridge.h"
#include "cni-plugins/bridge/config.h"
#include "cni-plugins/bridge/rules.h"
#include "cni-plugins/lib/delegate.h"
#include "cni-plugins/lib/hash.h"
#include "cni-plugins/lib/nft.h"

namespace capstan::cni::bridge {

CniStatus CmdStatus(const CmdArgs& a) {
  CAPSTAN_ASSIGN_OR_RETURN(BridgeConf c, ParseBridgeConf(a));
  if (!c.net.ipam_type.empty()) {
    CAPSTAN_TRY(DelegateCommand(c.net.ipam_type, "STATUS", a));
  }
  return {};
}

CniStatus CmdGc(const CmdArgs& a) {
  CAPSTAN_ASSIGN_OR_RETURN(BridgeConf c, ParseBridgeConf(a));
  CAPSTAN_ASSIGN_OR_RETURN(auto valid, ValidAttachments(a.config));
  std::vector<std::string> errors;
  if (!c.net.ipam_type.empty()) {
    auto st = DelegateCommand(c.net.ipam_type, "GC", a);
    if (!st) {
      errors.push_back(st.error().ToString());
    }
  }
  if (c.ip_masq || c.mac_spoof_check) {
    std::set<std::string> keep;
    for (const auto& [id, ifname] : valid) {
      keep.insert(HashHex(id + ":" + ifname));
    }
    auto nft = Nft::Open();
    if (!nft) {
      errors.push_back(nft.error().message());
    } else {
      std::string cmds;
      for (auto [family, prefix] :
           {std::pair{"inet", kMasqPrefix}, std::pair{"bridge", kMacPrefix}}) {
        if ((prefix == kMasqPrefix && !c.ip_masq) || (prefix == kMacPrefix && !c.mac_spoof_check)) {
          continue;
        }
        std::string net_prefix = NetworkTablePrefix(prefix, c.net.name);
        auto tables = ListTables(*nft, family, net_prefix);
        if (!tables) {
          errors.push_back(tables.error().message());
          continue;
        }
        for (const auto& t : *tables) {
          if (!keep.count(t.substr(net_prefix.size()))) {
            cmds += DeleteTableCommand(family, t);
          }
        }
      }
      if (!cmds.empty()) {
        if (auto st = nft->Run(cmds); !st) {
          errors.push_back(st.error().message());
        }
      }
    }
  }
  if (!errors.empty()) {
    std::string all;
    for (const auto& e : errors) {
      all += (all.empty() ? "" : "; ") + e;
    }
    return CniFail(kInternal, "GC: {}", all);
  }
  return {};
}

PluginFuncs BridgePlugin() {
  PluginFuncs f;
  f.add = CmdAdd;
  f.del = CmdDel;
  f.check = CmdCheck;
  f.status = CmdStatus;
  f.gc = CmdGc;
  return f;
}

}  // namespace capstan::cni::bridge
