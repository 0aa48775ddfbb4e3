#pragma once
// CniNetworkPlugin: pod networking through CNI plugins (SPEC section 3, the runtime's side).
//
// - The network is the first usable config in the conf dir (cni_config.h), re-read on every
//   call, so a config written after start-up (or changed) is picked up by the next pod and the
//   next Status. Without one, pods get their loopback only and Ready() says why.
// - The CNI version is the highest the list allows that every plugin of it reports (VERSION,
//   asked once per executable), so a 1.1.0 list still works with plugins that stop at 1.0.0.
// - ADD runs the chain with each plugin's prevResult and the runtime config its capabilities
//   ask for; the final result is cached (result_cache.h) before the pod is reported up, and a
//   failed ADD is undone with DEL at once. DEL runs the chain backwards with the cached config
//   and result, also after a restart; GC deletes cached attachments of sandboxes that are gone
//   and then asks the plugins (1.1.0) to drop anything else.
//
// Thread safety: all methods may be called concurrently for different sandboxes (the plugins
// lock their own shared state, e.g. host-local's directory); GarbageCollect excludes ADD and
// DEL while it runs, as the spec requires.

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cri/network/capability_args.h"
#include "cri/network/cni_config.h"
#include "cri/network/cni_exec.h"
#include "cri/network/network_plugin.h"
#include "cri/network/result_cache.h"

namespace capstan::cri::network {

struct CniOptions {
  std::string conf_dir = "/etc/cni/net.d";
  std::vector<std::string> bin_dirs = {"/opt/cni/bin"};
  std::string cache_dir = "/var/lib/cni";  // results under <cache_dir>/results
  std::string ifname = "eth0";
  std::chrono::milliseconds timeout = std::chrono::seconds(90);  // per plugin call
  // How long a STATUS answer is reused (the kubelet asks for Status every few seconds).
  std::chrono::milliseconds status_ttl = std::chrono::seconds(2);
};

class CniNetworkPlugin : public NetworkPlugin {
 public:
  explicit CniNetworkPlugin(CniOptions opts);

  Result<PodNetworkStatus> SetUpPod(const PodNetworkRequest& req) override;
  Status TearDownPod(const PodNetworkRequest& req) override;
  Status Ready() const override;
  void SetPodCidrs(std::vector<std::string> cidrs) override;
  Status GarbageCollect(const std::vector<std::string>& live_sandbox_ids) override;

  // CHECK of a pod's attachment against its cached result (skipped when the list sets
  // disableCheck or its version predates CHECK).
  Status CheckPod(const PodNetworkRequest& req);

 private:
  struct Network {
    NetworkConfigList list;
    std::string version;  // negotiated
  };
  // Re-reads the conf dir; nullopt when nothing is usable (the reason goes to *why).
  std::optional<Network> CurrentNetwork(std::string* why) const;
  // The version for `list` that every plugin supports.
  Result<std::string> NegotiateVersion(const NetworkConfigList& list) const;
  Result<std::vector<std::string>> PluginVersions(const std::string& type) const;

  nlohmann::json Request(const Network& net, const nlohmann::json& plugin,
                         const nlohmann::json& caps, const nlohmann::json* prev) const;
  Result<nlohmann::json> AddChain(const Network& net, const CniInvocation& base,
                                  const nlohmann::json& caps) const;
  Status DelChain(const Network& net, const CniInvocation& base, const nlohmann::json& caps,
                  const nlohmann::json* prev) const;
  Status DeleteCached(const CachedAttachment& a) const;

  CniOptions opts_;
  CniExec exec_;
  ResultCache cache_;

  mutable std::shared_mutex gc_mu_;  // shared: ADD/DEL/CHECK; exclusive: GC
  mutable std::mutex mu_;            // guards the members below
  std::vector<std::string> pod_cidrs_;
  // VERSION answers by executable identity (path, inode, mtime, size).
  mutable std::map<std::string, std::vector<std::string>> versions_;
  mutable std::chrono::steady_clock::time_point status_checked_;
  mutable Status status_cached_;
};

// The pod's addresses in an ADD result: those of the container interfaces, IPv4 first.
PodNetworkStatus PodIpsFromResult(const nlohmann::json& result);

}  // namespace capstan::cri::network
