#include "cni-plugins/host-local/host_local.h"

#include <sstream>

#include "cni-plugins/host-local/allocator.h"
#include "cni-plugins/host-local/config.h"
#include "cni-plugins/host-local/store.h"
#include "cni-plugins/lib/netconf.h"
#include "common/file.h"

namespace capstan::cni::host_local {

namespace {

CniResult<Store> OpenStore(const IpamConf& c) {
  auto s = Store::Open(c.data_dir, c.name);
  if (!s) {
    return std::unexpected(FromError(s.error(), "opening the IPAM data directory", kIoFailure));
  }
  return std::move(*s);
}

CniResult<Store::Lock> Lock(Store& s) {
  auto l = s.Acquire();
  if (!l) {
    return std::unexpected(FromError(l.error(), "locking the IPAM data directory", kIoFailure));
  }
  return std::move(*l);
}

}  // namespace

Dns ParseResolvConf(std::string_view text) {
  Dns d;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string key;
    f >> key;
    if (key.empty() || key[0] == '#' || key[0] == ';') {
      continue;
    }
    std::vector<std::string> vals;
    for (std::string v; f >> v;) {
      vals.push_back(v);
    }
    if (key == "nameserver" && !vals.empty()) {
      d.nameservers.push_back(vals[0]);
    } else if (key == "domain" && !vals.empty()) {
      d.domain = vals[0];
    } else if (key == "search") {
      d.search = vals;
    } else if (key == "options") {
      d.options.insert(d.options.end(), vals.begin(), vals.end());
    }
  }
  return d;
}

CniResult<std::string> CmdAdd(const CmdArgs& a) {
  CAPSTAN_ASSIGN_OR_RETURN(IpamConf c, ParseIpamConf(a));
  AddResult result;
  if (!c.resolv_conf.empty()) {
    auto text = ReadFile(c.resolv_conf);
    if (!text) {
      return std::unexpected(FromError(text.error(), "reading ipam.resolvConf", kIoFailure));
    }
    result.dns = ParseResolvConf(*text);
  }
  CAPSTAN_ASSIGN_OR_RETURN(Store store, OpenStore(c));
  CAPSTAN_ASSIGN_OR_RETURN(Store::Lock lock, Lock(store));
  auto existing = store.List();
  if (!existing) {
    return std::unexpected(FromError(existing.error(), "reading allocations", kIoFailure));
  }
  std::vector<IpAddr> requested = c.requested;
  auto release_all = [&] { (void)store.ReleaseById(a.container_id, a.ifname); };
  for (size_t idx = 0; idx < c.range_sets.size(); ++idx) {
    const RangeSet& set = c.range_sets[idx];
    std::optional<IpAddr> want;
    for (auto it = requested.begin(); it != requested.end(); ++it) {
      if (RangeSetContains(set, *it)) {
        want = *it;
        requested.erase(it);
        break;
      }
    }
    Allocator alloc(set, store, static_cast<int>(idx));
    auto ip = alloc.Get(a.container_id, a.ifname, want, *existing);
    if (!ip) {
      release_all();
      CniError e = ip.error();
      e.msg = fmt::format("failed to allocate for range {}: {}", idx, e.msg);
      return std::unexpected(e);
    }
    result.ips.push_back(*ip);
  }
  if (!requested.empty()) {
    release_all();
    std::string list;
    for (const auto& ip : requested) {
      list += " " + ip.ToString();
    }
    return CniFail(kInternal, "failed to allocate all requested IPs:{}", list);
  }
  result.routes = c.routes;
  return DumpJson(ResultToJson(result, c.cni_version));
}

CniStatus CmdDel(const CmdArgs& a) {
  CAPSTAN_ASSIGN_OR_RETURN(IpamConf c, ParseIpamConf(a));
  CAPSTAN_ASSIGN_OR_RETURN(Store store, OpenStore(c));
  CAPSTAN_ASSIGN_OR_RETURN(Store::Lock lock, Lock(store));
  CNI_TRY_AS(store.ReleaseById(a.container_id, a.ifname), kIoFailure, "releasing addresses");
  return {};
}

CniStatus CmdCheck(const CmdArgs& a) {
  CAPSTAN_ASSIGN_OR_RETURN(IpamConf c, ParseIpamConf(a));
  CAPSTAN_ASSIGN_OR_RETURN(Store store, OpenStore(c));
  CAPSTAN_ASSIGN_OR_RETURN(Store::Lock lock, Lock(store));
  auto all = store.List();
  if (!all) {
    return std::unexpected(FromError(all.error(), "reading allocations", kIoFailure));
  }
  for (const auto& al : *all) {
    if (al.container_id == a.container_id && (al.ifname == a.ifname || al.ifname.empty())) {
      return {};
    }
  }
  return CniFail(kInternal, "host-local: failed to find address added by container {}",
                 a.container_id);
}

CniStatus CmdStatus(const CmdArgs& a) {
  CAPSTAN_ASSIGN_OR_RETURN(IpamConf c, ParseIpamConf(a));
  CAPSTAN_ASSIGN_OR_RETURN(Store store, OpenStore(c));
  auto all = store.List();
  if (!all) {
    return std::unexpected(FromError(all.error(), "reading allocations", kIoFailure));
  }
  for (const auto& set : c.range_sets) {
    unsigned __int128 used = 0;
    for (const auto& al : *all) {
      if (RangeSetContains(set, al.ip)) {
        ++used;
      }
    }
    if (used >= Capacity(set)) {
      return CniFail(kNotAvailable, "no IP addresses available in range set: {}",
                     RangeSetString(set));
    }
  }
  return {};
}

CniStatus CmdGc(const CmdArgs& a) {
  CAPSTAN_ASSIGN_OR_RETURN(IpamConf c, ParseIpamConf(a));
  CAPSTAN_ASSIGN_OR_RETURN(auto valid, ValidAttachments(a.config));
  std::set<std::string> valid_ids;
  for (const auto& [id, ifname] : valid) {
    valid_ids.insert(id);
  }
  CAPSTAN_ASSIGN_OR_RETURN(Store store, OpenStore(c));
  CAPSTAN_ASSIGN_OR_RETURN(Store::Lock lock, Lock(store));
  auto all = store.List();
  if (!all) {
    return std::unexpected(FromError(all.error(), "reading allocations", kIoFailure));
  }
  std::string errors;
  for (const auto& al : *all) {
    bool keep = al.ifname.empty() ? valid_ids.count(al.container_id) > 0
                                  : valid.count({al.container_id, al.ifname}) > 0;
    if (!keep) {
      if (auto st = store.Release(al.ip); !st) {
        errors += (errors.empty() ? "" : "; ") + st.error().message();
      }
    }
  }
  if (!errors.empty()) {
    return CniFail(kIoFailure, "GC: {}", errors);
  }
  return {};
}

PluginFuncs HostLocalPlugin() {
  PluginFuncs f;
  f.add = CmdAdd;
  f.del = CmdDel;
  f.check = CmdCheck;
  f.status = CmdStatus;
  f.gc = CmdGc;
  return f;
}

}  // namespace capstan::cni::host_local
