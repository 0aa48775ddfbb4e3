#include "cri/network/cni_exec.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "common/process.h"
#include "cri/network/cni_config.h"

extern char** environ;

namespace capstan::cri::network {

Result<std::string> CniExec::Find(const std::string& type) const {
  if (!IsValidPluginType(type)) {
    return Fail(Code::kInvalidArgument, "plugin type {:?} is not a valid executable name", type);
  }
  for (const auto& dir : bin_dirs_) {
    std::string p = dir + "/" + type;
    struct stat st;
    if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0) {
      return p;
    }
  }
  std::string dirs;
  for (const auto& d : bin_dirs_) {
    dirs += (dirs.empty() ? "" : ", ") + d;
  }
  return Fail(Code::kNotFound, "CNI plugin {:?} not found in [{}]", type, dirs);
}

std::string CniExec::CniPath() const {
  std::string out;
  for (const auto& d : bin_dirs_) {
    out += (out.empty() ? "" : ":") + d;
  }
  return out;
}

Result<std::string> CniExec::Run(const std::string& type, const CniInvocation& inv) const {
  CAPSTAN_ASSIGN_OR_RETURN(std::string path, Find(type));
  SpawnOptions opts;
  opts.argv = {path};
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "CNI_", 4) != 0) {
      env.emplace_back(*e);
    }
  }
  env.push_back("CNI_COMMAND=" + inv.command);
  if (inv.command != "VERSION" && inv.command != "STATUS" && inv.command != "GC") {
    env.push_back("CNI_CONTAINERID=" + inv.container_id);
    env.push_back("CNI_NETNS=" + inv.netns);
    env.push_back("CNI_IFNAME=" + inv.ifname);
    env.push_back("CNI_ARGS=" + inv.cni_args);
  }
  env.push_back("CNI_PATH=" + CniPath());
  opts.env = std::move(env);
  opts.stdin_data = inv.stdin_json;
  CAPSTAN_ASSIGN_OR_RETURN(CommandOutput out, RunCommand(opts, timeout_, 8 << 20));
  if (out.exit_code == 0) {
    return std::move(out.out);
  }
  auto j = nlohmann::json::parse(out.out, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("code") && j["code"].is_number_integer()) {
    int code = j["code"].get<int>();
    std::string msg = j.contains("msg") && j["msg"].is_string() ? j["msg"].get<std::string>() : "";
    std::string details =
        j.contains("details") && j["details"].is_string() ? j["details"].get<std::string>() : "";
    return Fail(code == 11 ? Code::kUnavailable : Code::kInternal, "plugin {} {}: {} (code {}){}",
                type, inv.command, msg, code, details.empty() ? "" : ": " + details);
  }
  std::string err = out.err.substr(0, 1024);
  while (!err.empty() && err.back() == '\n') {
    err.pop_back();
  }
  return Fail(Code::kInternal, "plugin {} {} failed (exit {}, signal {}): {}", type, inv.command,
              out.exit_code, out.signal, err.empty() ? out.out.substr(0, 1024) : err);
}

}  // namespace capstan::cri::network
