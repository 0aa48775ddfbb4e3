#include "cni-plugins/portmap/rules.h"

#include "cni-plugins/lib/nft.h"

namespace capstan::cni::portmap {

std::string PortMapCommands(const std::string& table, const PortMapConf& c,
                            const std::string& comment) {
  std::string t = "inet " + table;
  std::string cmds = DeleteTableCommand("inet", table);
  cmds += fmt::format("add table {} {{ comment \"{}\"; }}\n", t, NftComment(comment));
  cmds += fmt::format("add chain {} hostports\n", t);
  cmds += fmt::format(
      "add chain {} prerouting {{ type nat hook prerouting priority -100; policy accept; }}\n", t);
  cmds += fmt::format(
      "add chain {} output {{ type nat hook output priority -100; policy accept; }}\n", t);
  cmds += fmt::format("add rule {} prerouting fib daddr type local jump hostports\n", t);
  cmds += fmt::format("add rule {} output fib daddr type local jump hostports\n", t);
  if (c.snat) {
    cmds += fmt::format(
        "add chain {} postrouting {{ type nat hook postrouting priority srcnat; policy accept; "
        "}}\n",
        t);
  }
  for (const auto& m : c.mappings) {
    for (const auto* cip : {&c.container_v4, &c.container_v6}) {
      if (!*cip) {
        continue;
      }
      bool v4 = (*cip)->is_v4();
      int fam = v4 ? AF_INET : AF_INET6;
      if ((m.family != 0 && m.family != fam) || (m.host_ip && m.host_ip->family() != fam)) {
        continue;
      }
      const char* ipk = v4 ? "ip" : "ip6";
      std::string dst = v4 ? (*cip)->ToString() : "[" + (*cip)->ToString() + "]";
      std::string match = fmt::format("meta nfproto {}", v4 ? "ipv4" : "ipv6");
      if (m.host_ip) {
        match += fmt::format(" {} daddr {}", ipk, m.host_ip->ToString());
      }
      cmds += fmt::format("add rule {} hostports {} {} dport {} dnat {} to {}:{}\n", t, match,
                          m.protocol, m.host_port, ipk, dst, m.container_port);
      if (c.snat) {
        if (v4) {
          cmds += fmt::format(
              "add rule {} postrouting ip saddr 127.0.0.0/8 ip daddr {} {} dport {} masquerade\n",
              t, (*cip)->ToString(), m.protocol, m.container_port);
        }
        cmds += fmt::format(
            "add rule {} postrouting {} saddr {} {} daddr {} {} dport {} masquerade\n", t, ipk,
            (*cip)->ToString(), ipk, (*cip)->ToString(), m.protocol, m.container_port);
      }
    }
  }
  return cmds;
}

}  // namespace capstan::cni::portmap
