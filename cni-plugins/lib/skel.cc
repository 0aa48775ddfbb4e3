#include "cni-plugins/lib/skel.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cni-plugins/lib/validate.h"
#include "cni-plugins/lib/version.h"

namespace capstan::cni {

namespace {

struct EnvVar {
  const char* name;
  std::string CmdArgs::*field;
  // Commands that require it.
  std::vector<std::string_view> required_for;
};

const std::vector<EnvVar>& EnvVars() {
  static const std::vector<EnvVar> kVars = {
      {"CNI_CONTAINERID", &CmdArgs::container_id, {"ADD", "DEL", "CHECK"}},
      {"CNI_NETNS", &CmdArgs::netns, {"ADD", "CHECK"}},
      {"CNI_IFNAME", &CmdArgs::ifname, {"ADD", "DEL", "CHECK"}},
      {"CNI_ARGS", &CmdArgs::args, {}},
      {"CNI_PATH", &CmdArgs::path, {}},
  };
  return kVars;
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    out += (out.empty() ? "" : ", ") + s;
  }
  return out;
}

PluginOutcome ErrorOutcome(const CniError& e, const std::string& version) {
  return {1, e.ToJson(version.empty() ? kLatestVersion : version)};
}

// The minimum config version for a command: CHECK arrived in 0.4.0, STATUS and GC in 1.1.0.
const char* MinVersionFor(std::string_view command) {
  if (command == "CHECK") {
    return "0.4.0";
  }
  if (command == "STATUS" || command == "GC") {
    return "1.1.0";
  }
  return "0.0.0";
}

}  // namespace

PluginOutcome RunPlugin(std::string_view name, const PluginFuncs& funcs, const PluginIo& io) {
  const char* cmd_env = io.getenv("CNI_COMMAND");
  if (cmd_env == nullptr || *cmd_env == '\0') {
    return ErrorOutcome(
        {kInvalidEnvironment, "required environment variable CNI_COMMAND is missing", ""}, "");
  }
  CmdArgs a;
  a.builtins = io.builtins;
  a.command = cmd_env;
  static const char* kCommands[] = {"ADD", "DEL", "CHECK", "STATUS", "GC", "VERSION"};
  bool known = false;
  for (const char* c : kCommands) {
    known = known || a.command == c;
  }
  if (!known) {
    return ErrorOutcome(
        {kInvalidEnvironment, fmt::format("unknown CNI_COMMAND {:?}", a.command), ""}, "");
  }

  if (io.stdin_failed) {
    return ErrorOutcome({kIoFailure, "reading the network config from stdin failed", ""}, "");
  }
  a.stdin_data = io.stdin_data;

  if (a.command == "VERSION") {
    // The input is optional: {"cniVersion": "x"} names the version of the answer.
    std::string version = kLatestVersion;
    if (!a.stdin_data.empty()) {
      auto j = ParseJsonObject(a.stdin_data, "the VERSION input");
      if (j && j->contains("cniVersion") && (*j)["cniVersion"].is_string()) {
        std::string v = (*j)["cniVersion"];
        if (IsSupportedVersion(v)) {
          version = v;
        }
      }
    }
    Json out{{"cniVersion", version}, {"supportedVersions", SupportedVersions()}};
    return {0, DumpJson(out)};
  }

  std::vector<std::string> missing;
  for (const auto& v : EnvVars()) {
    const char* val = io.getenv(v.name);
    a.*v.field = val != nullptr ? val : "";
    bool required = false;
    for (auto c : v.required_for) {
      required = required || c == a.command;
    }
    if (required && (a.*v.field).empty()) {
      missing.push_back(v.name);
    }
  }
  if (!missing.empty()) {
    return ErrorOutcome(
        {kInvalidEnvironment,
         fmt::format("required environment variables missing: {}", Joined(missing)), ""},
        "");
  }
  if (!a.container_id.empty() && !IsValidContainerId(a.container_id)) {
    return ErrorOutcome(
        {kInvalidEnvironment,
         "CNI_CONTAINERID is invalid: it must start with a letter or digit, followed by letters, "
         "digits, '_', '.' or '-'",
         ""},
        "");
  }
  if (!a.ifname.empty() && !IsValidIfName(a.ifname)) {
    return ErrorOutcome({kInvalidEnvironment,
                         fmt::format("CNI_IFNAME {:?} is invalid: 1-15 bytes, not . or .., no "
                                     "'/', ':' or whitespace",
                                     a.ifname),
                         ""},
                        "");
  }
  if (!a.netns.empty() && a.netns[0] != '/') {
    return ErrorOutcome({kInvalidEnvironment, "CNI_NETNS must be an absolute path", ""}, "");
  }

  auto config = ParseJsonObject(a.stdin_data, "the network config on stdin");
  if (!config) {
    return ErrorOutcome(config.error(), "");
  }
  a.config = std::move(*config);
  auto version = OptString(a.config, "cniVersion", "");
  if (!version) {
    return ErrorOutcome(version.error(), "");
  }
  if (version->empty()) {
    return ErrorOutcome({kIncompatibleVersion, "the network config has no cniVersion", ""}, "");
  }
  if (!IsSupportedVersion(*version)) {
    return ErrorOutcome({kIncompatibleVersion,
                         fmt::format("incompatible CNI version {:?}: {} supports {}", *version,
                                     name, Joined(SupportedVersions())),
                         ""},
                        "");
  }
  a.cni_version = *version;
  if (!VersionAtLeast(a.cni_version, MinVersionFor(a.command))) {
    return ErrorOutcome({kIncompatibleVersion,
                         fmt::format("config version {} does not allow {} (needs {})",
                                     a.cni_version, a.command, MinVersionFor(a.command)),
                         ""},
                        a.cni_version);
  }
  auto net_name = OptString(a.config, "name", "");
  if (!net_name) {
    return ErrorOutcome(net_name.error(), a.cni_version);
  }
  if (!IsValidNetworkName(*net_name)) {
    return ErrorOutcome({kInvalidConfig,
                         fmt::format("network name {:?} is invalid: it must start with a letter "
                                     "or digit, followed by letters, digits, '_', '.' or '-'",
                                     *net_name),
                         ""},
                        a.cni_version);
  }

  CniResult<std::string> out = std::string();
  if (a.command == "ADD") {
    out = funcs.add(a);
  } else {
    CniStatus st;
    if (a.command == "DEL") {
      st = funcs.del(a);
    } else if (a.command == "CHECK") {
      st = funcs.check(a);
    } else if (a.command == "STATUS") {
      st = funcs.status ? funcs.status(a) : CniStatus();
    } else if (a.command == "GC") {
      st = funcs.gc ? funcs.gc(a) : CniStatus();
    }
    if (!st) {
      out = std::unexpected(st.error());
    }
  }
  if (!out) {
    return ErrorOutcome(out.error(), a.cni_version);
  }
  return {0, *out};
}

int MultiCallMain(std::span<const Builtin> builtins, int argc, char** argv) {
  std::string_view name = argc > 0 ? argv[0] : "";
  if (size_t slash = name.rfind('/'); slash != std::string_view::npos) {
    name.remove_prefix(slash + 1);
  }
  const Builtin* plugin = nullptr;
  for (const auto& b : builtins) {
    if (b.name == name) {
      plugin = &b;
    }
  }
  if (plugin == nullptr) {
    std::string names;
    for (const auto& b : builtins) {
      names += (names.empty() ? "" : ", ") + std::string(b.name);
    }
    std::fprintf(stderr, "capstan-cni: run as one of %s (a link named after the plugin type)\n",
                 names.c_str());
    return 2;
  }
  if (argc > 1 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "-v") == 0)) {
    std::string versions;
    for (const auto& v : SupportedVersions()) {
      versions += (versions.empty() ? "" : ", ") + v;
    }
    std::fprintf(stderr, "CNI %.*s plugin (capstan)\nCNI protocol versions supported: %s\n",
                 static_cast<int>(name.size()), name.data(), versions.c_str());
    return 0;
  }
  PluginIo io;
  io.getenv = [](const char* k) { return std::getenv(k); };
  io.builtins = builtins;
  const char* cmd = std::getenv("CNI_COMMAND");
  // VERSION may come without stdin; everything else reads the config to EOF.
  if (cmd != nullptr && *cmd != '\0' && (std::strcmp(cmd, "VERSION") != 0 || !::isatty(0))) {
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(0, buf, sizeof(buf));
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        io.stdin_failed = true;
        break;
      }
      if (n == 0) {
        break;
      }
      io.stdin_data.append(buf, static_cast<size_t>(n));
      if (io.stdin_data.size() > (16 << 20)) {
        io.stdin_failed = true;  // no sane config is this large
        break;
      }
    }
  }
  PluginOutcome o = RunPlugin(name, plugin->funcs(), io);
  if (!o.out.empty()) {
    std::fwrite(o.out.data(), 1, o.out.size(), stdout);
    std::fputc('\n', stdout);
  }
  if (std::fflush(stdout) != 0) {
    return 1;
  }
  return o.exit_code;
}

}  // namespace capstan::cni
