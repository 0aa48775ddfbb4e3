// CniNetworkPlugin: which network is current, its version, readiness (NetworkReady) and GC.
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "common/log.h"
#include "cri/network/cni_plugin.h"

namespace capstan::cri::network {

using nlohmann::json;

namespace {

const log::Logger kLog("cri.network");

std::vector<std::string> PluginTypes(const NetworkConfigList& list) {
  std::vector<std::string> types;
  for (const auto& p : list.plugins) {
    types.push_back(p.value("type", ""));
    if (auto ipam = p.find("ipam"); ipam != p.end() && ipam->is_object()) {
      std::string t = ipam->value("type", "");
      if (!t.empty()) {
        types.push_back(t);
      }
    }
  }
  return types;
}

}  // namespace

Result<std::vector<std::string>> CniNetworkPlugin::PluginVersions(const std::string& type) const {
  CAPSTAN_ASSIGN_OR_RETURN(std::string path, exec_.Find(type));
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return FailErrno("stat {}", path);
  }
  std::string key = fmt::format("{}:{}:{}:{}", path, st.st_ino, st.st_mtim.tv_sec, st.st_size);
  {
    std::lock_guard lock(mu_);
    if (auto it = versions_.find(key); it != versions_.end()) {
      return it->second;
    }
  }
  CniInvocation inv;
  inv.command = "VERSION";
  inv.stdin_json = R"({"cniVersion":"0.4.0"})";
  CAPSTAN_ASSIGN_OR_RETURN(std::string out, exec_.Run(type, inv));
  json j = json::parse(out, nullptr, /*allow_exceptions=*/false);
  std::vector<std::string> versions;
  if (j.is_object() && j.contains("supportedVersions") && j["supportedVersions"].is_array()) {
    for (const auto& v : j["supportedVersions"]) {
      if (v.is_string()) {
        versions.push_back(v);
      }
    }
  }
  if (versions.empty()) {
    return Fail(Code::kInternal, "plugin {} answered VERSION with {:?}", type, out.substr(0, 200));
  }
  std::lock_guard lock(mu_);
  versions_[key] = versions;
  return versions;
}

Result<std::string> CniNetworkPlugin::NegotiateVersion(const NetworkConfigList& list) const {
  std::vector<std::string> candidates = CandidateVersions(list);
  std::vector<std::vector<std::string>> supported;
  for (const auto& type : PluginTypes(list)) {
    CAPSTAN_ASSIGN_OR_RETURN(auto v, PluginVersions(type));
    supported.push_back(std::move(v));
  }
  for (const auto& c : candidates) {
    bool all = std::all_of(supported.begin(), supported.end(), [&](const auto& s) {
      return std::find(s.begin(), s.end(), c) != s.end();
    });
    if (all) {
      return c;
    }
  }
  std::string allowed;
  for (const auto& c : candidates) {
    allowed += (allowed.empty() ? "" : ", ") + c;
  }
  return Fail(Code::kFailedPrecondition,
              "network {}: no CNI version among [{}] is supported by all of its plugins", list.name,
              allowed);
}

std::optional<CniNetworkPlugin::Network> CniNetworkPlugin::CurrentNetwork(std::string* why) const {
  LoadedConfig loaded = LoadFirstConfig(opts_.conf_dir);
  for (const auto& s : loaded.skipped) {
    kLog.Warn("skipping CNI config", {{"reason", s}});
  }
  if (!loaded.config) {
    if (why != nullptr) {
      *why = fmt::format("no valid CNI network config in {}", opts_.conf_dir);
    }
    return std::nullopt;
  }
  auto version = NegotiateVersion(*loaded.config);
  if (!version) {
    if (why != nullptr) {
      *why = version.error().message();
    }
    return std::nullopt;
  }
  return Network{std::move(*loaded.config), *version};
}

Status CniNetworkPlugin::Ready() const {
  std::string why;
  std::optional<Network> net = CurrentNetwork(&why);
  if (!net) {
    return Fail(Code::kFailedPrecondition, "{}", why);
  }
  for (const auto& type : PluginTypes(net->list)) {
    CAPSTAN_TRY(exec_.Find(type));
  }
  if (CompareCniVersions(net->version, "1.1.0") < 0) {
    return Ok();
  }
  // 1.1.0 plugins can say they cannot serve ADD (e.g. no addresses left).
  {
    std::lock_guard lock(mu_);
    if (std::chrono::steady_clock::now() - status_checked_ < opts_.status_ttl) {
      return status_cached_;
    }
  }
  Status st = Ok();
  for (const auto& plugin : net->list.plugins) {
    CniInvocation inv;
    inv.command = "STATUS";
    inv.stdin_json = Request(*net, plugin, json::object(), nullptr).dump();
    if (auto out = exec_.Run(plugin.value("type", ""), inv); !out) {
      st = Fail(out.error());
      break;
    }
  }
  std::lock_guard lock(mu_);
  status_checked_ = std::chrono::steady_clock::now();
  status_cached_ = st;
  return st;
}

Status CniNetworkPlugin::GarbageCollect(const std::vector<std::string>& live_sandbox_ids) {
  std::unique_lock gc(gc_mu_);
  std::set<std::string> live(live_sandbox_ids.begin(), live_sandbox_ids.end());
  CAPSTAN_ASSIGN_OR_RETURN(auto cached, cache_.All());
  std::vector<std::string> errors;
  json valid = json::array();
  std::optional<Network> net = CurrentNetwork(nullptr);
  for (const auto& a : cached) {
    if (!a.ours) {
      continue;  // another runtime's (the cache dir may be shared, as libcni's default is)
    }
    if (live.count(a.container_id)) {
      if (net && a.network_name == net->list.name) {
        valid.push_back(json{{"containerID", a.container_id}, {"ifname", a.ifname}});
      }
      continue;
    }
    // A sandbox that is gone but still holds its network (capstan-cri died between ADD and
    // recording the sandbox, say): DEL it as StopPodSandbox would have.
    if (auto st = DeleteCached(a); !st) {
      errors.push_back(st.error().message());
    } else {
      kLog.Info("released the network of a sandbox that is gone", {{"sandbox", a.container_id}});
    }
  }
  if (net && !net->list.disable_gc && CompareCniVersions(net->version, "1.1.0") >= 0) {
    for (const auto& plugin : net->list.plugins) {
      json req = Request(*net, plugin, json::object(), nullptr);
      req["cni.dev/valid-attachments"] = valid;
      CniInvocation inv;
      inv.command = "GC";
      inv.stdin_json = req.dump();
      // GC continues past errors and reports them all (SPEC section 3).
      if (auto out = exec_.Run(plugin.value("type", ""), inv); !out) {
        errors.push_back(out.error().message());
      }
    }
  }
  if (!errors.empty()) {
    std::string all;
    for (const auto& e : errors) {
      all += (all.empty() ? "" : "; ") + e;
    }
    return Fail(Code::kInternal, "CNI GC: {}", all);
  }
  return Ok();
}

}  // namespace capstan::cri::network
