#include "cri/image/reference.h"

#include <cctype>
#include <vector>

#include "cri/image/digest.h"

namespace capstan::cri::image {
namespace {

constexpr size_t kMaxNameLength = 255;  // docker/distribution's NameTotalLengthMax

bool IsAlnumLower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsAlnumLower(c) || (c >= 'A' && c <= 'Z'); }

// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool ValidPathComponent(std::string_view c) {
  if (c.empty() || !IsAlnumLower(c.front()) || !IsAlnumLower(c.back())) {
    return false;
  }
  for (size_t i = 0; i < c.size();) {
    if (IsAlnumLower(c[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < c.size() && !IsAlnumLower(c[j])) {
      ++j;
    }
    std::string_view sep = c.substr(i, j - i);
    bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) {
      return false;
    }
    i = j;
  }
  return true;
}

// host[:port], host = dot-separated labels of [A-Za-z0-9-] not starting/ending in '-', or
// a bracketed IPv6 address.
bool ValidDomain(std::string_view d) {
  std::string_view host = d;
  if (d.starts_with('[')) {
    auto close = d.find(']');
    if (close == std::string_view::npos || close < 2) {
      return false;
    }
    for (char c : d.substr(1, close - 1)) {
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) {
        return false;
      }
    }
    std::string_view rest = d.substr(close + 1);
    if (rest.empty()) {
      return true;
    }
    if (rest.front() != ':' || rest.size() < 2) {
      return false;
    }
    return rest.substr(1).find_first_not_of("0123456789") == std::string_view::npos;
  }
  auto colon = d.find(':');
  if (colon != std::string_view::npos) {
    std::string_view port = d.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string_view::npos) {
      return false;
    }
    host = d.substr(0, colon);
  }
  if (host.empty()) {
    return false;
  }
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = host.find('.', start);
    std::string_view label = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!IsAlnum(c) && c != '-') {
        return false;
      }
    }
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  return true;
}

// [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
bool ValidTag(std::string_view t) {
  if (t.empty() || t.size() > 128 || !(IsAlnum(t[0]) || t[0] == '_')) {
    return false;
  }
  for (char c : t) {
    if (!(IsAlnum(c) || c == '_' || c == '.' || c == '-')) {
      return false;
    }
  }
  return true;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) {
      return out;
    }
    start = pos + 1;
  }
}

}  // namespace

std::string Reference::String() const {
  std::string out = Name();
  if (!tag.empty()) {
    out += ":" + tag;
  }
  if (!digest.empty()) {
    out += "@" + digest;
  }
  return out;
}

Result<Reference> ParseReference(std::string_view ref) {
  if (ref.empty()) {
    return Fail(Code::kInvalidArgument, "image reference is empty");
  }
  if (ref.size() > 4096) {
    return Fail(Code::kInvalidArgument, "image reference is longer than 4096 bytes");
  }
  if (ref.size() == 64 && IsLowerHex(ref)) {
    return Fail(Code::kInvalidArgument,
                "image reference \"{}\": a 64-hex-digit string is an image id, not a repository "
                "name",
                ref);
  }
  Reference out;
  std::string_view rest = ref;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    std::string_view digest = rest.substr(at + 1);
    CAPSTAN_TRY(CheckDigest(digest, fmt::format("image reference \"{}\": digest", ref)));
    out.digest = std::string(digest);
    rest = rest.substr(0, at);
  }
  // A tag follows the last ':' that comes after the last '/' (earlier colons are a port).
  auto slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    std::string_view tag = rest.substr(colon + 1);
    if (!ValidTag(tag)) {
      return Fail(
          Code::kInvalidArgument,
          "image reference \"{}\": invalid tag \"{}\" (want [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})",
          ref, tag);
    }
    out.tag = std::string(tag);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) {
    return Fail(Code::kInvalidArgument, "image reference \"{}\": missing repository name", ref);
  }
  std::string_view path = rest;
  auto first_slash = rest.find('/');
  if (first_slash != std::string_view::npos) {
    std::string_view first = rest.substr(0, first_slash);
    // docker's rule: a first component with '.', ':', uppercase or "localhost" is a host.
    bool has_upper = first.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos;
    if (first.find_first_of(".:[") != std::string_view::npos || first == "localhost" || has_upper) {
      if (!ValidDomain(first)) {
        return Fail(Code::kInvalidArgument, "image reference \"{}\": invalid registry host \"{}\"",
                    ref, first);
      }
      out.domain = std::string(first);
      path = rest.substr(first_slash + 1);
    }
  }
  if (out.domain.empty() || out.domain == "index.docker.io") {
    out.domain = std::string(kDefaultDomain);
  }
  for (std::string_view c : Split(path, '/')) {
    if (!ValidPathComponent(c)) {
      bool upper = false;
      for (char ch : c) {
        upper |= (ch >= 'A' && ch <= 'Z');
      }
      if (upper) {
        return Fail(Code::kInvalidArgument,
                    "image reference \"{}\": repository name must be lowercase", ref);
      }
      return Fail(Code::kInvalidArgument,
                  "image reference \"{}\": invalid repository path component \"{}\"", ref, c);
    }
  }
  out.path = std::string(path);
  if (out.domain == kDefaultDomain && out.path.find('/') == std::string::npos) {
    out.path = "library/" + out.path;
  }
  if (out.Name().size() > kMaxNameLength) {
    return Fail(Code::kInvalidArgument, "image reference \"{}\": repository name longer than {}",
                ref, kMaxNameLength);
  }
  if (out.tag.empty() && out.digest.empty()) {
    out.tag = "latest";
  }
  return out;
}

}  // namespace capstan::cri::image
