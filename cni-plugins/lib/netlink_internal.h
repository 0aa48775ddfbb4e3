#pragma once
// Internal to lib/netlink*.cc: request building and sending shared by the files.

#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include <memory>
#include <string>

#include "cni-plugins/lib/ip.h"
#include "common/error.h"

struct nl_sock;

namespace capstan::cni::netlink_internal {

inline Error NlError(int err, std::string context) {
  int e = err < 0 ? -err : err;
  Code code = Code::kInternal;
  if (e == NLE_EXIST) {
    code = Code::kAlreadyExists;
  } else if (e == NLE_OBJ_NOTFOUND || e == NLE_NODEV || e == NLE_NOADDR) {
    code = Code::kNotFound;
  } else if (e == NLE_PERM) {
    code = Code::kPermissionDenied;
  }
  return Error(code, fmt::format("{}: {}", context, nl_geterror(e)));
}

struct MsgDeleter {
  void operator()(nl_msg* m) const { nlmsg_free(m); }
};
using MsgPtr = std::unique_ptr<nl_msg, MsgDeleter>;

// A request with an ifinfomsg header.
inline MsgPtr LinkMsg(int type, int flags, const ifinfomsg& hdr) {
  MsgPtr m(nlmsg_alloc_simple(type, flags));
  if (m) {
    nlmsg_append(m.get(), const_cast<ifinfomsg*>(&hdr), sizeof(hdr), NLMSG_ALIGNTO);
  }
  return m;
}

inline std::string Name(const std::string& s) { return s.substr(0, IFNAMSIZ - 1); }

// Sends and waits for the kernel's acknowledgement.
inline Status Send(nl_sock* sk, MsgPtr msg, std::string_view what) {
  if (!msg) {
    return Fail(Code::kInternal, "{}: out of memory", what);
  }
  int err = nl_send_auto(sk, msg.get());
  if (err < 0) {
    return Fail(NlError(err, std::string(what)));
  }
  err = nl_wait_for_ack(sk);
  if (err < 0) {
    return Fail(NlError(err, std::string(what)));
  }
  return Ok();
}

inline IpNet FromNlAddr(nl_addr* a, int family) {
  IpNet n;
  uint8_t zero[16] = {};
  const void* bytes = zero;
  if (a != nullptr && nl_addr_get_len(a) == (family == AF_INET ? 4u : 16u)) {
    bytes = nl_addr_get_binary_addr(a);
  }
  n.ip = IpAddr::FromBytes(family, bytes);
  n.prefix = a != nullptr ? static_cast<int>(nl_addr_get_prefixlen(a)) : 0;
  return n;
}

}  // namespace capstan::cni::netlink_internal
