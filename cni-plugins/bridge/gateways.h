#pragma once
// What the bridge plugin derives from the IPAM result before touching the kernel (pure, as the
// reference plugin's calcGateways): each IP is attached to the container interface; with
// isGateway an IP without a gateway gets its subnet's first address; with isDefaultGateway a
// default route through it is added per family unless one exists; the bridge gets each
// gateway address with the subnet's prefix.

#include <vector>

#include "cni-plugins/bridge/config.h"
#include "cni-plugins/lib/result.h"

namespace capstan::cni::bridge {

struct Gateways {
  std::vector<IpNet> v4;  // gateway addresses for the bridge, with the subnet prefix
  std::vector<IpNet> v6;
};

Gateways CalcGateways(AddResult& r, const BridgeConf& conf, int container_index);

// The gateway to use for a route without "gw": the last IP of its family that has one.
std::optional<IpAddr> DefaultGatewayFor(const AddResult& r, int family);

}  // namespace capstan::cni::bridge
