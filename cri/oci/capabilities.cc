#include "cri/oci/capabilities.h"

#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace capstan::cri::oci {

const std::vector<std::string>& DefaultCapabilities() {
  static const std::vector<std::string> kDefault = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  return kDefault;
}

std::vector<std::string> AllCapabilities() {
  std::vector<std::string> all;
  for (cap_value_t c = 0; c <= CAP_LAST_CAP; ++c) {
    // "All" is what this process can hand on: its bounding set (a node whose root lacks
    // CAP_SYS_RESOURCE cannot give it to a privileged container either).
    if (!CAP_IS_SUPPORTED(c) || ::prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 1) {
      continue;
    }
    char* name = cap_to_name(c);
    std::string n(name);
    cap_free(name);
    std::transform(n.begin(), n.end(), n.begin(), ::toupper);
    all.push_back(n);
  }
  return all;
}

Result<std::string> NormalizeCapability(std::string_view name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(), ::toupper);
  if (n.rfind("CAP_", 0) != 0) {
    n = "CAP_" + n;
  }
  cap_value_t v;
  std::string lower = n;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  if (cap_from_name(lower.c_str(), &v) != 0) {
    return Fail(Code::kInvalidArgument, "unknown capability {:?}", std::string(name));
  }
  return n;
}

Result<std::vector<std::string>> ComputeCapabilities(const std::vector<std::string>& add,
                                                     const std::vector<std::string>& drop) {
  auto is_all = [](const std::string& s) {
    std::string u = s;
    std::transform(u.begin(), u.end(), u.begin(), ::toupper);
    return u == "ALL" || u == "CAP_ALL";
  };
  // containerd's order: ALL in add replaces the default set, ALL in drop empties it, then the
  // named adds and drops apply.
  std::set<std::string> caps(DefaultCapabilities().begin(), DefaultCapabilities().end());
  if (std::any_of(add.begin(), add.end(), is_all)) {
    auto all = AllCapabilities();
    caps = std::set<std::string>(all.begin(), all.end());
  }
  if (std::any_of(drop.begin(), drop.end(), is_all)) {
    caps.clear();
  }
  for (const auto& a : add) {
    if (!is_all(a)) {
      CAPSTAN_ASSIGN_OR_RETURN(std::string n, NormalizeCapability(a));
      caps.insert(n);
    }
  }
  for (const auto& d : drop) {
    if (!is_all(d)) {
      CAPSTAN_ASSIGN_OR_RETURN(std::string n, NormalizeCapability(d));
      caps.erase(n);
    }
  }
  return std::vector<std::string>(caps.begin(), caps.end());
}

namespace {

Result<std::vector<cap_value_t>> ToValues(const std::vector<std::string>& names) {
  std::vector<cap_value_t> out;
  for (const auto& n : names) {
    std::string lower = n;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    cap_value_t v;
    if (cap_from_name(lower.c_str(), &v) != 0) {
      return Fail(Code::kInvalidArgument, "unknown capability {}", n);
    }
    out.push_back(v);
  }
  return out;
}

}  // namespace

Status ApplyIdentity(const Identity& id) {
  CAPSTAN_ASSIGN_OR_RETURN(std::vector<cap_value_t> wanted, ToValues(id.capabilities));
  // A capability outside our own bounding set cannot be granted; asking for it is not an
  // error (the container gets what the node has), as with containerd's "all".
  std::vector<cap_value_t> keep;
  for (cap_value_t c : wanted) {
    if (::prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) {
      keep.push_back(c);
    }
  }
  CAPSTAN_ASSIGN_OR_RETURN(std::vector<cap_value_t> ambient, ToValues(id.ambient));
  std::set<cap_value_t> keep_set(keep.begin(), keep.end());
  for (cap_value_t c = 0; c <= CAP_LAST_CAP; ++c) {
    if (!keep_set.count(c) && CAP_IS_SUPPORTED(c) && ::prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0) {
      return FailErrno("dropping capability {} from the bounding set", c);
    }
  }
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
    return FailErrno("PR_SET_KEEPCAPS");
  }
  if (::setgroups(id.additional_gids.size(), id.additional_gids.data()) != 0) {
    return FailErrno("setgroups");
  }
  if (::setresgid(id.gid, id.gid, id.gid) != 0) {
    return FailErrno("setresgid {}", id.gid);
  }
  if (::setresuid(id.uid, id.uid, id.uid) != 0) {
    return FailErrno("setresuid {}", id.uid);
  }
  cap_t caps = cap_init();
  if (!keep.empty()) {
    cap_set_flag(caps, CAP_PERMITTED, static_cast<int>(keep.size()), keep.data(), CAP_SET);
    cap_set_flag(caps, CAP_EFFECTIVE, static_cast<int>(keep.size()), keep.data(), CAP_SET);
  }
  if (!ambient.empty()) {
    cap_set_flag(caps, CAP_INHERITABLE, static_cast<int>(ambient.size()), ambient.data(), CAP_SET);
  }
  int rc = cap_set_proc(caps);
  cap_free(caps);
  if (rc != 0) {
    return FailErrno("setting capabilities");
  }
  ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  for (cap_value_t c : ambient) {
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) != 0) {
      return FailErrno("raising ambient capability {}", c);
    }
  }
  return Ok();
}

}  // namespace capstan::cri::oci
