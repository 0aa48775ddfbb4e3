#include "cni-plugins/host-local/config.h"

#include "cni-plugins/lib/args.h"

namespace capstan::cni::host_local {

bool Range::Contains(const IpAddr& a) const {
  return subnet.Contains(a) && a >= range_start && a <= range_end;
}

bool Range::Overlaps(const Range& o) const {
  if (range_start.family() != o.range_start.family()) {
    return false;
  }
  return Contains(o.range_start) || Contains(o.range_end) || o.Contains(range_start) ||
         o.Contains(range_end);
}

std::string Range::ToString() const { return range_start.ToString() + "-" + range_end.ToString(); }

bool RangeSetContains(const RangeSet& s, const IpAddr& a) { return RangeFor(s, a) != nullptr; }

const Range* RangeFor(const RangeSet& s, const IpAddr& a) {
  for (const auto& r : s) {
    if (r.Contains(a)) {
      return &r;
    }
  }
  return nullptr;
}

std::string RangeSetString(const RangeSet& s) {
  std::string out;
  for (const auto& r : s) {
    out += (out.empty() ? "" : ",") + r.ToString();
  }
  return out;
}

namespace {

CniResult<std::optional<IpAddr>> OptAddr(const Json& j, const char* key, std::string_view where) {
  CAPSTAN_ASSIGN_OR_RETURN(std::string s, OptString(j, key, where));
  if (s.empty()) {
    return std::optional<IpAddr>();
  }
  auto ip = IpAddr::Parse(s);
  if (!ip) {
    return CniFail(kInvalidConfig, "{}.{}: {:?} is not an IP address", where, key, s);
  }
  return std::optional<IpAddr>(*ip);
}

CniResult<RangeSet> ParseRangeSet(const Json& j, std::string_view where) {
  if (!j.is_array() || j.empty()) {
    return CniFail(kInvalidConfig, "{} must be a non-empty list of ranges", where);
  }
  RangeSet set;
  for (size_t i = 0; i < j.size(); ++i) {
    CAPSTAN_ASSIGN_OR_RETURN(Range r, ParseRange(j[i], fmt::format("{}[{}]", where, i)));
    if (!set.empty() && set.front().subnet.ip.family() != r.subnet.ip.family()) {
      return CniFail(kInvalidConfig, "{} mixes IPv4 and IPv6 ranges", where);
    }
    for (size_t k = 0; k < set.size(); ++k) {
      if (set[k].Overlaps(r)) {
        return CniFail(kInvalidConfig, "{}: range {} overlaps with range {}", where, i, k);
      }
    }
    set.push_back(r);
  }
  return set;
}

// "10.1.2.3" or "10.1.2.3/24" (the prefix is ignored, as the reference does).
CniResult<IpAddr> ParseRequested(const std::string& s, std::string_view where) {
  std::string_view ip = s;
  ip = ip.substr(0, ip.find('/'));
  auto a = IpAddr::Parse(ip);
  if (!a) {
    return CniFail(kInvalidConfig, "{}: {:?} is not an IP address", where, s);
  }
  return *a;
}

// dataDir from a hostile config: absolute, no "..", or the default.
CniStatus ParseDataDir(const Json& ipam, std::string& out) {
  auto it = ipam.find("dataDir");
  if (it == ipam.end() || it->is_null()) {
    return {};
  }
  if (!it->is_string()) {
    return CniFail(kDecodingFailure, "ipam.dataDir must be a string");
  }
  const std::string& dir = it->get_ref<const std::string&>();
  if (dir.empty()) {
    return {};
  }
  if (!dir.starts_with('/') || dir.find("/../") != std::string::npos || dir.ends_with("/..") ||
      dir.find('\0') != std::string::npos) {
    return CniFail(kInvalidConfig, "ipam.dataDir {:?} must be an absolute path without '..'", dir);
  }
  out = dir;
  return {};
}

}  // namespace

CniResult<Range> ParseRange(const Json& j, std::string_view where) {
  if (!j.is_object()) {
    return CniFail(kDecodingFailure, "{} must be an object", where);
  }
  Range r;
  CAPSTAN_ASSIGN_OR_RETURN(std::string subnet, OptString(j, "subnet", where));
  auto net = IpNet::Parse(subnet);
  if (!net) {
    return CniFail(kInvalidConfig, "{}.subnet: {:?} is not a CIDR", where, subnet);
  }
  if (net->prefix > net->bits() - 2) {
    return CniFail(kInvalidConfig, "network {} too small to allocate from", subnet);
  }
  if (net->Network().ip != net->ip) {
    return CniFail(kInvalidConfig,
                   "{}.subnet {} has host bits set: for a prefix of {} the network address is {}",
                   where, subnet, net->prefix, net->Network().ip.ToString());
  }
  r.subnet = *net;
  CAPSTAN_ASSIGN_OR_RETURN(auto gw, OptAddr(j, "gateway", where));
  r.gateway = gw ? *gw : net->ip.Next();
  CAPSTAN_ASSIGN_OR_RETURN(auto start, OptAddr(j, "rangeStart", where));
  CAPSTAN_ASSIGN_OR_RETURN(auto end, OptAddr(j, "rangeEnd", where));
  if (start && !net->Contains(*start)) {
    return CniFail(kInvalidConfig, "rangeStart {} not in network {}", start->ToString(), subnet);
  }
  if (end && !net->Contains(*end)) {
    return CniFail(kInvalidConfig, "rangeEnd {} not in network {}", end->ToString(), subnet);
  }
  r.range_start = start ? *start : net->ip.Next();
  // The last address, but not IPv4's broadcast.
  IpAddr last = net->ip.Filled(net->prefix);
  r.range_end = end ? *end : (net->ip.is_v4() ? last.Prev() : last);
  if (r.range_start > r.range_end) {
    return CniFail(kInvalidConfig, "{}: rangeStart {} is after rangeEnd {}", where,
                   r.range_start.ToString(), r.range_end.ToString());
  }
  if (gw && gw->family() != net->ip.family()) {
    return CniFail(kInvalidConfig, "{}.gateway {} is not of the subnet's family", where,
                   gw->ToString());
  }
  return r;
}

CniResult<IpamConf> ParseIpamConf(const CmdArgs& a) {
  IpamConf c;
  const Json& conf = a.config;
  c.cni_version = a.cni_version;
  CAPSTAN_ASSIGN_OR_RETURN(c.name, OptString(conf, "name", ""));
  if (!conf.contains("ipam") || !conf["ipam"].is_object()) {
    return CniFail(kInvalidConfig, "IPAM config missing 'ipam' key");
  }
  const Json& ipam = conf["ipam"];
  CAPSTAN_TRY(ParseDataDir(ipam, c.data_dir));
  CAPSTAN_ASSIGN_OR_RETURN(c.resolv_conf, OptString(ipam, "resolvConf", "ipam"));

  // Range sets: runtimeConfig.ipRanges first, then the old single range, then ranges.
  CAPSTAN_ASSIGN_OR_RETURN(Json rc, OptObject(conf, "runtimeConfig", ""));
  CAPSTAN_ASSIGN_OR_RETURN(Json ip_ranges, OptArray(rc, "ipRanges", "runtimeConfig"));
  for (size_t i = 0; i < ip_ranges.size(); ++i) {
    CAPSTAN_ASSIGN_OR_RETURN(
        RangeSet s, ParseRangeSet(ip_ranges[i], fmt::format("runtimeConfig.ipRanges[{}]", i)));
    c.range_sets.push_back(std::move(s));
  }
  if (ipam.contains("subnet") && !ipam["subnet"].is_null()) {
    CAPSTAN_ASSIGN_OR_RETURN(Range r, ParseRange(ipam, "ipam"));
    c.range_sets.push_back({r});
  }
  CAPSTAN_ASSIGN_OR_RETURN(Json ranges, OptArray(ipam, "ranges", "ipam"));
  for (size_t i = 0; i < ranges.size(); ++i) {
    CAPSTAN_ASSIGN_OR_RETURN(RangeSet s,
                             ParseRangeSet(ranges[i], fmt::format("ipam.ranges[{}]", i)));
    c.range_sets.push_back(std::move(s));
  }
  if (c.range_sets.empty()) {
    return CniFail(kInvalidConfig, "no IP ranges specified");
  }
  for (size_t i = 0; i < c.range_sets.size(); ++i) {
    for (size_t k = i + 1; k < c.range_sets.size(); ++k) {
      for (const auto& r1 : c.range_sets[i]) {
        for (const auto& r2 : c.range_sets[k]) {
          if (r1.Overlaps(r2)) {
            return CniFail(kInvalidConfig, "range set {} overlaps with {}", i, k);
          }
        }
      }
    }
  }

  CAPSTAN_ASSIGN_OR_RETURN(Json routes, OptArray(ipam, "routes", "ipam"));
  for (size_t i = 0; i < routes.size(); ++i) {
    auto r = RouteFromJson(routes[i], fmt::format("ipam.routes[{}]", i));
    if (!r) {
      CniError e = r.error();
      e.code = kInvalidConfig;
      return std::unexpected(e);
    }
    c.routes.push_back(*r);
  }

  // Requested addresses.
  CAPSTAN_ASSIGN_OR_RETURN(CniArgs env, ParseCniArgs(a.args, {"IP"}));
  if (auto it = env.find("IP"); it != env.end() && !it->second.empty()) {
    std::string_view rest = it->second;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string one(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
      CAPSTAN_ASSIGN_OR_RETURN(IpAddr ip, ParseRequested(one, "CNI_ARGS IP"));
      c.requested.push_back(ip);
    }
  }
  CAPSTAN_ASSIGN_OR_RETURN(Json args, OptObject(conf, "args", ""));
  CAPSTAN_ASSIGN_OR_RETURN(Json cni_args, OptObject(args, "cni", "args"));
  CAPSTAN_ASSIGN_OR_RETURN(auto arg_ips, OptStringList(cni_args, "ips", "args.cni"));
  CAPSTAN_ASSIGN_OR_RETURN(auto rc_ips, OptStringList(rc, "ips", "runtimeConfig"));
  for (const auto* list : {&arg_ips, &rc_ips}) {
    for (const auto& s : *list) {
      CAPSTAN_ASSIGN_OR_RETURN(IpAddr ip, ParseRequested(s, "requested ips"));
      c.requested.push_back(ip);
    }
  }
  return c;
}

}  // namespace capstan::cni::host_local
