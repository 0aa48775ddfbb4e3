#include "cri/oci/spec.h"

#include <nlohmann/json.hpp>

#include "common/file.h"

namespace capstan::cri::oci {

using nlohmann::json;

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MountSpec, source, destination, type, options)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DeviceSpec, host_path, container_path, permissions)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Rlimit, type, soft, hard)

NLOHMANN_JSON_SERIALIZE_ENUM(SeccompKind, {{SeccompKind::kUnconfined, "unconfined"},
                                           {SeccompKind::kRuntimeDefault, "runtime/default"},
                                           {SeccompKind::kLocalhost, "localhost"}})
NLOHMANN_JSON_SERIALIZE_ENUM(NamespaceSpec::Pid, {{NamespaceSpec::Pid::kContainer, "container"},
                                                  {NamespaceSpec::Pid::kNode, "node"},
                                                  {NamespaceSpec::Pid::kTarget, "target"}})

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SecuritySpec, privileged, no_new_privs,
                                                capabilities, ambient_capabilities, seccomp,
                                                seccomp_profile, masked_paths, readonly_paths,
                                                readonly_rootfs)

void to_json(json& j, const ProcessSpec& p) {
  j = json{{"args", p.args},         {"env", p.env},        {"cwd", p.cwd},
           {"uid", p.uid},           {"gid", p.gid},        {"additional_gids", p.additional_gids},
           {"terminal", p.terminal}, {"rlimits", p.rlimits}};
  if (p.oom_score_adj) {
    j["oom_score_adj"] = *p.oom_score_adj;
  }
}
void from_json(const json& j, ProcessSpec& p) {
  p.args = j.value("args", std::vector<std::string>{});
  p.env = j.value("env", std::vector<std::string>{});
  p.cwd = j.value("cwd", std::string("/"));
  p.uid = j.value("uid", 0u);
  p.gid = j.value("gid", 0u);
  p.additional_gids = j.value("additional_gids", std::vector<gid_t>{});
  p.terminal = j.value("terminal", false);
  p.rlimits = j.value("rlimits", std::vector<Rlimit>{});
  if (j.contains("oom_score_adj")) {
    p.oom_score_adj = j.at("oom_score_adj").get<int>();
  }
}

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NamespaceSpec, net, ipc, uts, pid, pid_path)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ContainerSpec, id, rootfs, hostname, process,
                                                namespaces, security, mounts, devices,
                                                rootfs_propagation, cgroup_dirs)

std::string SpecToJson(const ContainerSpec& spec) { return json(spec).dump(); }

Result<ContainerSpec> SpecFromJson(std::string_view text) {
  try {
    return json::parse(text).get<ContainerSpec>();
  } catch (const json::exception& e) {
    return Fail(Code::kInvalidArgument, "parsing container spec: {}", e.what());
  }
}

Result<ContainerSpec> LoadSpec(const std::string& path) {
  CAPSTAN_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return SpecFromJson(text);
}

}  // namespace capstan::cri::oci
