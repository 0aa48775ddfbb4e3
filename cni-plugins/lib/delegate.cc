#include "cni-plugins/lib/delegate.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cni-plugins/lib/validate.h"
#include "common/process.h"

extern char** environ;

namespace capstan::cni {

CniResult<std::string> FindPlugin(const std::string& type, const std::string& cni_path) {
  if (!IsValidPluginType(type)) {
    return CniFail(kInvalidConfig, "plugin type {:?} is not a valid executable name", type);
  }
  if (cni_path.empty()) {
    return CniFail(kInvalidEnvironment, "CNI_PATH is required to find plugin {:?}", type);
  }
  size_t pos = 0;
  while (pos <= cni_path.size()) {
    size_t end = cni_path.find(':', pos);
    std::string dir = cni_path.substr(pos, end == std::string::npos ? end : end - pos);
    pos = end == std::string::npos ? cni_path.size() + 1 : end + 1;
    if (dir.empty()) {
      continue;
    }
    std::string candidate = dir + "/" + type;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return CniFail(kInternal, "failed to find plugin {:?} in path [{}]", type, cni_path);
}

namespace {

// The builtin named `type` when `path` is this very executable (a link to it), else null.
const Builtin* SelfBuiltin(const std::string& type, const std::string& path,
                           std::span<const Builtin> builtins) {
  struct stat self, found;
  if (builtins.empty() || ::stat("/proc/self/exe", &self) != 0 ||
      ::stat(path.c_str(), &found) != 0 || self.st_dev != found.st_dev ||
      self.st_ino != found.st_ino) {
    return nullptr;
  }
  for (const auto& b : builtins) {
    if (b.name == type) {
      return &b;
    }
  }
  return nullptr;
}

// The delegate's error result as our error.
CniError DelegateError(const std::string& type, const std::string& command, const std::string& out,
                       int exit_code, int signal) {
  auto j = ParseJsonObject(out, "delegate error");
  if (j && j->contains("code") && (*j)["code"].is_number_integer()) {
    CniError e;
    e.code = (*j)["code"].get<int>();
    e.msg = j->value("msg", std::string());
    if (j->contains("details") && (*j)["details"].is_string()) {
      e.details = (*j)["details"];
    }
    if (e.msg.empty()) {
      e.msg = fmt::format("{} {} failed", type, command);
    }
    return e;
  }
  return CniError{kInternal,
                  fmt::format("{} {} failed (exit {}, signal {}): {}", type, command, exit_code,
                              signal, out.substr(0, 512)),
                  ""};
}

}  // namespace

CniResult<std::string> ExecDelegate(const std::string& type, const std::string& command,
                                    const CmdArgs& args) {
  CAPSTAN_ASSIGN_OR_RETURN(std::string path, FindPlugin(type, args.path));
  if (const Builtin* self = SelfBuiltin(type, path, args.builtins)) {
    // The delegate is this executable: run it here, through the same protocol code, with the
    // same environment (CNI_COMMAND replaced) and stdin. Saves a fork and exec per call.
    PluginIo io;
    io.getenv = [&command](const char* k) {
      return std::strcmp(k, "CNI_COMMAND") == 0 ? command.c_str() : std::getenv(k);
    };
    io.stdin_data = args.stdin_data;
    io.builtins = args.builtins;
    PluginOutcome o = RunPlugin(type, self->funcs(), io);
    if (o.exit_code != 0) {
      return std::unexpected(DelegateError(type, command, o.out, o.exit_code, 0));
    }
    return std::move(o.out);
  }
  SpawnOptions opts;
  opts.argv = {path};
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "CNI_COMMAND=", 12) != 0) {
      env.emplace_back(*e);
    }
  }
  env.push_back("CNI_COMMAND=" + command);
  opts.env = std::move(env);
  opts.stdin_data = args.stdin_data;
  auto out = RunCommand(opts, std::chrono::seconds(60), 4 << 20);
  if (!out) {
    return std::unexpected(FromError(out.error(), fmt::format("running {} {}", type, command)));
  }
  if (!out->err.empty()) {
    std::fwrite(out->err.data(), 1, out->err.size(), stderr);
  }
  if (out->exit_code != 0) {
    return std::unexpected(DelegateError(type, command, out->out, out->exit_code, out->signal));
  }
  return std::move(out->out);
}

CniResult<AddResult> DelegateAdd(const std::string& type, const CmdArgs& args) {
  CAPSTAN_ASSIGN_OR_RETURN(std::string out, ExecDelegate(type, "ADD", args));
  CAPSTAN_ASSIGN_OR_RETURN(Json j, ParseJsonObject(out, fmt::format("the {} result", type)));
  return ResultFromJson(j);
}

CniStatus DelegateCommand(const std::string& type, const std::string& command,
                          const CmdArgs& args) {
  CAPSTAN_TRY(ExecDelegate(type, command, args));
  return {};
}

}  // namespace capstan::cni
