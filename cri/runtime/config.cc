#include "cri/runtime/config.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include "common/file.h"

namespace capstan::cri::runtime {
namespace {

Status CheckKeys(const YAML::Node& node, const std::string& where,
                 const std::set<std::string>& known) {
  if (!node.IsMap()) {
    return Fail(Code::kInvalidArgument, "config: {} must be a mapping", where);
  }
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    if (!known.count(key)) {
      return Fail(Code::kInvalidArgument, "config: unknown key {:?} in {}", key, where);
    }
  }
  return Ok();
}

}  // namespace

Result<RuntimeConfig> ParseRuntimeConfig(std::string_view text) {
  RuntimeConfig c;
  std::string current = "(top level)";
  try {
    YAML::Node doc = YAML::Load(std::string(text));
    if (doc.IsNull()) {
      return c;
    }
    CAPSTAN_TRY(CheckKeys(doc, "the top level",
                          {"root", "state", "listen", "cgroup_driver", "cgroup_root", "cni",
                           "registry", "runtime", "monitor_path", "streaming"}));
    auto str = [&](const YAML::Node& n, const char* key, std::string& out) {
      if (n[key]) {
        current = key;
        out = n[key].as<std::string>();
      }
    };
    str(doc, "root", c.root);
    str(doc, "state", c.state);
    str(doc, "listen", c.listen);
    str(doc, "cgroup_driver", c.cgroup_driver);
    str(doc, "cgroup_root", c.cgroup_root);
    str(doc, "monitor_path", c.monitor_path);
    if (c.cgroup_driver != "cgroupfs" && c.cgroup_driver != "systemd") {
      return Fail(Code::kInvalidArgument, "config: cgroup_driver must be cgroupfs or systemd");
    }
    if (auto cni = doc["cni"]) {
      CAPSTAN_TRY(CheckKeys(cni, "cni", {"conf_dir", "bin_dirs", "cache_dir"}));
      str(cni, "conf_dir", c.cni_conf_dir);
      str(cni, "cache_dir", c.cni_cache_dir);
      if (cni["bin_dirs"]) {
        current = "cni.bin_dirs";
        c.cni_bin_dirs = cni["bin_dirs"].as<std::vector<std::string>>();
      }
    }
    if (auto reg = doc["registry"]) {
      CAPSTAN_TRY(CheckKeys(reg, "registry", {"insecure", "mirrors"}));
      if (reg["insecure"]) {
        current = "registry.insecure";
        c.insecure_registries = reg["insecure"].as<std::vector<std::string>>();
      }
      if (reg["mirrors"]) {
        current = "registry.mirrors";
        c.registry_mirrors = reg["mirrors"].as<std::map<std::string, std::vector<std::string>>>();
      }
    }
    if (auto st = doc["streaming"]) {
      CAPSTAN_TRY(CheckKeys(st, "streaming", {"address", "port", "idle_timeout_seconds"}));
      str(st, "address", c.stream_address);
      if (st["port"]) {
        current = "streaming.port";
        c.stream_port = st["port"].as<int>();
        if (c.stream_port < 0 || c.stream_port > 65535) {
          return Fail(Code::kInvalidArgument, "config: streaming.port must be 0 to 65535");
        }
      }
      if (st["idle_timeout_seconds"]) {
        current = "streaming.idle_timeout_seconds";
        c.stream_idle_timeout_seconds = st["idle_timeout_seconds"].as<int64_t>();
      }
    }
    if (auto rt = doc["runtime"]) {
      CAPSTAN_TRY(CheckKeys(rt, "runtime",
                            {"default_rlimits", "shm_size", "max_exec_output", "pids_limit"}));
      if (rt["default_rlimits"]) {
        current = "runtime.default_rlimits";
        c.default_rlimits.clear();
        for (const auto& kv : rt["default_rlimits"]) {
          auto v = kv.second.as<std::vector<uint64_t>>();
          if (v.size() != 2) {
            return Fail(Code::kInvalidArgument, "config: {} needs [soft, hard]",
                        kv.first.as<std::string>());
          }
          c.default_rlimits[kv.first.as<std::string>()] = {v[0], v[1]};
        }
      }
      if (rt["shm_size"]) {
        current = "runtime.shm_size";
        c.shm_size = rt["shm_size"].as<uint64_t>();
      }
      if (rt["pids_limit"]) {
        current = "runtime.pids_limit";
        c.pids_limit = rt["pids_limit"].as<int64_t>();
      }
      if (rt["max_exec_output"]) {
        current = "runtime.max_exec_output";
        c.max_exec_output = rt["max_exec_output"].as<uint64_t>();
      }
    }
  } catch (const YAML::Exception& e) {
    return Fail(Code::kInvalidArgument, "config: {}: {}", current, e.what());
  }
  return c;
}

Result<RuntimeConfig> LoadRuntimeConfig(const std::string& path) {
  CAPSTAN_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto c = ParseRuntimeConfig(text);
  if (!c) {
    return Fail(c.error().Wrap("{}", path));
  }
  return c;
}

}  // namespace capstan::cri::runtime
