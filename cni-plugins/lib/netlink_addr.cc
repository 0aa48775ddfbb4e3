// Netlink: addresses, routes and bridge port settings.
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>

#include "cni-plugins/lib/netlink.h"
#include "cni-plugins/lib/netlink_internal.h"

namespace capstan::cni {

using namespace netlink_internal;

namespace {
MsgPtr AddrMsg(int type, int flags, int index, const IpNet& addr, bool nodad) {
  ifaddrmsg hdr{};
  hdr.ifa_family = static_cast<uint8_t>(addr.ip.family());
  hdr.ifa_prefixlen = static_cast<uint8_t>(addr.prefix);
  hdr.ifa_index = static_cast<uint32_t>(index);
  hdr.ifa_flags = nodad ? IFA_F_NODAD : 0;
  MsgPtr m(nlmsg_alloc_simple(type, flags));
  if (!m) {
    return m;
  }
  nlmsg_append(m.get(), &hdr, sizeof(hdr), NLMSG_ALIGNTO);
  nla_put(m.get(), IFA_LOCAL, static_cast<int>(addr.ip.size()), addr.ip.data());
  nla_put(m.get(), IFA_ADDRESS, static_cast<int>(addr.ip.size()), addr.ip.data());
  if (addr.ip.is_v4() && addr.prefix < 31) {
    IpAddr brd = addr.ip.Filled(addr.prefix);
    nla_put(m.get(), IFA_BROADCAST, 4, brd.data());
  }
  return m;
}
}  // namespace

Status Netlink::AddAddress(int index, const IpNet& addr, bool nodad) {
  return Send(sock_, AddrMsg(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, index, addr, nodad),
              fmt::format("adding address {} to link #{}", addr.ToString(), index));
}

Status Netlink::DeleteAddress(int index, const IpNet& addr) {
  return Send(sock_, AddrMsg(RTM_DELADDR, 0, index, addr, false),
              fmt::format("deleting address {} from link #{}", addr.ToString(), index));
}

Result<std::vector<AddrInfo>> Netlink::ListAddresses(int index, int family) {
  nl_cache* cache = nullptr;
  int err = rtnl_addr_alloc_cache(sock_, &cache);
  if (err < 0) {
    return Fail(NlError(err, "listing addresses"));
  }
  std::vector<AddrInfo> out;
  for (nl_object* o = nl_cache_get_first(cache); o != nullptr; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    int fam = rtnl_addr_get_family(a);
    if (rtnl_addr_get_ifindex(a) != index || (family != AF_UNSPEC && fam != family) ||
        (fam != AF_INET && fam != AF_INET6)) {
      continue;
    }
    AddrInfo info;
    info.address = FromNlAddr(rtnl_addr_get_local(a), fam);
    info.address.prefix = static_cast<int>(rtnl_addr_get_prefixlen(a));
    info.flags = static_cast<uint32_t>(rtnl_addr_get_flags(a));
    out.push_back(info);
  }
  nl_cache_free(cache);
  return out;
}

Status Netlink::AddRoute(const RouteSpec& r) {
  rtmsg hdr{};
  hdr.rtm_family = static_cast<uint8_t>(r.dst.ip.family());
  hdr.rtm_dst_len = static_cast<uint8_t>(r.dst.prefix);
  uint32_t table = r.table.value_or(RT_TABLE_MAIN);
  hdr.rtm_table = static_cast<uint8_t>(table < 256 ? table : uint32_t{RT_TABLE_UNSPEC});
  hdr.rtm_protocol = RTPROT_BOOT;
  uint32_t def_scope = r.gw ? uint32_t{RT_SCOPE_UNIVERSE} : uint32_t{RT_SCOPE_LINK};
  hdr.rtm_scope = static_cast<uint8_t>(r.scope.value_or(def_scope));
  hdr.rtm_type = RTN_UNICAST;
  MsgPtr m(nlmsg_alloc_simple(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL));
  if (!m) {
    return Fail(Code::kInternal, "out of memory");
  }
  nlmsg_append(m.get(), &hdr, sizeof(hdr), NLMSG_ALIGNTO);
  if (r.dst.prefix > 0) {
    IpAddr net = r.dst.ip.Masked(r.dst.prefix);
    nla_put(m.get(), RTA_DST, static_cast<int>(net.size()), net.data());
  }
  if (r.gw) {
    nla_put(m.get(), RTA_GATEWAY, static_cast<int>(r.gw->size()), r.gw->data());
  }
  if (r.oif > 0) {
    nla_put_u32(m.get(), RTA_OIF, static_cast<uint32_t>(r.oif));
  }
  if (r.priority) {
    nla_put_u32(m.get(), RTA_PRIORITY, *r.priority);
  }
  nla_put_u32(m.get(), RTA_TABLE, table);
  if (r.mtu || r.advmss) {
    nlattr* metrics = nla_nest_start(m.get(), RTA_METRICS);
    if (r.mtu) {
      nla_put_u32(m.get(), RTAX_MTU, *r.mtu);
    }
    if (r.advmss) {
      nla_put_u32(m.get(), RTAX_ADVMSS, *r.advmss);
    }
    nla_nest_end(m.get(), metrics);
  }
  std::string what = fmt::format("adding route to {}{}", r.dst.Network().ToString(),
                                 r.gw ? " via " + r.gw->ToString() : "");
  return Send(sock_, std::move(m), what);
}

Result<std::vector<RouteInfo>> Netlink::ListRoutes(int family) {
  nl_cache* cache = nullptr;
  int err = rtnl_route_alloc_cache(sock_, family, 0, &cache);
  if (err < 0) {
    return Fail(NlError(err, "listing routes"));
  }
  std::vector<RouteInfo> out;
  for (nl_object* o = nl_cache_get_first(cache); o != nullptr; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    int fam = rtnl_route_get_family(r);
    if (fam != AF_INET && fam != AF_INET6) {
      continue;
    }
    RouteInfo info;
    info.dst = FromNlAddr(rtnl_route_get_dst(r), fam);
    info.table = rtnl_route_get_table(r);
    if (rtnl_route_get_nnexthops(r) > 0) {
      rtnl_nexthop* nh = rtnl_route_nexthop_n(r, 0);
      info.oif = rtnl_route_nh_get_ifindex(nh);
      if (nl_addr* gw = rtnl_route_nh_get_gateway(nh); gw != nullptr) {
        info.gw = FromNlAddr(gw, fam).ip;
      }
    }
    out.push_back(info);
  }
  nl_cache_free(cache);
  return out;
}

namespace {
MsgPtr BridgeMsg(int type, int index) {
  ifinfomsg hdr{};
  hdr.ifi_family = AF_BRIDGE;
  hdr.ifi_index = index;
  return LinkMsg(type, 0, hdr);
}
}  // namespace

Status Netlink::SetBridgePortFlags(int index, bool hairpin, bool isolated) {
  MsgPtr m = BridgeMsg(RTM_SETLINK, index);
  nlattr* prot = nla_nest_start(m.get(), IFLA_PROTINFO | NLA_F_NESTED);
  nla_put_u8(m.get(), IFLA_BRPORT_MODE, hairpin ? 1 : 0);
  nla_put_u8(m.get(), IFLA_BRPORT_ISOLATED, isolated ? 1 : 0);
  nla_nest_end(m.get(), prot);
  return Send(sock_, std::move(m), fmt::format("setting bridge port flags on link #{}", index));
}

Status Netlink::BridgeVlanAdd(int index, uint16_t vid, bool pvid, bool untagged) {
  MsgPtr m = BridgeMsg(RTM_SETLINK, index);
  nlattr* spec = nla_nest_start(m.get(), IFLA_AF_SPEC);
  bridge_vlan_info v{};
  v.vid = vid;
  v.flags = static_cast<uint16_t>((pvid ? BRIDGE_VLAN_INFO_PVID : 0) |
                                  (untagged ? BRIDGE_VLAN_INFO_UNTAGGED : 0));
  nla_put(m.get(), IFLA_BRIDGE_VLAN_INFO, sizeof(v), &v);
  nla_nest_end(m.get(), spec);
  return Send(sock_, std::move(m), fmt::format("adding VLAN {} to link #{}", vid, index));
}

Status Netlink::BridgeVlanDel(int index, uint16_t vid) {
  MsgPtr m = BridgeMsg(RTM_DELLINK, index);
  nlattr* spec = nla_nest_start(m.get(), IFLA_AF_SPEC);
  bridge_vlan_info v{};
  v.vid = vid;
  nla_put(m.get(), IFLA_BRIDGE_VLAN_INFO, sizeof(v), &v);
  nla_nest_end(m.get(), spec);
  return Send(sock_, std::move(m), fmt::format("removing VLAN {} from link #{}", vid, index));
}

}  // namespace capstan::cni
