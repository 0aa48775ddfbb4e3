#pragma once
// Writing /proc/sys entries. Entries under /proc/sys/net belong to the network namespace of
// the thread that opens them, so callers write container sysctls while inside its namespace.

#include <string>
#include <string_view>

#include "common/error.h"

namespace capstan::cni {

// Writes `value` to /proc/sys/<key> ("net/ipv4/ip_forward").
Status WriteSysctl(std::string_view key, std::string_view value);
// Reads it (trailing newline removed).
Result<std::string> ReadSysctl(std::string_view key);

}  // namespace capstan::cni
