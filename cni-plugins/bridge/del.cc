// bridge DEL: detach the container interface, release the addresses, remove our rules.
#include <linux/if.h>
#include <sys/random.h>
#include <unistd.h>

#include "cni-plugins/bridge/bridge.h"
#include "cni-plugins/bridge/config.h"
#include "cni-plugins/bridge/rules.h"
#include "cni-plugins/lib/delegate.h"
#include "cni-plugins/lib/netlink.h"
#include "cni-plugins/lib/nft.h"

namespace capstan::cni::bridge {

namespace {

// Takes the interface out of service and out of the way: down, without addresses, and
// renamed so that CNI_IFNAME is free again at once.
//
// Why not RTM_DELLINK: unregistering a net device waits for an RCU grace period
// (rcu_barrier in netdev_run_todo), about 20 ms, in the caller's context. The runtime removes
// the pod's network namespace next, and the kernel then destroys the pair (both ends)
// asynchronously; until then the host end is down, so its bridge port forwards nothing.
CniStatus Detach(Netlink& cont, const LinkInfo& link) {
  CNI_TRY_AS(cont.SetFlags(link.index, 0, IFF_UP), kInternal, "failed to set {} down", link.name);
  auto addrs = cont.ListAddresses(link.index, AF_UNSPEC);
  if (!addrs) {
    return std::unexpected(FromError(addrs.error(), "listing the container's addresses"));
  }
  for (const auto& a : *addrs) {
    auto st = cont.DeleteAddress(link.index, a.address);
    if (!st && st.error().code() != Code::kNotFound) {
      return std::unexpected(FromError(st.error(), "removing a container address"));
    }
  }
  for (int attempt = 0;; ++attempt) {
    uint32_t v = 0;
    if (::getrandom(&v, sizeof(v), 0) != sizeof(v)) {
      v = static_cast<uint32_t>(::getpid()) + static_cast<uint32_t>(attempt);
    }
    auto st = cont.Rename(link.index, fmt::format("cnidel{:08x}", v));
    if (st) {
      return {};
    }
    if (st.error().code() != Code::kAlreadyExists || attempt == 4) {
      return std::unexpected(FromError(st.error(), fmt::format("failed to detach {}", link.name)));
    }
  }
}

}  // namespace

CniStatus CmdDel(const CmdArgs& a) {
  CAPSTAN_ASSIGN_OR_RETURN(BridgeConf c, ParseBridgeConf(a));
  // The interface first (when the namespace or the interface is gone, there is nothing to
  // detach), then the addresses, then our rules: DEL is best effort and idempotent.
  if (!a.netns.empty()) {
    auto ns = NetNs::Open(a.netns);
    if (ns && IsCurrentNetNs(*ns)) {
      return CniFail(kInvalidEnvironment, "CNI_NETNS {} is the plugin's own (host) namespace",
                     a.netns);
    }
    if (ns) {
      auto cont = Netlink::OpenIn(*ns);
      if (!cont) {
        return std::unexpected(FromError(cont.error(), "netlink in the container namespace"));
      }
      auto link = cont->GetLink(a.ifname);
      if (link) {
        CAPSTAN_TRY(Detach(*cont, *link));
      } else if (link.error().code() != Code::kNotFound) {
        return std::unexpected(FromError(link.error(), "looking up the container interface"));
      }
    } else if (ns.error().code() != Code::kNotFound) {
      return std::unexpected(
          FromError(ns.error(), fmt::format("failed to open netns {:?}", a.netns)));
    }
  }
  if (!c.net.ipam_type.empty()) {
    CAPSTAN_TRY(DelegateCommand(c.net.ipam_type, "DEL", a));
  }
  if (c.ip_masq || c.mac_spoof_check) {
    auto nft = Nft::Open();
    if (!nft) {
      return std::unexpected(FromError(nft.error(), "nftables"));
    }
    std::string cmds;
    if (c.ip_masq) {
      cmds += DeleteTableCommand(
          "inet", AttachmentTable(kMasqPrefix, c.net.name, a.container_id, a.ifname));
    }
    if (c.mac_spoof_check) {
      cmds += DeleteTableCommand("bridge",
                                 AttachmentTable(kMacPrefix, c.net.name, a.container_id, a.ifname));
    }
    CNI_TRY_AS(nft->Run(cmds), kInternal, "failed to remove the nftables rules");
  }
  return {};
}

}  // namespace capstan::cni::bridge
