#include "cni-plugins/bridge/rules.h"

namespace capstan::cni::bridge {

std::string MasqCommands(const std::string& table, const std::vector<IpNet>& addresses,
                         const std::string& comment) {
  std::string cmds = DeleteTableCommand("inet", table);
  cmds += fmt::format("add table inet {} {{ comment \"{}\"; }}\n", table, NftComment(comment));
  cmds += fmt::format(
      "add chain inet {} postrouting {{ type nat hook postrouting priority srcnat; policy accept; "
      "}}\n",
      table);
  for (const auto& a : addresses) {
    const char* fam = a.ip.is_v4() ? "ip" : "ip6";
    const char* mcast = a.ip.is_v4() ? "224.0.0.0/4" : "ff00::/8";
    cmds += fmt::format(
        "add rule inet {} postrouting {} saddr {} {} daddr != {{ {}, {} }} masquerade\n", table,
        fam, a.ip.ToString(), fam, a.Network().ToString(), mcast);
  }
  return cmds;
}

std::string MacSpoofCommands(const std::string& table, const std::string& host_ifname,
                             const std::string& mac, const std::string& comment) {
  std::string cmds = DeleteTableCommand("bridge", table);
  cmds += fmt::format("add table bridge {} {{ comment \"{}\"; }}\n", table, NftComment(comment));
  cmds += fmt::format(
      "add chain bridge {} prerouting {{ type filter hook prerouting priority -300; policy "
      "accept; }}\n",
      table);
  cmds += fmt::format("add rule bridge {} prerouting iifname \"{}\" ether saddr != {} drop\n",
                      table, NftComment(host_ifname), mac);
  return cmds;
}

}  // namespace capstan::cni::bridge
