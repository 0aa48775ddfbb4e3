// bridge ADD: bridge, veth pair, IPAM, addresses and routes, gateway, masquerade.
#include <linux/if.h>
#include <sys/random.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cni-plugins/bridge/bridge.h"
#include "cni-plugins/bridge/config.h"
#include "cni-plugins/bridge/gateways.h"
#include "cni-plugins/bridge/rules.h"
#include "cni-plugins/lib/delegate.h"
#include "cni-plugins/lib/netlink.h"
#include "cni-plugins/lib/nft.h"
#include "cni-plugins/lib/sysctl.h"
#include "common/file.h"
#include "common/scope_exit.h"

namespace capstan::cni::bridge {

namespace {

std::string RandomHex8() {
  uint32_t v = 0;
  if (::getrandom(&v, sizeof(v), 0) != sizeof(v)) {
    v = static_cast<uint32_t>(::getpid()) * 2654435761u;
  }
  return fmt::format("{:08x}", v);
}

CniResult<LinkInfo> EnsureBridge(Netlink& host, const BridgeConf& c) {
  auto br = host.GetLink(c.bridge);
  bool created = false;
  if (!br && br.error().code() == Code::kNotFound) {
    auto st = host.CreateBridge(c.bridge, c.mtu, c.promisc_mode, c.vlan != 0);
    if (!st && st.error().code() != Code::kAlreadyExists) {
      return std::unexpected(
          FromError(st.error(), fmt::format("failed to create bridge {:?}", c.bridge)));
    }
    created = st.has_value();
    br = host.GetLink(c.bridge);
  }
  if (!br) {
    return std::unexpected(
        FromError(br.error(), fmt::format("could not look up bridge {:?}", c.bridge)));
  }
  if (br->kind != "bridge") {
    return CniFail(kInternal, "{:?} already exists but is not a bridge", c.bridge);
  }
  unsigned want = IFF_UP | (c.promisc_mode ? IFF_PROMISC : 0);
  if ((br->flags & want) != want) {
    CNI_TRY_AS(host.SetFlags(br->index, want, want), kInternal, "could not set bridge {} up",
               c.bridge);
    br->flags |= want;
  }
  if (c.vlan != 0 && !created) {
    // An existing bridge may predate VLAN use.
    (void)WriteFile("/sys/class/net/" + c.bridge + "/bridge/vlan_filtering", "1");
  }
  if (created) {
    // We own this bridge's routes: no router advertisements (fails harmlessly without IPv6).
    (void)WriteSysctl("net/ipv6/conf/" + c.bridge + "/accept_ra", "0");
  }
  return *br;
}

// Adds the gateway address to the bridge. An address already there is fine; one of the same
// family that conflicts (any other IPv4 address, an overlapping IPv6 one) is replaced with
// forceAddress and an error otherwise, as the reference plugin does.
CniStatus EnsureGatewayAddress(Netlink& host, const LinkInfo& br, const IpNet& gw, bool force) {
  auto added = host.AddAddress(br.index, gw, /*nodad=*/true);
  if (!added) {
    if (added.error().code() == Code::kAlreadyExists) {
      return {};
    }
    return std::unexpected(FromError(
        added.error(), fmt::format("could not add IP address {} to {:?}", gw.ToString(), br.name)));
  }
  // Newly added (once per bridge and family, normally): look for conflicts.
  auto addrs = host.ListAddresses(br.index, gw.ip.family());
  if (!addrs) {
    return std::unexpected(FromError(addrs.error(), "could not list the bridge's addresses"));
  }
  for (const auto& a : *addrs) {
    if (a.address == gw) {
      continue;
    }
    bool v4 = gw.ip.is_v4();
    bool link_local =
        !v4 && a.address.ip.data()[0] == 0xfe && (a.address.ip.data()[1] & 0xc0) == 0x80;
    if (link_local) {
      continue;
    }
    if (v4 || a.address.Overlaps(gw)) {
      if (!force) {
        (void)host.DeleteAddress(br.index, gw);
        return CniFail(kInternal, "{:?} already has an IP address different from {}", br.name,
                       gw.ToString());
      }
      CNI_TRY_AS(host.DeleteAddress(br.index, a.address), kInternal,
                 "could not remove IP address {} from {:?}", a.address.ToString(), br.name);
    }
  }
  return {};
}

CniStatus EnableForwarding(int family) {
  const char* key = family == AF_INET ? "net/ipv4/ip_forward" : "net/ipv6/conf/all/forwarding";
  auto cur = ReadSysctl(key);
  if (cur && *cur == "1") {
    return {};
  }
  CNI_TRY_AS(WriteSysctl(key, "1"), kInternal, "failed to enable forwarding");
  return {};
}

// Addresses and routes; the interface is already up (routes via a gateway need that).
CniStatus ConfigureContainer(Netlink& cont, int index, const AddResult& r, bool nodad) {
  for (const auto& ipc : r.ips) {
    auto st = cont.AddAddress(index, ipc.address, nodad);
    if (!st && st.error().code() != Code::kAlreadyExists) {
      return std::unexpected(
          FromError(st.error(), "failed to add an IP address to the container interface"));
    }
  }
  for (const auto& rt : r.routes) {
    RouteSpec spec{rt.dst, rt.gw, index, rt.mtu, rt.advmss, rt.priority, rt.table, rt.scope};
    if (!spec.gw) {
      spec.gw = DefaultGatewayFor(r, rt.dst.ip.family());
    }
    auto st = cont.AddRoute(spec);
    if (!st && st.error().code() != Code::kAlreadyExists) {
      return std::unexpected(FromError(st.error(), "failed to add a route in the container"));
    }
  }
  return {};
}

// The bridge forwards through a port once its carrier is up; the kernel reports that
// asynchronously (linkwatch), normally within microseconds for a veth.
void WaitPortUp(Netlink& host, int index) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (std::chrono::steady_clock::now() < deadline) {
    auto l = host.GetLinkByIndex(index);
    if (!l || l->operstate == IF_OPER_UP) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  std::fprintf(stderr, "bridge: port #%d is not up after 1s; continuing\n", index);
}

}  // namespace

CniResult<std::string> CmdAdd(const CmdArgs& a) {
  CAPSTAN_ASSIGN_OR_RETURN(BridgeConf c, ParseBridgeConf(a));
  auto ns = NetNs::Open(a.netns);
  if (!ns) {
    return std::unexpected(
        FromError(ns.error(), fmt::format("failed to open netns {:?}", a.netns)));
  }
  if (IsCurrentNetNs(*ns)) {
    return CniFail(kInvalidEnvironment, "CNI_NETNS {} is the plugin's own (host) namespace",
                   a.netns);
  }
  auto host = Netlink::Open();
  if (!host) {
    return std::unexpected(FromError(host.error(), "netlink"));
  }
  auto cont = Netlink::OpenIn(*ns);
  if (!cont) {
    return std::unexpected(FromError(cont.error(), "netlink in the container namespace"));
  }
  if (cont->GetLink(a.ifname)) {
    return CniFail(kInternal, "container already has an interface named {:?}", a.ifname);
  }
  CAPSTAN_ASSIGN_OR_RETURN(LinkInfo br, EnsureBridge(*host, c));

  // The pair, created in one request with its peer already in the container.
  std::string host_name;
  for (int attempt = 0;; ++attempt) {
    host_name = "veth" + RandomHex8();
    VethSpec spec{host_name, br.index, c.mtu, a.ifname, ns->fd(), c.mac};
    auto st = host->CreateVeth(spec);
    if (st) {
      break;
    }
    if (st.error().code() != Code::kAlreadyExists || attempt == 4) {
      return std::unexpected(FromError(st.error(), "failed to create the veth pair"));
    }
  }
  auto cont_link = cont->GetLink(a.ifname);
  if (!cont_link) {
    return std::unexpected(FromError(cont_link.error(), "the container end of the veth pair"));
  }
  ScopeExit remove_veth([&] { (void)cont->DeleteLink(cont_link->index); });
  // Up at once: the host end's carrier, and so the bridge port, follow asynchronously
  // (linkwatch), and that happens while IPAM runs instead of after it.
  CNI_TRY_AS(cont->SetFlags(cont_link->index, IFF_UP, IFF_UP), kInternal, "failed to set {} up",
             a.ifname);
  auto host_link = host->GetLink(host_name);
  if (!host_link) {
    return std::unexpected(FromError(host_link.error(), "the host end of the veth pair"));
  }
  if (c.hairpin_mode || c.port_isolation) {
    CNI_TRY_AS(host->SetBridgePortFlags(host_link->index, c.hairpin_mode, c.port_isolation),
               kInternal, "failed to set hairpin mode/isolation on {}", host_name);
  }
  if (c.vlan != 0) {
    if (!c.preserve_default_vlan) {
      auto st = host->BridgeVlanDel(host_link->index, 1);
      if (!st && st.error().code() != Code::kNotFound) {
        return std::unexpected(FromError(st.error(), "failed to remove the default VLAN"));
      }
    }
    CNI_TRY_AS(host->BridgeVlanAdd(host_link->index, static_cast<uint16_t>(c.vlan), true, true),
               kInternal, "failed to set up VLAN {} on {}", c.vlan, host_name);
  }

  AddResult result;
  result.interfaces = {
      Interface{br.name, br.mac},
      Interface{host_name, host_link->mac},
      Interface{a.ifname, cont_link->mac, cont_link->mtu, a.netns},
  };
  bool ipam_done = false;
  ScopeExit release_ips([&] {
    if (ipam_done) {
      (void)DelegateCommand(c.net.ipam_type, "DEL", a);
    }
  });
  if (!c.net.ipam_type.empty()) {
    CAPSTAN_ASSIGN_OR_RETURN(AddResult ipam, DelegateAdd(c.net.ipam_type, a));
    ipam_done = true;
    if (ipam.ips.empty()) {
      return CniFail(kInternal, "IPAM plugin returned missing IP config");
    }
    result.ips = std::move(ipam.ips);
    result.routes = std::move(ipam.routes);
    result.dns = std::move(ipam.dns);
    Gateways gws = CalcGateways(result, c, 2);
    {
      // Sysctls under /proc/sys/net follow the opener's namespace.
      auto guard = NetNsGuard::Enter(*ns);
      if (!guard) {
        return std::unexpected(FromError(guard.error(), "entering the container namespace"));
      }
      (void)WriteSysctl("net/ipv4/conf/" + a.ifname + "/arp_notify", "1");
    }
    CAPSTAN_TRY(ConfigureContainer(*cont, cont_link->index, result, !c.enable_dad));
    for (const auto* list : {&gws.v4, &gws.v6}) {
      for (const auto& gw : *list) {
        CAPSTAN_TRY(EnsureGatewayAddress(*host, br, gw, c.force_address));
      }
      if (!list->empty()) {
        CAPSTAN_TRY(EnableForwarding(list->front().ip.family()));
      }
    }
  }

  std::string comment = fmt::format("net={} id={} if={}", c.net.name, a.container_id, a.ifname);
  std::string nft_cmds;
  if (c.ip_masq && !result.ips.empty()) {
    std::vector<IpNet> addrs;
    for (const auto& ipc : result.ips) {
      addrs.push_back(ipc.address);
    }
    nft_cmds += MasqCommands(AttachmentTable(kMasqPrefix, c.net.name, a.container_id, a.ifname),
                             addrs, "capstan bridge ipMasq " + comment);
  }
  if (c.mac_spoof_check) {
    nft_cmds +=
        MacSpoofCommands(AttachmentTable(kMacPrefix, c.net.name, a.container_id, a.ifname),
                         host_name, cont_link->mac, "capstan bridge macspoofchk " + comment);
  }
  if (!nft_cmds.empty()) {
    auto nft = Nft::Open();
    if (!nft) {
      return std::unexpected(FromError(nft.error(), "nftables"));
    }
    CNI_TRY_AS(nft->Run(nft_cmds), kInternal, "failed to set up the nftables rules");
  }
  WaitPortUp(*host, host_link->index);

  if (!c.net.dns.empty()) {
    result.dns = c.net.dns;
  }
  remove_veth.Cancel();
  release_ips.Cancel();
  return DumpJson(ResultToJson(result, c.net.cni_version));
}

}  // namespace capstan::cni::bridge
