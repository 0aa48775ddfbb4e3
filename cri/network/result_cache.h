#pragma once
// What ADD returned, kept on disk so that DEL and CHECK get it back, also after a restart of
// capstan-cri and after the config file changed or went away (DEL then runs with the config
// ADD used). The format and file names are libcni's (cniCacheV1 under <dir>/results/
// <network>-<containerID>-<ifname>), so tools that read libcni's cache read ours.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace capstan::cri::network {

struct CachedAttachment {
  std::string container_id;
  std::string ifname;
  std::string network_name;
  std::string netns;
  std::string config_bytes;  // the network config list ADD ran with
  std::vector<std::pair<std::string, std::string>> cni_args;
  nlohmann::json capability_args = nlohmann::json::object();
  nlohmann::json result;  // the final ADD result (null when unknown)
  // Written by capstan-cri (an extra key libcni ignores): other runtimes may share the cache
  // directory, and GC must never touch their attachments.
  bool ours = true;
};

class ResultCache {
 public:
  // `dir` is the cache root (libcni's /var/lib/cni); files go under dir/results.
  explicit ResultCache(std::string dir) : dir_(std::move(dir) + "/results") {}

  Status Save(const CachedAttachment& a) const;
  // Every cached attachment of (container, ifname), whatever the network.
  Result<std::vector<CachedAttachment>> Find(const std::string& container_id,
                                             const std::string& ifname) const;
  Result<std::vector<CachedAttachment>> All() const;
  // Missing is success.
  Status Remove(const CachedAttachment& a) const;

  const std::string& dir() const { return dir_; }

 private:
  std::string PathFor(const std::string& net, const std::string& id,
                      const std::string& ifname) const;
  std::string dir_;
};

std::string Base64Encode(std::string_view in);
std::optional<std::string> Base64Decode(std::string_view in);

}  // namespace capstan::cri::network
