#pragma once
// The pod network `capstan up` installs when a node has none: capstan's bridge "cni0" with
// host-local addresses from one /16 (10.88.0.0/16 unless told otherwise), masquerade for
// traffic leaving the node, hairpin for pods reaching their own hostPorts, portmap for
// hostPorts, and loopback. packaging/cni/10-capstan.conflist is this function's output.

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace capstan::cri::network {

struct DefaultNetworkOptions {
  std::string name = "capstan";
  std::string bridge = "cni0";
  std::vector<std::string> subnets = {"10.88.0.0/16"};  // one range set each (dual stack: two)
  uint32_t mtu = 0;                                     // 0: the kernel's default
};

inline constexpr const char* kDefaultConflistName = "10-capstan.conflist";

// The conflist text (2-space indented JSON, newline-terminated).
std::string DefaultConflist(const DefaultNetworkOptions& opts = {});

// Writes <dir>/10-capstan.conflist unless `dir` already has a usable config. Returns whether
// it wrote one.
Result<bool> WriteDefaultConflist(const std::string& dir, const DefaultNetworkOptions& opts = {});

}  // namespace capstan::cri::network
