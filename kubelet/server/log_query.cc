#include "kubelet/server/log_query.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "api/k8s/meta.h"

namespace capstan::kubelet::server {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The first value of `key`, if present.
const std::string* Find(const std::vector<std::pair<std::string, std::string>>& params,
                        std::string_view key) {
  for (const auto& [k, v] : params) {
    if (k == key) {
      return &v;
    }
  }
  return nullptr;
}

// Go's query-parameter bool conversion: "false" and "0" (any case) are false, the rest true.
bool QueryBool(const std::string* v) {
  if (!v) {
    return false;
  }
  std::string lower;
  for (char c : *v) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return lower != "false" && lower != "0";
}

Result<std::optional<int64_t>> QueryInt(const std::string* v, std::string_view name) {
  if (!v) {
    return std::optional<int64_t>();
  }
  int64_t out = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || end != v->data() + v->size() || v->empty()) {
    return Fail(Code::kInvalidArgument, "{}: {:?} is not an integer", name, *v);
  }
  return std::optional<int64_t>(out);
}

}  // namespace

Result<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      int hi = i + 1 < s.size() ? HexValue(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Fail(Code::kInvalidArgument, "bad escape in {:?}", s);
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) {
      continue;
    }
    size_t eq = part.find('=');
    CAPSTAN_ASSIGN_OR_RETURN(std::string key, PercentDecode(part.substr(0, eq), true));
    std::string value;
    if (eq != std::string_view::npos) {
      CAPSTAN_ASSIGN_OR_RETURN(value, PercentDecode(part.substr(eq + 1), true));
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

Result<LogRequest> ParseLogQuery(std::string_view query, WallTime now) {
  CAPSTAN_ASSIGN_OR_RETURN(auto params, ParseQuery(query));
  LogRequest r;
  r.options.follow = QueryBool(Find(params, "follow"));
  r.options.timestamps = QueryBool(Find(params, "timestamps"));
  r.previous = QueryBool(Find(params, "previous"));

  // The legacy "tail" parameter stands for tailLines; "all" means no limit.
  const std::string* tail = Find(params, "tailLines");
  if (const std::string* legacy = Find(params, "tail"); legacy && !legacy->empty()) {
    tail = *legacy == "all" ? nullptr : legacy;
  }
  CAPSTAN_ASSIGN_OR_RETURN(r.options.tail_lines, QueryInt(tail, "tailLines"));
  CAPSTAN_ASSIGN_OR_RETURN(r.options.limit_bytes,
                           QueryInt(Find(params, "limitBytes"), "limitBytes"));
  CAPSTAN_ASSIGN_OR_RETURN(auto since_seconds,
                           QueryInt(Find(params, "sinceSeconds"), "sinceSeconds"));
  std::optional<WallTime> since_time;
  if (const std::string* v = Find(params, "sinceTime"); v && !v->empty()) {
    auto t = api::k8s::ParseTime(*v);
    if (!t) {
      return Fail(Code::kInvalidArgument, "sinceTime: {}", t.error().message());
    }
    since_time = *t;
  }

  if (r.options.tail_lines && *r.options.tail_lines < 0) {
    return Fail(Code::kFailedPrecondition, "tailLines: must be greater than or equal to 0");
  }
  if (r.options.limit_bytes && *r.options.limit_bytes < 1) {
    return Fail(Code::kFailedPrecondition, "limitBytes: must be greater than 0");
  }
  if (since_seconds && since_time) {
    return Fail(Code::kFailedPrecondition,
                "at most one of sinceTime or sinceSeconds may be specified");
  }
  if (since_seconds) {
    if (*since_seconds < 1) {
      return Fail(Code::kFailedPrecondition, "sinceSeconds: must be greater than 0");
    }
    // Capped so the arithmetic cannot overflow; a century ago is "everything".
    constexpr int64_t kCentury = int64_t{100} * 366 * 24 * 3600;
    r.options.since = now - std::chrono::seconds(std::min(*since_seconds, kCentury));
  } else if (since_time) {
    r.options.since = since_time;
  }
  return r;
}

}  // namespace capstan::kubelet::server
