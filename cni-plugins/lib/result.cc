#include "cni-plugins/lib/result.h"

#include "cni-plugins/lib/version.h"

namespace capstan::cni {

namespace {

CniResult<std::optional<uint32_t>> OptU32(const Json& obj, const char* key,
                                          std::string_view where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return std::optional<uint32_t>();
  }
  if (!it->is_number_unsigned() || it->get<uint64_t>() > UINT32_MAX) {
    return CniFail(kDecodingFailure, "{}.{} must be an unsigned 32-bit integer", where, key);
  }
  return std::optional<uint32_t>(it->get<uint32_t>());
}

CniResult<std::optional<IpAddr>> OptIp(const Json& obj, const char* key, std::string_view where) {
  CAPSTAN_ASSIGN_OR_RETURN(std::string s, OptString(obj, key, where));
  if (s.empty()) {
    return std::optional<IpAddr>();
  }
  auto ip = IpAddr::Parse(s);
  if (!ip) {
    return CniFail(kDecodingFailure, "{}.{}: {:?} is not an IP address", where, key, s);
  }
  return std::optional<IpAddr>(*ip);
}

}  // namespace

CniResult<Dns> DnsFromJson(const Json& j, std::string_view where) {
  Dns d;
  if (j.is_null()) {
    return d;
  }
  if (!j.is_object()) {
    return CniFail(kDecodingFailure, "{} must be an object", where);
  }
  CAPSTAN_ASSIGN_OR_RETURN(d.nameservers, OptStringList(j, "nameservers", where));
  CAPSTAN_ASSIGN_OR_RETURN(d.domain, OptString(j, "domain", where));
  CAPSTAN_ASSIGN_OR_RETURN(d.search, OptStringList(j, "search", where));
  CAPSTAN_ASSIGN_OR_RETURN(d.options, OptStringList(j, "options", where));
  return d;
}

CniResult<Route> RouteFromJson(const Json& j, std::string_view where) {
  if (!j.is_object()) {
    return CniFail(kDecodingFailure, "{} must be an object", where);
  }
  Route r;
  CAPSTAN_ASSIGN_OR_RETURN(std::string dst, OptString(j, "dst", where));
  auto net = IpNet::Parse(dst);
  if (!net) {
    return CniFail(kDecodingFailure, "{}.dst: {:?} is not a CIDR", where, dst);
  }
  r.dst = *net;
  CAPSTAN_ASSIGN_OR_RETURN(r.gw, OptIp(j, "gw", where));
  CAPSTAN_ASSIGN_OR_RETURN(r.mtu, OptU32(j, "mtu", where));
  CAPSTAN_ASSIGN_OR_RETURN(r.advmss, OptU32(j, "advmss", where));
  CAPSTAN_ASSIGN_OR_RETURN(r.priority, OptU32(j, "priority", where));
  CAPSTAN_ASSIGN_OR_RETURN(r.table, OptU32(j, "table", where));
  CAPSTAN_ASSIGN_OR_RETURN(r.scope, OptU32(j, "scope", where));
  return r;
}

CniResult<AddResult> ResultFromJson(const Json& j) {
  if (!j.is_object()) {
    return CniFail(kDecodingFailure, "result must be an object");
  }
  AddResult r;
  CAPSTAN_ASSIGN_OR_RETURN(Json ifaces, OptArray(j, "interfaces", "result"));
  for (size_t i = 0; i < ifaces.size(); ++i) {
    const Json& e = ifaces[i];
    std::string where = fmt::format("result.interfaces[{}]", i);
    if (!e.is_object()) {
      return CniFail(kDecodingFailure, "{} must be an object", where);
    }
    Interface itf;
    CAPSTAN_ASSIGN_OR_RETURN(itf.name, OptString(e, "name", where));
    CAPSTAN_ASSIGN_OR_RETURN(itf.mac, OptString(e, "mac", where));
    CAPSTAN_ASSIGN_OR_RETURN(auto mtu, OptU32(e, "mtu", where));
    itf.mtu = mtu.value_or(0);
    CAPSTAN_ASSIGN_OR_RETURN(itf.sandbox, OptString(e, "sandbox", where));
    CAPSTAN_ASSIGN_OR_RETURN(itf.socket_path, OptString(e, "socketPath", where));
    CAPSTAN_ASSIGN_OR_RETURN(itf.pci_id, OptString(e, "pciID", where));
    r.interfaces.push_back(std::move(itf));
  }
  CAPSTAN_ASSIGN_OR_RETURN(Json ips, OptArray(j, "ips", "result"));
  for (size_t i = 0; i < ips.size(); ++i) {
    const Json& e = ips[i];
    std::string where = fmt::format("result.ips[{}]", i);
    if (!e.is_object()) {
      return CniFail(kDecodingFailure, "{} must be an object", where);
    }
    IpConfig c;
    CAPSTAN_ASSIGN_OR_RETURN(std::string addr, OptString(e, "address", where));
    auto net = IpNet::Parse(addr);
    if (!net) {
      return CniFail(kDecodingFailure, "{}.address: {:?} is not an address/prefix", where, addr);
    }
    c.address = *net;
    CAPSTAN_ASSIGN_OR_RETURN(c.gateway, OptIp(e, "gateway", where));
    if (c.gateway && c.gateway->family() != c.address.ip.family()) {
      return CniFail(kDecodingFailure, "{}: gateway and address differ in family", where);
    }
    if (e.contains("interface") && !e["interface"].is_null()) {
      CAPSTAN_ASSIGN_OR_RETURN(auto idx, OptU32(e, "interface", where));
      if (*idx >= r.interfaces.size()) {
        return CniFail(kDecodingFailure, "{}.interface {} is not an index into interfaces", where,
                       *idx);
      }
      c.interface = static_cast<int>(*idx);
    }
    r.ips.push_back(c);
  }
  CAPSTAN_ASSIGN_OR_RETURN(Json routes, OptArray(j, "routes", "result"));
  for (size_t i = 0; i < routes.size(); ++i) {
    CAPSTAN_ASSIGN_OR_RETURN(Route rt,
                             RouteFromJson(routes[i], fmt::format("result.routes[{}]", i)));
    r.routes.push_back(rt);
  }
  if (j.contains("dns")) {
    CAPSTAN_ASSIGN_OR_RETURN(r.dns, DnsFromJson(j["dns"], "result.dns"));
  }
  return r;
}

Json DnsToJson(const Dns& d) {
  Json j = Json::object();
  if (!d.nameservers.empty()) {
    j["nameservers"] = d.nameservers;
  }
  if (!d.domain.empty()) {
    j["domain"] = d.domain;
  }
  if (!d.search.empty()) {
    j["search"] = d.search;
  }
  if (!d.options.empty()) {
    j["options"] = d.options;
  }
  return j;
}

Json ResultToJson(const AddResult& r, const std::string& version) {
  bool v11 = VersionAtLeast(version, "1.1.0");
  bool v1 = VersionAtLeast(version, "1.0.0");
  Json j = Json::object();
  j["cniVersion"] = version;
  if (!r.interfaces.empty()) {
    Json arr = Json::array();
    for (const auto& i : r.interfaces) {
      Json e{{"name", i.name}};
      if (!i.mac.empty()) {
        e["mac"] = i.mac;
      }
      if (v11 && i.mtu != 0) {
        e["mtu"] = i.mtu;
      }
      if (!i.sandbox.empty()) {
        e["sandbox"] = i.sandbox;
      }
      if (v11 && !i.socket_path.empty()) {
        e["socketPath"] = i.socket_path;
      }
      if (v11 && !i.pci_id.empty()) {
        e["pciID"] = i.pci_id;
      }
      arr.push_back(std::move(e));
    }
    j["interfaces"] = std::move(arr);
  }
  if (!r.ips.empty()) {
    Json arr = Json::array();
    for (const auto& c : r.ips) {
      Json e = Json::object();
      if (!v1) {
        e["version"] = c.address.ip.is_v4() ? "4" : "6";
      }
      if (c.interface) {
        e["interface"] = *c.interface;
      }
      e["address"] = c.address.ToString();
      if (c.gateway) {
        e["gateway"] = c.gateway->ToString();
      }
      arr.push_back(std::move(e));
    }
    j["ips"] = std::move(arr);
  }
  if (!r.routes.empty()) {
    Json arr = Json::array();
    for (const auto& rt : r.routes) {
      Json e{{"dst", rt.dst.ToString()}};
      if (rt.gw) {
        e["gw"] = rt.gw->ToString();
      }
      if (v11) {
        auto put = [&](const char* k, const std::optional<uint32_t>& v) {
          if (v) {
            e[k] = *v;
          }
        };
        put("mtu", rt.mtu);
        put("advmss", rt.advmss);
        put("priority", rt.priority);
        put("table", rt.table);
        put("scope", rt.scope);
      }
      arr.push_back(std::move(e));
    }
    j["routes"] = std::move(arr);
  }
  if (!r.dns.empty()) {
    j["dns"] = DnsToJson(r.dns);
  }
  return j;
}

}  // namespace capstan::cni
