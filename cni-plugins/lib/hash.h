#pragma once
// A short stable hash for naming kernel objects after an attachment (nftables tables, host
// veth names): FNV-1a 64, printed as 16 hex digits. Not cryptographic; names it produces are
// also checked for collisions where one would matter.

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace capstan::cni {

inline uint64_t Fnv1a64(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

inline std::string HashHex(std::string_view s) { return fmt::format("{:016x}", Fnv1a64(s)); }

}  // namespace capstan::cni
