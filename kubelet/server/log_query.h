#pragma once
// The query of a containerLogs request, decoded as upstream decodes v1.PodLogOptions from URL
// parameters, and the URL helpers it needs.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/time.h"
#include "kubelet/logs/log_reader.h"

namespace capstan::kubelet::server {

// %XX-decoding; `plus_is_space` for query components. InvalidArgument on a bad escape.
Result<std::string> PercentDecode(std::string_view s, bool plus_is_space);

// "a=1&b=&c" -> {{"a","1"},{"b",""},{"c",""}}, decoded.
Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query);

struct LogRequest {
  logs::LogOptions options;
  bool previous = false;
};

// follow, previous, timestamps (Go's query bools: absent or "false"/"0" is false, anything
// else true), tailLines (and the legacy tail=N|all), limitBytes, sinceSeconds (relative to
// `now`), sinceTime (RFC 3339). Unknown parameters are ignored.
// Errors: InvalidArgument for a value that does not decode (HTTP 400), FailedPrecondition
// for decoded values upstream's validation refuses (HTTP 422).
Result<LogRequest> ParseLogQuery(std::string_view query, WallTime now);

}  // namespace capstan::kubelet::server
