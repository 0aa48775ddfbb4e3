// Label key and value validation (content.IsLabelKey / IsLabelValue in
// k8s.io/apimachinery), with upstream's messages.

#include <algorithm>

#include <fmt/ranges.h>

#include "api/k8s/labels.h"

namespace capstan::api::k8s {
namespace {

// The regular expressions and examples upstream prints in its messages.
constexpr std::string_view kLabelKeyFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr std::string_view kLabelKeyErrMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";
constexpr std::string_view kLabelValueFmt = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
constexpr std::string_view kLabelValueErrMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character";
constexpr std::string_view kDns1123SubdomainFmt =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
constexpr std::string_view kDns1123SubdomainErrMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character";
constexpr size_t kLabelMaxLength = 63;
constexpr size_t kDnsSubdomainMaxLength = 253;

// content.RegexError: "<msg> (e.g. 'a',  or 'b', regex used for validation is '<re>')".
std::string RegexError(std::string_view msg, std::string_view re,
                       std::initializer_list<std::string_view> examples) {
  std::string out(msg);
  out += " (e.g. ";
  bool first = true;
  for (std::string_view e : examples) {
    if (!first) {
      out += " or ";
    }
    first = false;
    out += fmt::format("'{}', ", e);
  }
  out += fmt::format("regex used for validation is '{}')", re);
  return out;
}

std::string MaxLenError(size_t n) { return fmt::format("must be no more than {} bytes", n); }

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool MatchesLabelName(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) {
    return false;
  }
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])? per dot-separated part; the regex bounds no part's length.
bool MatchesDnsSubdomain(std::string_view s) {
  auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == s.npos ? s.npos : dot - start);
    if (part.empty() || !lower_alnum(part.front()) || !lower_alnum(part.back()) ||
        !std::all_of(part.begin(), part.end(),
                     [&](char c) { return lower_alnum(c) || c == '-'; })) {
      return false;
    }
    if (dot == s.npos) {
      return true;
    }
    start = dot + 1;
  }
}

std::string FieldInvalid(std::string_view path, std::string_view quoted_value,
                         std::string_view detail) {
  std::string out = path.empty() ? "" : std::string(path) + ": ";
  return out + fmt::format("Invalid value: {}: {}", quoted_value, detail);
}

std::string JoinReasons(const std::vector<std::string>& reasons) {
  return fmt::format("{}", fmt::join(reasons, "; "));
}

}  // namespace

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::vector<std::string> LabelKeyErrors(std::string_view key) {
  std::vector<std::string> errs;
  std::string_view name = key;
  size_t slash = key.find('/');
  if (slash != key.npos) {
    if (key.find('/', slash + 1) != key.npos) {
      return {"a valid label key " +
              RegexError(kLabelKeyErrMsg, kLabelKeyFmt, {"MyName", "my.name", "123-abc"}) +
              " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"};
    }
    std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      if (prefix.size() > kDnsSubdomainMaxLength) {
        errs.push_back("prefix part " + MaxLenError(kDnsSubdomainMaxLength));
      }
      if (!MatchesDnsSubdomain(prefix)) {
        errs.push_back("prefix part " +
                       RegexError(kDns1123SubdomainErrMsg, kDns1123SubdomainFmt, {"example.com"}));
      }
    }
  }
  if (name.empty()) {
    errs.push_back("name part must be non-empty");
  } else if (name.size() > kLabelMaxLength) {
    errs.push_back("name part " + MaxLenError(kLabelMaxLength));
  }
  if (!MatchesLabelName(name)) {
    errs.push_back("name part " +
                   RegexError(kLabelKeyErrMsg, kLabelKeyFmt, {"MyName", "my.name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> LabelValueErrors(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kLabelMaxLength) {
    errs.push_back(MaxLenError(kLabelMaxLength));
  }
  if (!value.empty() && !MatchesLabelName(value)) {
    errs.push_back(RegexError(kLabelValueErrMsg, kLabelValueFmt, {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

Status ValidateLabelKey(std::string_view key, std::string_view field) {
  auto errs = LabelKeyErrors(key);
  if (errs.empty()) {
    return Ok();
  }
  return Fail(Code::kInvalidArgument, "{}", FieldInvalid(field, GoQuote(key), JoinReasons(errs)));
}

Status ValidateLabelValue(std::string_view value, std::string_view field) {
  auto errs = LabelValueErrors(value);
  if (errs.empty()) {
    return Ok();
  }
  return Fail(Code::kInvalidArgument, "{}", FieldInvalid(field, GoQuote(value), JoinReasons(errs)));
}

Status ValidateLabels(const StringMap& labels, std::string_view field) {
  for (const auto& [k, v] : labels) {
    // Upstream reports each reason as its own error; the first one is enough here.
    if (auto errs = LabelKeyErrors(k); !errs.empty()) {
      return Fail(Code::kInvalidArgument, "{}", FieldInvalid(field, GoQuote(k), errs[0]));
    }
    if (auto errs = LabelValueErrors(v); !errs.empty()) {
      return Fail(Code::kInvalidArgument, "{}", FieldInvalid(field, GoQuote(v), errs[0]));
    }
  }
  return Ok();
}
}  // namespace capstan::api::k8s
