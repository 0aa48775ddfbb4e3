// loopback: brings the container's "lo" up (ADD) and down (DEL), as the reference plugin does.
#include "cni-plugins/loopback/loopback.h"

#include <linux/if.h>

#include "cni-plugins/lib/netconf.h"
#include "cni-plugins/lib/netlink.h"
#include "cni-plugins/lib/skel.h"

namespace capstan::cni::loopback {
namespace {

CniResult<Netlink> OpenContainer(const std::string& path, bool missing_ok) {
  auto ns = NetNs::Open(path);
  if (!ns) {
    if (missing_ok && ns.error().code() == Code::kNotFound) {
      return CniFail(kUnknownContainer, "netns {} is gone", path);
    }
    return std::unexpected(FromError(ns.error(), fmt::format("failed to open netns {:?}", path)));
  }
  if (IsCurrentNetNs(*ns)) {
    return CniFail(kInvalidEnvironment, "CNI_NETNS {} is the plugin's own (host) namespace", path);
  }
  auto nl = Netlink::OpenIn(*ns);
  if (!nl) {
    return std::unexpected(FromError(nl.error(), "netlink in the container namespace"));
  }
  return std::move(*nl);
}

CniResult<std::string> CmdAdd(const CmdArgs& a) {
  CAPSTAN_ASSIGN_OR_RETURN(NetConf n, ParseNetConf(a));
  CAPSTAN_ASSIGN_OR_RETURN(Netlink nl, OpenContainer(a.netns, false));
  auto lo = nl.GetLink("lo");
  if (!lo) {
    return std::unexpected(FromError(lo.error(), "looking up lo"));
  }
  CNI_TRY_AS(nl.SetFlags(lo->index, IFF_UP, IFF_UP), kInternal, "failed to set lo up");
  if (n.prev_result) {
    return DumpJson(ResultToJson(*n.prev_result, n.cni_version));
  }
  AddResult r;
  r.interfaces.push_back(Interface{"lo", "00:00:00:00:00:00", 0, a.netns});
  auto addrs = nl.ListAddresses(lo->index, AF_UNSPEC);
  if (addrs) {
    for (const auto& ad : *addrs) {
      r.ips.push_back(IpConfig{ad.address, std::nullopt, 0});
    }
  }
  return DumpJson(ResultToJson(r, n.cni_version));
}

CniStatus CmdDel(const CmdArgs& a) {
  CAPSTAN_ASSIGN_OR_RETURN(NetConf n, ParseNetConf(a));
  if (a.netns.empty()) {
    return {};
  }
  auto nl = OpenContainer(a.netns, true);
  if (!nl) {
    // A namespace that is gone has no loopback to take down.
    return nl.error().code == kUnknownContainer ? CniStatus() : std::unexpected(nl.error());
  }
  auto lo = nl->GetLink("lo");
  if (!lo) {
    return {};
  }
  CNI_TRY_AS(nl->SetFlags(lo->index, 0, IFF_UP), kInternal, "failed to set lo down");
  return {};
}

CniStatus CmdCheck(const CmdArgs& a) {
  CAPSTAN_ASSIGN_OR_RETURN(NetConf n, ParseNetConf(a));
  CAPSTAN_ASSIGN_OR_RETURN(Netlink nl, OpenContainer(a.netns, false));
  auto lo = nl.GetLink("lo");
  if (!lo || !(lo->flags & IFF_UP)) {
    return CniFail(kInternal, "loopback interface is down");
  }
  return {};
}

}  // namespace

PluginFuncs LoopbackPlugin() {
  PluginFuncs f;
  f.add = CmdAdd;
  f.del = CmdDel;
  f.check = CmdCheck;
  return f;
}

}  // namespace capstan::cni::loopback
