#include "api/k8s/quantity.h"

#include <fmt/format.h>

#include <cctype>
#include <limits>

namespace capstan::api::k8s {
namespace {

struct Suffix {
  std::string_view name;
  int base;      // 2 or 10
  int exponent;  // power of base
};

constexpr Suffix kSuffixes[] = {
    {"Ki", 2, 10}, {"Mi", 2, 20}, {"Gi", 2, 30}, {"Ti", 2, 40}, {"Pi", 2, 50}, {"Ei", 2, 60},
    {"n", 10, -9}, {"u", 10, -6}, {"m", 10, -3}, {"", 10, 0},   {"k", 10, 3},  {"M", 10, 6},
    {"G", 10, 9},  {"T", 10, 12}, {"P", 10, 15}, {"E", 10, 18},
};

using Int128 = __int128;
constexpr Int128 kMax = std::numeric_limits<int64_t>::max();

}  // namespace

Result<Quantity> Quantity::Parse(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Fail(Code::kInvalidArgument, "quantity {:?}: {}", text, why);
  };
  std::string_view s = text;
  if (s.empty()) {
    return bad("empty");
  }
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  // Digits with at most one '.', as an integer mantissa and a count of fraction digits.
  Int128 mantissa = 0;
  int frac_digits = 0;
  bool seen_dot = false, seen_digit = false;
  size_t i = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.' && !seen_dot) {
      seen_dot = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      break;
    }
    seen_digit = true;
    // Beyond 30 significant digits nothing representable changes; keep the scale right.
    if (mantissa < Int128(1) * kMax * 1000000) {
      mantissa = mantissa * 10 + (c - '0');
      if (seen_dot) {
        ++frac_digits;
      }
    } else if (!seen_dot) {
      return bad("too large");
    }
  }
  if (!seen_digit) {
    return bad("expected a number");
  }
  std::string_view rest = s.substr(i);
  int base = 10, exponent = 0;
  if (!rest.empty() && (rest[0] == 'e' || rest[0] == 'E') && rest.size() > 1 &&
      (std::isdigit(static_cast<unsigned char>(rest[1])) || rest[1] == '-' || rest[1] == '+')) {
    // Decimal exponent form: "1e3", "5E-2".
    size_t j = 1;
    bool exp_neg = false;
    if (rest[j] == '-' || rest[j] == '+') {
      exp_neg = rest[j] == '-';
      ++j;
    }
    int e = 0;
    size_t digits_start = j;
    for (; j < rest.size() && std::isdigit(static_cast<unsigned char>(rest[j])); ++j) {
      e = e * 10 + (rest[j] - '0');
      if (e > 100) {
        return bad("exponent out of range");
      }
    }
    if (j == digits_start || j != rest.size()) {
      return bad("malformed exponent");
    }
    exponent = exp_neg ? -e : e;
  } else {
    bool found = false;
    for (const auto& suf : kSuffixes) {
      if (suf.name == rest) {
        base = suf.base;
        exponent = suf.exponent;
        found = true;
        break;
      }
    }
    if (!found) {
      return bad("unknown suffix (want one of Ki Mi Gi Ti Pi Ei n u m k M G T P E)");
    }
  }
  // value = mantissa * 10^-frac_digits * base^exponent, wanted in milli-units (x1000).
  Int128 num = mantissa;
  Int128 den = 1;
  for (int k = 0; k < frac_digits; ++k) {
    den *= 10;
  }
  num *= 1000;
  if (base == 2) {
    for (int k = 0; k < exponent; ++k) {
      num *= 2;
      if (num / den > kMax) {
        return bad("too large");
      }
    }
  } else if (exponent >= 0) {
    for (int k = 0; k < exponent; ++k) {
      num *= 10;
      if (num / den > kMax) {
        return bad("too large");
      }
    }
  } else {
    for (int k = 0; k < -exponent; ++k) {
      den *= 10;
      if (den > Int128(1) * kMax * 1000000) {
        // Vanishingly small: any non-zero value still rounds up to one milli.
        num = num == 0 ? 0 : 1;
        den = 1;
        break;
      }
    }
  }
  Int128 milli = (num + den - 1) / den;  // round up, as the API server does
  if (milli > kMax) {
    return bad("too large");
  }
  int64_t value = static_cast<int64_t>(milli);
  return Quantity(negative ? -value : value, std::string(text));
}

std::string Quantity::ToString() const {
  if (!text_.empty()) {
    return text_;
  }
  if (milli_ % 1000 == 0) {
    return std::to_string(milli_ / 1000);
  }
  return std::to_string(milli_) + "m";
}

std::string FormatBinarySI(int64_t bytes) {
  static const char* kSuffixes[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  int i = 0;
  while (bytes != 0 && bytes % 1024 == 0 && i < 6) {
    bytes /= 1024;
    ++i;
  }
  return fmt::format("{}{}", bytes, kSuffixes[i]);
}

}  // namespace capstan::api::k8s
