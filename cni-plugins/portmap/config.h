#pragma once
// portmap's config: the portMappings capability (runtimeConfig.portMappings), snat (default
// true), and the container addresses taken from prevResult.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cni-plugins/lib/ip.h"
#include "cni-plugins/lib/netconf.h"

namespace capstan::cni::portmap {

struct PortMapping {
  uint16_t host_port = 0;
  uint16_t container_port = 0;
  std::string protocol;           // tcp, udp or sctp
  std::optional<IpAddr> host_ip;  // nullopt: every local address
  int family = 0;                 // AF_INET/AF_INET6 to restrict ("0.0.0.0", "::"), 0: both
};

struct PortMapConf {
  NetConf net;
  std::vector<PortMapping> mappings;
  bool snat = true;
  std::optional<IpAddr> container_v4, container_v6;  // from prevResult
  std::vector<std::string> host_interfaces;          // prevResult interfaces without sandbox
};

CniResult<PortMapConf> ParsePortMapConf(const CmdArgs& a);

}  // namespace capstan::cni::portmap
