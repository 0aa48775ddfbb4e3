#pragma once
// host-local's config: the "ipam" section (ranges as range sets, the old single-range form,
// routes, dataDir, resolvConf) plus the addresses a caller may request (CNI_ARGS IP=,
// args.cni.ips, runtimeConfig.ips) and the ipRanges runtime capability, with the reference
// plugin's defaults and checks.

#include <optional>
#include <string>
#include <vector>

#include "cni-plugins/lib/ip.h"
#include "cni-plugins/lib/result.h"
#include "cni-plugins/lib/skel.h"

namespace capstan::cni::host_local {

inline constexpr const char* kDefaultDataDir = "/var/lib/cni/networks";

struct Range {
  IpNet subnet;                   // network address and prefix
  IpAddr range_start, range_end;  // inclusive
  IpAddr gateway;

  bool Contains(const IpAddr& a) const;
  bool Overlaps(const Range& o) const;
  std::string ToString() const;  // "start-end"
};

// Ranges one address is allocated from (all of one family).
using RangeSet = std::vector<Range>;

struct IpamConf {
  std::string name;  // the network name (already validated: safe as a directory name)
  std::string cni_version;
  std::vector<RangeSet> range_sets;  // one address from each
  std::vector<Route> routes;
  std::string data_dir = kDefaultDataDir;
  std::string resolv_conf;
  std::vector<IpAddr> requested;  // addresses asked for, any order
};

// Fills in defaults (gateway = first address, range = whole subnet but network, broadcast and
// gateway) and checks the result. Codes: 6 for wrong types, 7 for invalid values.
CniResult<Range> ParseRange(const Json& j, std::string_view where);
CniResult<IpamConf> ParseIpamConf(const CmdArgs& a);

bool RangeSetContains(const RangeSet& s, const IpAddr& a);
const Range* RangeFor(const RangeSet& s, const IpAddr& a);
std::string RangeSetString(const RangeSet& s);

}  // namespace capstan::cni::host_local
