#pragma once
// Network configuration lists (CNI SPEC section 1) as the runtime reads them from its conf dir:
// *.conflist, and single-plugin *.conf/*.json files (wrapped into a one-plugin list), sorted by
// file name; the first valid one is the pod network, as libcni's users (containerd, CRI-O)
// choose it. Invalid files are skipped with the reason.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace capstan::cri::network {

struct NetworkConfigList {
  std::string name;
  std::string cni_version;                // as written in the file
  std::vector<std::string> cni_versions;  // cniVersions (1.1.0), may be empty
  bool disable_check = false;
  bool disable_gc = false;
  std::vector<nlohmann::json> plugins;  // each has a valid "type"
  std::string source;                   // the file it came from
  std::string bytes;                    // the file's (or the wrapped) JSON text
};

// The CNI versions the runtime reads results of.
const std::vector<std::string>& RuntimeCniVersions();
// -1, 0, 1 for semantic versions "a.b.c"; unparsable ones sort first.
int CompareCniVersions(std::string_view a, std::string_view b);

// InvalidArgument naming the problem (bad JSON, name, plugin type, version).
Result<NetworkConfigList> ParseConfList(std::string_view text, std::string source = "");
Result<NetworkConfigList> ParseSingleConf(std::string_view text, std::string source = "");

struct LoadedConfig {
  std::optional<NetworkConfigList> config;  // nullopt when no file is usable
  std::vector<std::string> skipped;         // "file: reason" for files that were not
};
// Reads `dir` (a missing dir is simply empty).
LoadedConfig LoadFirstConfig(const std::string& dir);

// The versions the list allows (cniVersion and cniVersions) that the runtime speaks, highest
// first.
std::vector<std::string> CandidateVersions(const NetworkConfigList& list);

// The names SPEC allows for networks (and CNI_CONTAINERID): alphanumeric first, then
// alphanumerics, '_', '.', '-'.
bool IsValidCniName(std::string_view name);
// A plugin type names an executable: no '/', not "." or "..".
bool IsValidPluginType(std::string_view type);

}  // namespace capstan::cri::network
