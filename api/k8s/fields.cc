#include "api/k8s/fields.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace capstan::api::k8s {
namespace {

// The terms between unescaped commas; a backslash protects the character after it, and the
// backslash stays in the term for UnescapeFieldValue to remove.
std::vector<std::string_view> SplitTerms(std::string_view selector) {
  std::vector<std::string_view> terms;
  if (selector.empty()) {
    return terms;
  }
  size_t start = 0;
  bool in_slash = false;
  for (size_t i = 0; i < selector.size(); ++i) {
    char c = selector[i];
    if (in_slash) {
      in_slash = false;
    } else if (c == '\\') {
      in_slash = true;
    } else if (c == ',') {
      terms.push_back(selector.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.push_back(selector.substr(start));
  return terms;
}

struct Term {
  std::string_view lhs, op, rhs;
};

// Splits at the first operator: field names cannot escape anything, so "a=b=c" is field "a"
// with the (invalid, unescaped) value "b=c". "!=" and "==" are tried before "=".
std::optional<Term> SplitTerm(std::string_view term) {
  for (size_t i = 0; i < term.size(); ++i) {
    for (std::string_view op : {"!=", "==", "="}) {
      if (term.substr(i).starts_with(op)) {
        return Term{term.substr(0, i), op, term.substr(i + op.size())};
      }
    }
  }
  return std::nullopt;
}

// The length of the UTF-8 sequence starting with `lead`, so an invalid escape is reported
// with the whole character as Go's rune loop would.
size_t Utf8Length(unsigned char lead) {
  if (lead >= 0xf0) {
    return 4;
  }
  if (lead >= 0xe0) {
    return 3;
  }
  return lead >= 0xc0 ? 2 : 1;
}

}  // namespace

bool FieldRequirement::Matches(const StringMap& fields) const {
  auto it = fields.find(field);
  std::string_view have = it == fields.end() ? std::string_view() : std::string_view(it->second);
  return (have == value) == equals;
}

std::string EscapeFieldValue(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == ',' || c == '=') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

Result<std::string> UnescapeFieldValue(std::string_view value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\\') {
      if (i + 1 == value.size()) {
        return Fail(Code::kInvalidArgument, "invalid field selector: invalid escape sequence: \\");
      }
      char next = value[i + 1];
      if (next != '\\' && next != ',' && next != '=') {
        size_t n = std::min(Utf8Length(static_cast<unsigned char>(next)), value.size() - i - 1);
        return Fail(Code::kInvalidArgument, "invalid field selector: invalid escape sequence: \\{}",
                    value.substr(i + 1, n));
      }
      out += next;
      ++i;
    } else if (c == ',' || c == '=') {
      // Upstream prints the rune with %v: its code point in decimal.
      return Fail(Code::kInvalidArgument,
                  "invalid field selector: unescaped character in value: {}", static_cast<int>(c));
    } else {
      out += c;
    }
  }
  return out;
}

Result<FieldSelector> FieldSelector::Parse(std::string_view selector) {
  std::vector<std::string_view> parts = SplitTerms(selector);
  std::sort(parts.begin(), parts.end());
  FieldSelector s;
  for (std::string_view part : parts) {
    if (part.empty()) {
      continue;
    }
    auto term = SplitTerm(part);
    if (!term) {
      return Fail(Code::kInvalidArgument, "invalid selector: '{}'; can't understand '{}'", selector,
                  part);
    }
    CAPSTAN_ASSIGN_OR_RETURN(std::string value, UnescapeFieldValue(term->rhs));
    s.requirements_.push_back(
        FieldRequirement{std::string(term->lhs), term->op != "!=", std::move(value)});
  }
  return s;
}

FieldSelector FieldSelector::FromSet(const StringMap& fields) {
  FieldSelector s;
  for (const auto& [k, v] : fields) {
    s.requirements_.push_back(FieldRequirement{k, true, v});
  }
  return s;
}

bool FieldSelector::Matches(const StringMap& fields) const {
  return std::all_of(requirements_.begin(), requirements_.end(),
                     [&](const FieldRequirement& r) { return r.Matches(fields); });
}

std::optional<std::string> FieldSelector::RequiresExactMatch(std::string_view field) const {
  for (const auto& r : requirements_) {
    if (r.equals && r.field == field) {
      return r.value;
    }
  }
  return std::nullopt;
}

std::string FieldSelector::ToString() const {
  std::vector<std::string> terms;
  for (const auto& r : requirements_) {
    terms.push_back(r.field + (r.equals ? "=" : "!=") + EscapeFieldValue(r.value));
  }
  return fmt::format("{}", fmt::join(terms, ","));
}

}  // namespace capstan::api::k8s
