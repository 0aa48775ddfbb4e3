#include "control-plane/metrics/prometheus_text.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace capstan::control_plane::metrics {

namespace {

bool IsNameChar(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

void SkipSpaces(std::string_view& s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
}

std::optional<std::string> Name(std::string_view& s) {
  size_t i = 0;
  while (i < s.size() && IsNameChar(s[i], i == 0)) ++i;
  if (i == 0) return std::nullopt;
  std::string out(s.substr(0, i));
  s.remove_prefix(i);
  return out;
}

// `"value"` with \\, \" and \n escapes.
std::optional<std::string> QuotedValue(std::string_view& s) {
  if (s.empty() || s.front() != '"') return std::nullopt;
  s.remove_prefix(1);
  std::string out;
  while (!s.empty()) {
    char c = s.front();
    s.remove_prefix(1);
    if (c == '"') return out;
    if (c == '\\') {
      if (s.empty()) return std::nullopt;
      char e = s.front();
      s.remove_prefix(1);
      out += e == 'n' ? '\n' : e;
    } else {
      out += c;
    }
  }
  return std::nullopt;
}

bool Labels(std::string_view& s, std::map<std::string, std::string>& out) {
  s.remove_prefix(1);  // '{'
  while (true) {
    SkipSpaces(s);
    if (!s.empty() && s.front() == '}') {
      s.remove_prefix(1);
      return true;
    }
    auto key = Name(s);
    SkipSpaces(s);
    if (!key || s.empty() || s.front() != '=') return false;
    s.remove_prefix(1);
    SkipSpaces(s);
    auto value = QuotedValue(s);
    if (!value) return false;
    out[*key] = std::move(*value);
    SkipSpaces(s);
    if (!s.empty() && s.front() == ',') s.remove_prefix(1);
  }
}

std::string_view Token(std::string_view& s) {
  SkipSpaces(s);
  size_t i = 0;
  while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
  auto t = s.substr(0, i);
  s.remove_prefix(i);
  return t;
}

std::optional<double> Number(std::string_view t) {
  if (t.empty() || t.size() > 64) return std::nullopt;
  if (t == "+Inf") return HUGE_VAL;
  if (t == "-Inf") return -HUGE_VAL;
  if (t == "NaN") return NAN;
  std::string copy(t);
  char* end = nullptr;
  double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  return v;
}

}  // namespace

std::vector<Sample> ParsePrometheusText(std::string_view text) {
  std::vector<Sample> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    SkipSpaces(line);
    if (line.empty() || line.front() == '#') continue;
    Sample s;
    auto name = Name(line);
    if (!name) continue;
    s.name = std::move(*name);
    if (!line.empty() && line.front() == '{' && !Labels(line, s.labels)) continue;
    auto value = Number(Token(line));
    if (!value) continue;
    s.value = *value;
    auto ts = Token(line);
    if (!ts.empty()) {
      int64_t ms = 0;
      auto [end, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), ms);
      if (ec != std::errc() || end != ts.data() + ts.size()) continue;
      s.timestamp_ms = ms;
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace capstan::control_plane::metrics
