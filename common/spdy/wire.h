#pragma once
// Big-endian 32-bit fields, as every SPDY frame and header block carries them.

#include <cstdint>
#include <string>
#include <string_view>

namespace capstan::spdy::wire {

inline void PutU32(std::string& out, uint32_t v) {
  out += static_cast<char>(v >> 24);
  out += static_cast<char>(v >> 16);
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v);
}

// `s` holds at least four bytes from `at`.
inline uint32_t GetU32(std::string_view s, size_t at) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(s[at + i])); };
  return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

}  // namespace capstan::spdy::wire
