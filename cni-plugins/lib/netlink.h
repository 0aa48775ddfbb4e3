#pragma once
// Netlink (rtnetlink) over libnl-3: links, addresses, routes and bridge port settings, one
// request per change and nothing cached, because a plugin lives for one command. A socket is
// bound to the namespace it was opened in, so a plugin opens one in the host and one in the
// container and never has to stay inside the container's namespace.
//
// Errors: NotFound for a missing link/address/route, AlreadyExists for EEXIST, Internal with
// libnl's text otherwise.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cni-plugins/lib/ip.h"
#include "cni-plugins/lib/netns.h"
#include "common/error.h"

struct nl_sock;

namespace capstan::cni {

struct LinkInfo {
  int index = 0;
  std::string name;
  std::string kind;  // "veth", "bridge", ... ("" for devices without rtnl link ops)
  std::string mac;   // aa:bb:cc:dd:ee:ff
  uint32_t mtu = 0;
  unsigned flags = 0;     // IFF_*
  int master = 0;         // ifindex of the bridge it is enslaved to, 0 when none
  int link = 0;           // IFLA_LINK: a veth's peer ifindex (in the peer's namespace)
  uint8_t operstate = 0;  // IF_OPER_*
};

struct VethSpec {
  std::string host_name;  // created in the socket's namespace
  int master = 0;         // bridge to enslave the host end to (0: none)
  uint32_t mtu = 0;       // 0: kernel default
  std::string peer_name;  // created directly inside peer_netns
  int peer_netns_fd = -1;
  std::string peer_mac;  // "" for a random one
};

struct RouteSpec {
  IpNet dst;
  std::optional<IpAddr> gw;
  int oif = 0;
  std::optional<uint32_t> mtu, advmss, priority, table, scope;
};

struct AddrInfo {
  IpNet address;
  uint32_t flags = 0;  // IFA_F_*
};

struct RouteInfo {
  IpNet dst;
  std::optional<IpAddr> gw;
  int oif = 0;
  uint32_t table = 0;
};

class Netlink {
 public:
  // A socket in the calling thread's current namespace.
  static Result<Netlink> Open();
  // A socket in `ns` (enters it only to create the socket).
  static Result<Netlink> OpenIn(const NetNs& ns);
  Netlink(Netlink&& o) noexcept;
  Netlink& operator=(Netlink&& o) noexcept;
  ~Netlink();

  Result<LinkInfo> GetLink(const std::string& name);
  Result<LinkInfo> GetLinkByIndex(int index);

  // Creates a bridge (up; promiscuous when asked; MAC pinned so it does not follow its ports;
  // VLAN filtering when asked). AlreadyExists when the name is taken.
  Status CreateBridge(const std::string& name, uint32_t mtu, bool promisc, bool vlan_filtering);
  // Creates a veth pair in one request: the host end up and enslaved, the peer inside its
  // namespace (down: the kernel cannot bring a peer up before the pair is linked).
  Status CreateVeth(const VethSpec& spec);
  Status SetFlags(int index, unsigned flags, unsigned mask);
  Status SetMac(int index, const std::string& mac);
  Status Rename(int index, const std::string& name);
  Status DeleteLink(int index);

  Status AddAddress(int index, const IpNet& addr, bool nodad);
  Status DeleteAddress(int index, const IpNet& addr);
  Result<std::vector<AddrInfo>> ListAddresses(int index, int family);

  Status AddRoute(const RouteSpec& r);
  Result<std::vector<RouteInfo>> ListRoutes(int family);

  // Bridge port settings (RTM_SETLINK, AF_BRIDGE).
  Status SetBridgePortFlags(int index, bool hairpin, bool isolated);
  Status BridgeVlanAdd(int index, uint16_t vid, bool pvid, bool untagged);
  Status BridgeVlanDel(int index, uint16_t vid);

 private:
  explicit Netlink(nl_sock* sock) : sock_(sock) {}
  nl_sock* sock_ = nullptr;
};

// "aa:bb:cc:dd:ee:ff" (any case) -> 6 bytes; nullopt when malformed.
std::optional<std::vector<uint8_t>> ParseMac(const std::string& mac);
std::string FormatMac(const uint8_t* bytes, size_t len);
// A random locally administered unicast MAC.
std::string RandomMac();

}  // namespace capstan::cni
