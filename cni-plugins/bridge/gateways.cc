#include "cni-plugins/bridge/gateways.h"

namespace capstan::cni::bridge {

Gateways CalcGateways(AddResult& r, const BridgeConf& conf, int container_index) {
  Gateways gws;
  bool default_v4 = false, default_v6 = false;
  for (auto& ipc : r.ips) {
    bool v4 = ipc.address.ip.is_v4();
    ipc.interface = container_index;
    if (!ipc.gateway && conf.is_gateway) {
      ipc.gateway = ipc.address.ip.Masked(ipc.address.prefix).Next();
    }
    bool& have_default = v4 ? default_v4 : default_v6;
    if (conf.is_default_gateway && !have_default) {
      for (const auto& rt : r.routes) {
        if (rt.gw && rt.dst.prefix == 0 && rt.dst.ip.family() == ipc.address.ip.family()) {
          have_default = true;
          break;
        }
      }
      if (!have_default) {
        Route def;
        def.dst = IpNet{v4 ? *IpAddr::Parse("0.0.0.0") : *IpAddr::Parse("::"), 0};
        def.gw = ipc.gateway;
        r.routes.push_back(def);
        have_default = true;
      }
    }
    if (conf.is_gateway && ipc.gateway) {
      (v4 ? gws.v4 : gws.v6).push_back(IpNet{*ipc.gateway, ipc.address.prefix});
    }
  }
  return gws;
}

std::optional<IpAddr> DefaultGatewayFor(const AddResult& r, int family) {
  std::optional<IpAddr> gw;
  for (const auto& ipc : r.ips) {
    if (ipc.gateway && ipc.address.ip.family() == family) {
      gw = ipc.gateway;
    }
  }
  return gw;
}

}  // namespace capstan::cni::bridge
