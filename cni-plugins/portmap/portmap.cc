// portmap: capstan's hostPort plugin (chained after an interface plugin; nftables).
#include "cni-plugins/portmap/portmap.h"

#include <unistd.h>

#include "cni-plugins/lib/hash.h"
#include "cni-plugins/lib/nft.h"
#include "cni-plugins/lib/skel.h"
#include "cni-plugins/lib/sysctl.h"
#include "cni-plugins/portmap/config.h"
#include "cni-plugins/portmap/rules.h"

namespace capstan::cni::portmap {
namespace {

std::string Table(const PortMapConf& c, const CmdArgs& a) {
  return AttachmentTable(kTablePrefix, c.net.name, a.container_id, a.ifname);
}

CniResult<Nft> OpenNft() {
  auto nft = Nft::Open();
  if (!nft) {
    return std::unexpected(FromError(nft.error(), "nftables"));
  }
  return std::move(*nft);
}

CniResult<std::string> CmdAdd(const CmdArgs& a) {
  CAPSTAN_ASSIGN_OR_RETURN(PortMapConf c, ParsePortMapConf(a));
  if (!c.net.prev_result) {
    return CniFail(kInvalidConfig, "portmap must be called as a chained plugin (no prevResult)");
  }
  std::string out = DumpJson(ResultToJson(*c.net.prev_result, c.net.cni_version));
  if (c.mappings.empty() || (!c.container_v4 && !c.container_v6)) {
    return out;
  }
  if (c.snat && c.container_v4) {
    // Connections to 127.0.0.1:hostPort leave DNATed with a loopback source, which the kernel
    // drops as martian on the way out unless the host interface allows it.
    // Only on interfaces that exist: a prevResult naming "all" must not open the whole host.
    for (const auto& ifname : c.host_interfaces) {
      if (ifname != "all" && ifname != "default" &&
          ::access(("/sys/class/net/" + ifname).c_str(), F_OK) == 0) {
        (void)WriteSysctl("net/ipv4/conf/" + ifname + "/route_localnet", "1");
      }
    }
  }
  CAPSTAN_ASSIGN_OR_RETURN(Nft nft, OpenNft());
  std::string comment =
      fmt::format("capstan portmap net={} id={} if={}", c.net.name, a.container_id, a.ifname);
  CNI_TRY_AS(nft.Run(PortMapCommands(Table(c, a), c, comment)), kInternal,
             "failed to set up the port mappings");
  return out;
}

CniStatus CmdDel(const CmdArgs& a) {
  CAPSTAN_ASSIGN_OR_RETURN(PortMapConf c, ParsePortMapConf(a));
  CAPSTAN_ASSIGN_OR_RETURN(Nft nft, OpenNft());
  CNI_TRY_AS(nft.Run(DeleteTableCommand("inet", Table(c, a))), kInternal,
             "failed to remove the port mappings");
  return {};
}

CniStatus CmdCheck(const CmdArgs& a) {
  CAPSTAN_ASSIGN_OR_RETURN(PortMapConf c, ParsePortMapConf(a));
  if (c.mappings.empty() || (!c.container_v4 && !c.container_v6)) {
    return {};
  }
  CAPSTAN_ASSIGN_OR_RETURN(Nft nft, OpenNft());
  auto tables = ListTables(nft, "inet", Table(c, a));
  if (!tables || tables->empty()) {
    return CniFail(kInternal, "the port mappings of {} are missing", a.container_id);
  }
  return {};
}

CniStatus CmdStatus(const CmdArgs& a) {
  auto nft = Nft::Open();
  if (!nft) {
    return CniFail(kNotAvailable, "nftables is not usable: {}", nft.error().message());
  }
  return {};
}

CniStatus CmdGc(const CmdArgs& a) {
  CAPSTAN_ASSIGN_OR_RETURN(PortMapConf c, ParsePortMapConf(a));
  CAPSTAN_ASSIGN_OR_RETURN(auto valid, ValidAttachments(a.config));
  std::set<std::string> keep;
  for (const auto& [id, ifname] : valid) {
    keep.insert(HashHex(id + ":" + ifname));
  }
  CAPSTAN_ASSIGN_OR_RETURN(Nft nft, OpenNft());
  std::string prefix = NetworkTablePrefix(kTablePrefix, c.net.name);
  auto tables = ListTables(nft, "inet", prefix);
  if (!tables) {
    return std::unexpected(FromError(tables.error(), "listing tables"));
  }
  std::string cmds;
  for (const auto& t : *tables) {
    if (!keep.count(t.substr(prefix.size()))) {
      cmds += DeleteTableCommand("inet", t);
    }
  }
  if (!cmds.empty()) {
    CNI_TRY_AS(nft.Run(cmds), kInternal, "GC of port mappings");
  }
  return {};
}

}  // namespace

PluginFuncs PortmapPlugin() {
  PluginFuncs f;
  f.add = CmdAdd;
  f.del = CmdDel;
  f.check = CmdCheck;
  f.status = CmdStatus;
  f.gc = CmdGc;
  return f;
}

}  // namespace capstan::cni::portmap
