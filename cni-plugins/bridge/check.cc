// bridge CHECK: the kernel's state against prevResult (SPEC "CHECK").
#include <linux/if.h>

#include <algorithm>

#include "cni-plugins/bridge/bridge.h"
#include "cni-plugins/bridge/config.h"
#include "cni-plugins/bridge/rules.h"
#include "cni-plugins/lib/delegate.h"
#include "cni-plugins/lib/netlink.h"
#include "cni-plugins/lib/nft.h"

namespace capstan::cni::bridge {

namespace {

CniResult<LinkInfo> Lookup(Netlink& nl, const std::string& name, const std::string& where) {
  auto l = nl.GetLink(name);
  if (!l) {
    return CniFail(kInternal, "{} interface {:?} not found", where, name);
  }
  return *l;
}

}  // namespace

CniStatus CmdCheck(const CmdArgs& a) {
  CAPSTAN_ASSIGN_OR_RETURN(BridgeConf c, ParseBridgeConf(a));
  if (!c.net.prev_result) {
    return CniFail(kInvalidConfig, "required prevResult missing");
  }
  const AddResult& prev = *c.net.prev_result;
  if (!c.net.ipam_type.empty()) {
    CAPSTAN_TRY(DelegateCommand(c.net.ipam_type, "CHECK", a));
  }
  auto ns = NetNs::Open(a.netns);
  if (!ns) {
    return std::unexpected(
        FromError(ns.error(), fmt::format("failed to open netns {:?}", a.netns)));
  }
  auto host = Netlink::Open();
  auto cont = Netlink::OpenIn(*ns);
  if (!host || !cont) {
    return CniFail(kInternal, "netlink unavailable");
  }

  // The interfaces of the result: the bridge, our host veth, the container interface.
  const Interface* cont_if = nullptr;
  const Interface* br_if = nullptr;
  for (const auto& i : prev.interfaces) {
    if (!i.sandbox.empty() && i.name == a.ifname) {
      cont_if = &i;
    } else if (i.sandbox.empty() && i.name == c.bridge) {
      br_if = &i;
    }
  }
  if (cont_if == nullptr) {
    return CniFail(kInternal, "prevResult has no interface {:?} in the sandbox", a.ifname);
  }
  CAPSTAN_ASSIGN_OR_RETURN(LinkInfo br, Lookup(*host, c.bridge, "bridge"));
  if (br.kind != "bridge") {
    return CniFail(kInternal, "interface {} is not a bridge", c.bridge);
  }
  if (br_if != nullptr && !br_if->mac.empty() && br_if->mac != br.mac) {
    return CniFail(kInternal, "bridge {} MAC {} does not match {}", c.bridge, br.mac, br_if->mac);
  }
  if (((br.flags & IFF_PROMISC) != 0) != c.promisc_mode) {
    return CniFail(kInternal, "bridge {} promiscuous mode does not match the config", c.bridge);
  }
  CAPSTAN_ASSIGN_OR_RETURN(LinkInfo cl, Lookup(*cont, a.ifname, "container"));
  if (cl.kind != "veth") {
    return CniFail(kInternal, "container interface {} is not a veth", a.ifname);
  }
  if (!cont_if->mac.empty() && cont_if->mac != cl.mac) {
    return CniFail(kInternal, "container interface {} MAC {} does not match {}", a.ifname, cl.mac,
                   cont_if->mac);
  }
  // Its peer must be one of our host veths, on this bridge.
  bool peer_ok = false;
  for (const auto& i : prev.interfaces) {
    if (!i.sandbox.empty() || i.name == c.bridge) {
      continue;
    }
    auto hl = host->GetLink(i.name);
    if (hl && hl->kind == "veth" && hl->index == cl.link && hl->master == br.index) {
      peer_ok = true;
    }
  }
  if (!peer_ok) {
    return CniFail(kInternal, "the peer of {} is not a port of bridge {}", a.ifname, c.bridge);
  }

  // Every address of the container interface is there.
  auto addrs = cont->ListAddresses(cl.index, AF_UNSPEC);
  if (!addrs) {
    return std::unexpected(FromError(addrs.error(), "listing the container's addresses"));
  }
  for (size_t k = 0; k < prev.ips.size(); ++k) {
    const IpConfig& ipc = prev.ips[k];
    if (ipc.interface && &prev.interfaces[*ipc.interface] != cont_if) {
      continue;
    }
    bool found = std::any_of(addrs->begin(), addrs->end(),
                             [&](const AddrInfo& ai) { return ai.address == ipc.address; });
    if (!found) {
      return CniFail(kInternal, "address {} is missing from {}", ipc.address.ToString(), a.ifname);
    }
  }
  // Routes may have been changed by later plugins; the ones we report must exist.
  for (const auto& rt : prev.routes) {
    auto routes = cont->ListRoutes(rt.dst.ip.family());
    if (!routes) {
      return std::unexpected(FromError(routes.error(), "listing the container's routes"));
    }
    bool found = std::any_of(routes->begin(), routes->end(), [&](const RouteInfo& ri) {
      return ri.dst.Network() == rt.dst.Network() && (!rt.gw || (ri.gw && *ri.gw == *rt.gw));
    });
    if (!found) {
      return CniFail(kInternal, "route to {} is missing in the container", rt.dst.ToString());
    }
  }
  if (c.ip_masq) {
    auto nft = Nft::Open();
    if (!nft) {
      return std::unexpected(FromError(nft.error(), "nftables"));
    }
    std::string table = AttachmentTable(kMasqPrefix, c.net.name, a.container_id, a.ifname);
    auto tables = ListTables(*nft, "inet", table);
    if (!tables || tables->empty()) {
      return CniFail(kInternal, "the masquerade rules of {} are missing", a.container_id);
    }
  }
  return {};
}

}  // namespace capstan::cni::bridge
