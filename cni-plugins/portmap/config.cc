#include "cni-plugins/portmap/config.h"

#include "cni-plugins/lib/validate.h"

namespace capstan::cni::portmap {

namespace {

CniResult<uint16_t> Port(const Json& m, const char* key, std::string_view where) {
  CAPSTAN_ASSIGN_OR_RETURN(int64_t v, OptInt(m, key, 0, where));
  if (v < 1 || v > 65535) {
    return CniFail(kInvalidConfig, "{}.{}: {} is not a port (1-65535)", where, key, v);
  }
  return static_cast<uint16_t>(v);
}

}  // namespace

CniResult<PortMapConf> ParsePortMapConf(const CmdArgs& a) {
  PortMapConf c;
  CAPSTAN_ASSIGN_OR_RETURN(c.net, ParseNetConf(a));
  CAPSTAN_ASSIGN_OR_RETURN(c.snat, OptBool(a.config, "snat", true, ""));
  for (const char* key : {"conditionsV4", "conditionsV6", "externalSetMarkChain"}) {
    if (a.config.contains(key) && !a.config[key].is_null()) {
      return CniFail(kUnsupportedField, "unsupported field {}: {}", key, DumpJson(a.config[key]));
    }
  }
  CAPSTAN_ASSIGN_OR_RETURN(std::string backend, OptString(a.config, "backend", ""));
  if (!backend.empty() && backend != "nftables") {
    return CniFail(kUnsupportedField, "unsupported field backend: {:?} (only nftables)", backend);
  }
  CAPSTAN_ASSIGN_OR_RETURN(Json list,
                           OptArray(c.net.runtime_config, "portMappings", "runtimeConfig"));
  for (size_t i = 0; i < list.size(); ++i) {
    std::string where = fmt::format("runtimeConfig.portMappings[{}]", i);
    const Json& m = list[i];
    if (!m.is_object()) {
      return CniFail(kDecodingFailure, "{} must be an object", where);
    }
    PortMapping pm;
    CAPSTAN_ASSIGN_OR_RETURN(pm.host_port, Port(m, "hostPort", where));
    CAPSTAN_ASSIGN_OR_RETURN(pm.container_port, Port(m, "containerPort", where));
    CAPSTAN_ASSIGN_OR_RETURN(std::string proto, OptString(m, "protocol", where));
    for (char& ch : proto) {
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    if (proto.empty()) {
      proto = "tcp";
    }
    if (proto != "tcp" && proto != "udp" && proto != "sctp") {
      return CniFail(kInvalidConfig, "{}.protocol {:?} is not tcp, udp or sctp", where, proto);
    }
    pm.protocol = proto;
    CAPSTAN_ASSIGN_OR_RETURN(std::string host_ip, OptString(m, "hostIP", where));
    if (!host_ip.empty()) {
      auto ip = IpAddr::Parse(host_ip);
      if (!ip) {
        return CniFail(kInvalidConfig, "{}.hostIP {:?} is not an IP address", where, host_ip);
      }
      // 0.0.0.0 and :: mean every address of the family.
      pm.family = ip->family();
      if (*ip != ip->Masked(0)) {
        pm.host_ip = *ip;
      }
    }
    c.mappings.push_back(pm);
  }
  if (c.net.prev_result) {
    const AddResult& r = *c.net.prev_result;
    for (const auto& ipc : r.ips) {
      bool in_sandbox = !ipc.interface || r.interfaces[*ipc.interface].sandbox != "";
      if (!in_sandbox) {
        continue;
      }
      auto& slot = ipc.address.ip.is_v4() ? c.container_v4 : c.container_v6;
      if (!slot) {
        slot = ipc.address.ip;
      }
    }
    for (const auto& i : r.interfaces) {
      if (i.sandbox.empty() && IsValidIfName(i.name)) {
        c.host_interfaces.push_back(i.name);
      }
    }
  }
  return c;
}

}  // namespace capstan::cni::portmap
