// CniNetworkPlugin: set-up, tear-down and check of a pod's attachment.
#include "cri/network/cni_plugin.h"

#include "common/file.h"
#include "common/log.h"

namespace capstan::cri::network {

using nlohmann::json;

namespace {

const log::Logger kLog("cri.network");

std::string PluginType(const json& plugin) { return plugin.value("type", ""); }

// The address part of "10.1.2.3/24".
std::string StripPrefix(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

}  // namespace

CniNetworkPlugin::CniNetworkPlugin(CniOptions opts)
    : opts_(std::move(opts)), exec_(opts_.bin_dirs, opts_.timeout), cache_(opts_.cache_dir) {}

void CniNetworkPlugin::SetPodCidrs(std::vector<std::string> cidrs) {
  std::lock_guard lock(mu_);
  pod_cidrs_ = std::move(cidrs);
}

PodNetworkStatus PodIpsFromResult(const json& result) {
  PodNetworkStatus st;
  if (!result.is_object() || !result.contains("ips") || !result["ips"].is_array()) {
    return st;
  }
  const json* ifaces = result.contains("interfaces") && result["interfaces"].is_array()
                           ? &result["interfaces"]
                           : nullptr;
  std::vector<std::string> v4, v6;
  for (const auto& ip : result["ips"]) {
    if (!ip.is_object() || !ip.contains("address") || !ip["address"].is_string()) {
      continue;
    }
    // Addresses of host-side interfaces (a gateway a plugin reports) are not the pod's.
    if (ip.contains("interface") && ip["interface"].is_number_unsigned() && ifaces != nullptr) {
      size_t idx = ip["interface"].get<size_t>();
      if (idx < ifaces->size() && (*ifaces)[idx].value("sandbox", "").empty()) {
        continue;
      }
    }
    std::string addr = StripPrefix(ip["address"].get<std::string>());
    (addr.find(':') == std::string::npos ? v4 : v6).push_back(addr);
  }
  v4.insert(v4.end(), v6.begin(), v6.end());
  if (!v4.empty()) {
    st.ip = v4.front();
    st.additional_ips.assign(v4.begin() + 1, v4.end());
  }
  return st;
}

json CniNetworkPlugin::Request(const Network& net, const json& plugin, const json& caps,
                               const json* prev) const {
  json req = plugin;
  req["cniVersion"] = net.version;
  req["name"] = net.list.name;
  json rc = json::object();
  if (auto it = plugin.find("capabilities"); it != plugin.end() && it->is_object()) {
    for (const auto& [key, enabled] : it->items()) {
      if (enabled.is_boolean() && enabled.get<bool>() && caps.contains(key)) {
        rc[key] = caps[key];
      }
    }
  }
  // Both are the runtime's to generate (SPEC section 1, "reserved keys").
  req.erase("capabilities");
  req.erase("runtimeConfig");
  if (!rc.empty()) {
    req["runtimeConfig"] = std::move(rc);
  }
  if (prev != nullptr && !prev->is_null()) {
    req["prevResult"] = *prev;
  }
  return req;
}

Result<json> CniNetworkPlugin::AddChain(const Network& net, const CniInvocation& base,
                                        const json& caps) const {
  json prev;
  for (const auto& plugin : net.list.plugins) {
    CniInvocation inv = base;
    inv.command = "ADD";
    inv.stdin_json = Request(net, plugin, caps, prev.is_null() ? nullptr : &prev).dump();
    auto out = exec_.Run(PluginType(plugin), inv);
    json parsed;
    if (out) {
      parsed = json::parse(*out, nullptr, /*allow_exceptions=*/false);
    }
    if (!out || !parsed.is_object()) {
      Error err = out ? Error(Code::kInternal, fmt::format("plugin {} ADD returned no result: {:?}",
                                                           PluginType(plugin), out->substr(0, 200)))
                      : out.error();
      // Undo what the chain did so far before reporting (a failed ADD is always followed by
      // DEL, SPEC section 3).
      if (auto st = DelChain(net, base, caps, prev.is_null() ? nullptr : &prev); !st) {
        kLog.Warn("cleaning up after a failed ADD",
                  {{"sandbox", base.container_id}, {"error", st.error().message()}});
      }
      return Fail(err.Wrap("network {}", net.list.name));
    }
    prev = std::move(parsed);
  }
  return prev;
}

Status CniNetworkPlugin::DelChain(const Network& net, const CniInvocation& base, const json& caps,
                                  const json* prev) const {
  for (auto it = net.list.plugins.rbegin(); it != net.list.plugins.rend(); ++it) {
    CniInvocation inv = base;
    inv.command = "DEL";
    inv.stdin_json = Request(net, *it, caps, prev).dump();
    CAPSTAN_TRY_WRAP(exec_.Run(PluginType(*it), inv), "network {}", net.list.name);
  }
  return Ok();
}

Result<PodNetworkStatus> CniNetworkPlugin::SetUpPod(const PodNetworkRequest& req) {
  std::shared_lock gc(gc_mu_);
  std::string why;
  std::optional<Network> net = CurrentNetwork(&why);
  if (!net) {
    // Loopback only (the sandbox's namespace has lo up); Status reports NetworkReady=false.
    kLog.Debug("no usable CNI network; pod gets loopback only",
               {{"sandbox", req.sandbox_id}, {"reason", why}});
    return PodNetworkStatus{};
  }
  CniArgList args = PodCniArgs(req.sandbox_id, req.config);
  json caps;
  {
    std::lock_guard lock(mu_);
    caps = PodCapabilityArgs(req.config, pod_cidrs_);
  }
  CniInvocation base{"", req.sandbox_id, req.netns_path, opts_.ifname, JoinCniArgs(args), ""};
  CAPSTAN_ASSIGN_OR_RETURN(json result, AddChain(*net, base, caps));

  CachedAttachment a{req.sandbox_id,  opts_.ifname, net->list.name, req.netns_path,
                     net->list.bytes, args,         caps,           result};
  if (auto st = cache_.Save(a); !st) {
    // Without the cached result DEL could not release what ADD took: undo now.
    (void)DelChain(*net, base, caps, &result);
    return Fail(st.error().Wrap("caching the CNI result"));
  }
  PodNetworkStatus status = PodIpsFromResult(result);
  kLog.Info("pod network set up",
            {{"sandbox", req.sandbox_id}, {"network", net->list.name}, {"ip", status.ip}});
  return status;
}

Status CniNetworkPlugin::DeleteCached(const CachedAttachment& a) const {
  auto list = ParseSingleConf(a.config_bytes, "cached config of " + a.container_id);
  if (!list) {
    return Fail(list.error().Wrap("the cached network config of {}", a.container_id));
  }
  Network net{*list, ""};
  // DEL speaks the version ADD did: the cached result records it.
  if (a.result.is_object() && a.result.contains("cniVersion") &&
      a.result["cniVersion"].is_string()) {
    net.version = a.result["cniVersion"];
  } else {
    CAPSTAN_ASSIGN_OR_RETURN(net.version, NegotiateVersion(net.list));
  }
  // A namespace that is gone is passed as none: plugins then release what they can.
  std::string netns = !a.netns.empty() && PathExists(a.netns) ? a.netns : "";
  CniInvocation base{"", a.container_id, netns, a.ifname, JoinCniArgs(a.cni_args), ""};
  CAPSTAN_TRY(DelChain(net, base, a.capability_args, a.result.is_null() ? nullptr : &a.result));
  return cache_.Remove(a);
}

Status CniNetworkPlugin::TearDownPod(const PodNetworkRequest& req) {
  std::shared_lock gc(gc_mu_);
  CAPSTAN_ASSIGN_OR_RETURN(auto cached, cache_.Find(req.sandbox_id, opts_.ifname));
  if (!cached.empty()) {
    for (const auto& a : cached) {
      CAPSTAN_TRY(DeleteCached(a));
    }
    kLog.Info("pod network torn down", {{"sandbox", req.sandbox_id}});
    return Ok();
  }
  // Nothing cached: the pod was set up without a network, or the cache was lost. DEL with the
  // current config is harmless either way (DEL is idempotent) and releases what it can.
  std::optional<Network> net = CurrentNetwork(nullptr);
  if (!net) {
    return Ok();
  }
  std::string netns = PathExists(req.netns_path) ? req.netns_path : "";
  CniInvocation base{
      "", req.sandbox_id, netns, opts_.ifname, JoinCniArgs(PodCniArgs(req.sandbox_id, req.config)),
      ""};
  json caps;
  {
    std::lock_guard lock(mu_);
    caps = PodCapabilityArgs(req.config, pod_cidrs_);
  }
  return DelChain(*net, base, caps, nullptr);
}

Status CniNetworkPlugin::CheckPod(const PodNetworkRequest& req) {
  std::shared_lock gc(gc_mu_);
  CAPSTAN_ASSIGN_OR_RETURN(auto cached, cache_.Find(req.sandbox_id, opts_.ifname));
  if (cached.empty()) {
    return Fail(Code::kNotFound, "no CNI attachment cached for sandbox {}", req.sandbox_id);
  }
  for (const auto& a : cached) {
    CAPSTAN_ASSIGN_OR_RETURN(NetworkConfigList list, ParseSingleConf(a.config_bytes, "cached"));
    std::string version = a.result.value("cniVersion", list.cni_version);
    if (list.disable_check || CompareCniVersions(version, "0.4.0") < 0) {
      continue;
    }
    Network net{list, version};
    CniInvocation base{"CHECK", a.container_id, a.netns, a.ifname, JoinCniArgs(a.cni_args), ""};
    for (const auto& plugin : list.plugins) {
      CniInvocation inv = base;
      inv.stdin_json = Request(net, plugin, a.capability_args, &a.result).dump();
      CAPSTAN_TRY_WRAP(exec_.Run(PluginType(plugin), inv), "network {}", list.name);
    }
  }
  return Ok();
}

}  // namespace capstan::cri::network
