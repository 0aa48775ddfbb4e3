#include "cni-plugins/lib/netlink.h"

#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <sys/random.h>

#include <cstring>
#include <memory>

#include "cni-plugins/lib/netlink_internal.h"

namespace capstan::cni {

using namespace netlink_internal;

namespace {

LinkInfo FromRtnlLink(rtnl_link* l) {
  LinkInfo i;
  i.index = rtnl_link_get_ifindex(l);
  if (const char* n = rtnl_link_get_name(l)) {
    i.name = n;
  }
  if (const char* t = rtnl_link_get_type(l)) {
    i.kind = t;
  }
  if (nl_addr* a = rtnl_link_get_addr(l); a != nullptr && nl_addr_get_len(a) > 0) {
    i.mac = FormatMac(static_cast<const uint8_t*>(nl_addr_get_binary_addr(a)), nl_addr_get_len(a));
  }
  i.mtu = rtnl_link_get_mtu(l);
  i.flags = rtnl_link_get_flags(l);
  i.master = rtnl_link_get_master(l);
  i.link = rtnl_link_get_link(l);
  i.operstate = rtnl_link_get_operstate(l);
  return i;
}

}  // namespace

Result<Netlink> Netlink::Open() {
  nl_sock* sk = nl_socket_alloc();
  if (sk == nullptr) {
    return Fail(Code::kInternal, "allocating a netlink socket");
  }
  int err = nl_connect(sk, NETLINK_ROUTE);
  if (err < 0) {
    nl_socket_free(sk);
    return Fail(NlError(err, "connecting a netlink socket"));
  }
  return Netlink(sk);
}

Result<Netlink> Netlink::OpenIn(const NetNs& ns) {
  CAPSTAN_ASSIGN_OR_RETURN(NetNsGuard guard, NetNsGuard::Enter(ns));
  return Open();
}

Netlink::Netlink(Netlink&& o) noexcept : sock_(std::exchange(o.sock_, nullptr)) {}

Netlink& Netlink::operator=(Netlink&& o) noexcept {
  if (this != &o) {
    if (sock_ != nullptr) {
      nl_socket_free(sock_);
    }
    sock_ = std::exchange(o.sock_, nullptr);
  }
  return *this;
}

Netlink::~Netlink() {
  if (sock_ != nullptr) {
    nl_socket_free(sock_);
  }
}

Result<LinkInfo> Netlink::GetLink(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return Fail(Code::kNotFound, "link {:?} not found", name);
  }
  rtnl_link* l = nullptr;
  int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &l);
  if (err < 0) {
    return Fail(NlError(err, fmt::format("looking up link {}", name)));
  }
  LinkInfo info = FromRtnlLink(l);
  rtnl_link_put(l);
  return info;
}

Result<LinkInfo> Netlink::GetLinkByIndex(int index) {
  rtnl_link* l = nullptr;
  int err = rtnl_link_get_kernel(sock_, index, nullptr, &l);
  if (err < 0) {
    return Fail(NlError(err, fmt::format("looking up link #{}", index)));
  }
  LinkInfo info = FromRtnlLink(l);
  rtnl_link_put(l);
  return info;
}

Status Netlink::CreateBridge(const std::string& name, uint32_t mtu, bool promisc,
                             bool vlan_filtering) {
  ifinfomsg hdr{};
  hdr.ifi_family = AF_UNSPEC;
  hdr.ifi_flags = IFF_UP | (promisc ? IFF_PROMISC : 0);
  hdr.ifi_change = IFF_UP | (promisc ? IFF_PROMISC : 0);
  MsgPtr m = LinkMsg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, hdr);
  nla_put_string(m.get(), IFLA_IFNAME, Name(name).c_str());
  if (mtu > 0) {
    nla_put_u32(m.get(), IFLA_MTU, mtu);
  }
  // An explicit address keeps the bridge's MAC from changing as ports come and go.
  auto mac = ParseMac(RandomMac());
  nla_put(m.get(), IFLA_ADDRESS, 6, mac->data());
  nlattr* info = nla_nest_start(m.get(), IFLA_LINKINFO);
  nla_put_string(m.get(), IFLA_INFO_KIND, "bridge");
  if (vlan_filtering) {
    nlattr* data = nla_nest_start(m.get(), IFLA_INFO_DATA);
    nla_put_u8(m.get(), IFLA_BR_VLAN_FILTERING, 1);
    nla_nest_end(m.get(), data);
  }
  nla_nest_end(m.get(), info);
  return Send(sock_, std::move(m), fmt::format("creating bridge {}", name));
}

Status Netlink::CreateVeth(const VethSpec& spec) {
  ifinfomsg hdr{};
  hdr.ifi_family = AF_UNSPEC;
  hdr.ifi_flags = IFF_UP;
  hdr.ifi_change = IFF_UP;
  MsgPtr m = LinkMsg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, hdr);
  nla_put_string(m.get(), IFLA_IFNAME, Name(spec.host_name).c_str());
  if (spec.mtu > 0) {
    nla_put_u32(m.get(), IFLA_MTU, spec.mtu);
  }
  if (spec.master > 0) {
    nla_put_u32(m.get(), IFLA_MASTER, static_cast<uint32_t>(spec.master));
  }
  // One queue per end: the kernel's default of one per CPU makes creating the pair cost more
  // the more cores the node has (sysfs objects per queue), and queues only matter for XDP.
  nla_put_u32(m.get(), IFLA_NUM_TX_QUEUES, 1);
  nla_put_u32(m.get(), IFLA_NUM_RX_QUEUES, 1);
  nlattr* info = nla_nest_start(m.get(), IFLA_LINKINFO);
  nla_put_string(m.get(), IFLA_INFO_KIND, "veth");
  nlattr* data = nla_nest_start(m.get(), IFLA_INFO_DATA);
  nlattr* peer = nla_nest_start(m.get(), VETH_INFO_PEER);
  ifinfomsg peer_hdr{};
  peer_hdr.ifi_family = AF_UNSPEC;
  nlmsg_append(m.get(), &peer_hdr, sizeof(peer_hdr), NLMSG_ALIGNTO);
  nla_put_string(m.get(), IFLA_IFNAME, Name(spec.peer_name).c_str());
  if (spec.mtu > 0) {
    nla_put_u32(m.get(), IFLA_MTU, spec.mtu);
  }
  if (!spec.peer_mac.empty()) {
    auto mac = ParseMac(spec.peer_mac);
    if (!mac) {
      return Fail(Code::kInvalidArgument, "invalid MAC address {:?}", spec.peer_mac);
    }
    nla_put(m.get(), IFLA_ADDRESS, 6, mac->data());
  }
  nla_put_u32(m.get(), IFLA_NUM_TX_QUEUES, 1);
  nla_put_u32(m.get(), IFLA_NUM_RX_QUEUES, 1);
  if (spec.peer_netns_fd >= 0) {
    nla_put_u32(m.get(), IFLA_NET_NS_FD, static_cast<uint32_t>(spec.peer_netns_fd));
  }
  nla_nest_end(m.get(), peer);
  nla_nest_end(m.get(), data);
  nla_nest_end(m.get(), info);
  return Send(sock_, std::move(m),
              fmt::format("creating veth {} with peer {}", spec.host_name, spec.peer_name));
}

Status Netlink::SetFlags(int index, unsigned flags, unsigned mask) {
  ifinfomsg hdr{};
  hdr.ifi_family = AF_UNSPEC;
  hdr.ifi_index = index;
  hdr.ifi_flags = flags & mask;
  hdr.ifi_change = mask;
  return Send(sock_, LinkMsg(RTM_NEWLINK, 0, hdr), fmt::format("setting flags of link #{}", index));
}

Status Netlink::SetMac(int index, const std::string& mac) {
  auto bytes = ParseMac(mac);
  if (!bytes) {
    return Fail(Code::kInvalidArgument, "invalid MAC address {:?}", mac);
  }
  ifinfomsg hdr{};
  hdr.ifi_family = AF_UNSPEC;
  hdr.ifi_index = index;
  MsgPtr m = LinkMsg(RTM_NEWLINK, 0, hdr);
  nla_put(m.get(), IFLA_ADDRESS, 6, bytes->data());
  return Send(sock_, std::move(m), fmt::format("setting the MAC of link #{}", index));
}

Status Netlink::Rename(int index, const std::string& name) {
  ifinfomsg hdr{};
  hdr.ifi_family = AF_UNSPEC;
  hdr.ifi_index = index;
  MsgPtr m = LinkMsg(RTM_NEWLINK, 0, hdr);
  nla_put_string(m.get(), IFLA_IFNAME, Name(name).c_str());
  return Send(sock_, std::move(m), fmt::format("renaming link #{} to {}", index, name));
}

Status Netlink::DeleteLink(int index) {
  ifinfomsg hdr{};
  hdr.ifi_family = AF_UNSPEC;
  hdr.ifi_index = index;
  return Send(sock_, LinkMsg(RTM_DELLINK, 0, hdr), fmt::format("deleting link #{}", index));
}

std::optional<std::vector<uint8_t>> ParseMac(const std::string& mac) {
  if (mac.size() != 17) {
    return std::nullopt;
  }
  std::vector<uint8_t> out(6);
  for (int i = 0; i < 6; ++i) {
    if (i > 0 && mac[i * 3 - 1] != ':' && mac[i * 3 - 1] != '-') {
      return std::nullopt;
    }
    unsigned v = 0;
    for (int k = 0; k < 2; ++k) {
      char c = mac[i * 3 + k];
      unsigned d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else {
        return std::nullopt;
      }
      v = v * 16 + d;
    }
    out[i] = static_cast<uint8_t>(v);
  }
  return out;
}

std::string FormatMac(const uint8_t* b, size_t len) {
  std::string out;
  for (size_t i = 0; i < len; ++i) {
    out += fmt::format("{}{:02x}", i ? ":" : "", b[i]);
  }
  return out;
}

std::string RandomMac() {
  uint8_t b[6] = {};
  if (::getrandom(b, sizeof(b), 0) != sizeof(b)) {
    // getrandom cannot fail for 6 bytes once the pool is ready; keep going regardless.
    b[5] = static_cast<uint8_t>(::getpid());
  }
  b[0] = static_cast<uint8_t>((b[0] & 0xfe) | 0x02);
  return FormatMac(b, 6);
}

}  // namespace capstan::cni
