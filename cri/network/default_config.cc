#include "cri/network/default_config.h"

#include <nlohmann/json.hpp>

#include "common/file.h"
#include "cri/network/cni_config.h"

namespace capstan::cri::network {

using nlohmann::ordered_json;

std::string DefaultConflist(const DefaultNetworkOptions& opts) {
  ordered_json ranges = ordered_json::array();
  for (const auto& s : opts.subnets) {
    ranges.push_back(ordered_json::array({ordered_json{{"subnet", s}}}));
  }
  ordered_json bridge{{"type", "bridge"},         {"bridge", opts.bridge}, {"isGateway", true},
                      {"isDefaultGateway", true}, {"ipMasq", true},        {"hairpinMode", true}};
  if (opts.mtu != 0) {
    bridge["mtu"] = opts.mtu;
  }
  bridge["ipam"] = ordered_json{{"type", "host-local"}, {"ranges", ranges}};
  ordered_json list{
      {"cniVersion", "1.1.0"},
      {"cniVersions", {"1.0.0", "1.1.0"}},
      {"name", opts.name},
      {"plugins",
       {bridge, ordered_json{{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}},
        ordered_json{{"type", "loopback"}}}}};
  return list.dump(2) + "\n";
}

Result<bool> WriteDefaultConflist(const std::string& dir, const DefaultNetworkOptions& opts) {
  if (LoadFirstConfig(dir).config) {
    return false;
  }
  CAPSTAN_TRY(MkdirAll(dir, 0755));
  CAPSTAN_TRY(WriteFileAtomic(dir + "/" + kDefaultConflistName, DefaultConflist(opts), 0644));
  return true;
}

}  // namespace capstan::cri::network
