#pragma once
// The CNI exec protocol for a plugin binary (SPEC section 2): reads CNI_* from the environment
// and the config from stdin, checks what the command requires (codes 4, 5, 6, 1, 7), calls the
// plugin's handler and writes its result, or the error JSON, to stdout. The exit status is 0 on
// success, 1 on error.

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "cni-plugins/lib/error.h"
#include "cni-plugins/lib/json_util.h"

namespace capstan::cni {

struct Builtin;

struct CmdArgs {
  std::string command;  // ADD, DEL, CHECK, STATUS, GC (VERSION is answered by RunPlugin)
  std::string container_id;
  std::string netns;
  std::string ifname;
  std::string args;  // CNI_ARGS, unparsed
  std::string path;  // CNI_PATH
  std::string stdin_data;
  std::string cni_version;  // the config's cniVersion, already checked to be supported
  Json config;              // the parsed config object
  // The plugins linked into this executable (delegation runs them in process when the
  // delegate found in CNI_PATH is this very executable).
  std::span<const Builtin> builtins;
};

struct PluginFuncs {
  // ADD returns the result JSON to print.
  std::function<CniResult<std::string>(const CmdArgs&)> add;
  std::function<CniStatus(const CmdArgs&)> del;
  std::function<CniStatus(const CmdArgs&)> check;
  std::function<CniStatus(const CmdArgs&)> status;  // optional: success when unset
  std::function<CniStatus(const CmdArgs&)> gc;      // optional: success when unset
};

// A plugin linked into the multi-call executable, selected by the name it is run as.
struct Builtin {
  std::string_view name;
  PluginFuncs (*funcs)();
};

// Runs one command of the plugin named by basename(argv[0]) and returns the process exit
// status (2 when no builtin has that name).
int MultiCallMain(std::span<const Builtin> builtins, int argc, char** argv);

// The protocol without the process (tests; in-process delegation): env is looked up through
// `getenv`.
struct PluginIo {
  std::function<const char*(const char*)> getenv;
  std::string stdin_data;
  bool stdin_failed = false;
  std::span<const Builtin> builtins;
};
struct PluginOutcome {
  int exit_code = 0;
  std::string out;
};
PluginOutcome RunPlugin(std::string_view name, const PluginFuncs& funcs, const PluginIo& io);

}  // namespace capstan::cni
