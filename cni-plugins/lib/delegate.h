#pragma once
// Delegation (SPEC section 4): running another plugin, usually IPAM, found in CNI_PATH, with
// our environment (CNI_COMMAND replaced where the caller asks, e.g. DEL to undo a failed ADD)
// and the same config on stdin. Its stderr is passed on to ours; its error result comes back
// as our error, code and all.

#include <string>

#include "cni-plugins/lib/error.h"
#include "cni-plugins/lib/result.h"
#include "cni-plugins/lib/skel.h"

namespace capstan::cni {

// The executable for `type` in the ':'-separated `cni_path`.
CniResult<std::string> FindPlugin(const std::string& type, const std::string& cni_path);

// Runs `type` with CNI_COMMAND=command; returns its stdout.
CniResult<std::string> ExecDelegate(const std::string& type, const std::string& command,
                                    const CmdArgs& args);

// ADD through the delegate, reading its (abbreviated) result.
CniResult<AddResult> DelegateAdd(const std::string& type, const CmdArgs& args);
// DEL, CHECK, STATUS, GC through the delegate.
CniStatus DelegateCommand(const std::string& type, const std::string& command, const CmdArgs& args);

}  // namespace capstan::cni
