#pragma once
// CNI_ARGS: "K=V;K2=V2". Keys a plugin does not know are an error unless IgnoreUnknown is set
// (runtimes set it, as libcni's users do), as the reference plugins behave.

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "cni-plugins/lib/error.h"

namespace capstan::cni {

using CniArgs = std::map<std::string, std::string>;

// Parses and checks the keys against `known` (the K8S_* keys and IgnoreUnknown are always
// known). Errors are code 4 naming CNI_ARGS.
CniResult<CniArgs> ParseCniArgs(std::string_view text, const std::set<std::string>& known);

}  // namespace capstan::cni
