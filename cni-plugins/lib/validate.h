#pragma once
// Checks on names that come from hostile input (env, config) and end up in paths, interface
// names or nftables commands.

#include <string_view>

namespace capstan::cni {

// SPEC: starts with an alphanumeric, then alphanumerics, '_', '.', '-'. Such a name cannot be
// "." or "..", nor contain '/', so it is safe as one path component. At most 253 bytes.
bool IsValidNetworkName(std::string_view name);
// Same character rules as a network name (SPEC "Container ID").
bool IsValidContainerId(std::string_view id);
// Linux interface names: 1..15 bytes, not "." or "..", no '/', ':' or whitespace.
bool IsValidIfName(std::string_view name);
// A plugin type names an executable in CNI_PATH: non-empty, no '/', not "." or "..".
bool IsValidPluginType(std::string_view type);

}  // namespace capstan::cni
