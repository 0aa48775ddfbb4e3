#pragma once
// The stdio protocol between whoever holds a process's stdio (capstan-monitor's attach socket
// for a container, the exec helper's stream socket for an exec) and a streaming session of
// capstan-cri. One SOCK_SEQPACKET connection; each packet is one message: a type byte, then
// its payload. Packets keep their boundaries, so no length prefix is needed.

#include <cstdint>
#include <string>
#include <string_view>

namespace capstan::cri::monitor {

enum class StdioMessage : uint8_t {
  // holder -> session
  kStdout = 1,
  kStderr = 2,
  kExit = 3,  // payload: the exit code, 4 bytes big-endian, then an error text (may be empty)
  // session -> holder
  kStdin = 16,
  kStdinClose = 17,
  kResize = 18,  // payload: width then height, 2 bytes big-endian each
};

// The largest payload a packet carries; longer data goes in several packets.
inline constexpr size_t kMaxStdioPayload = 32 * 1024;

inline std::string StdioPacket(StdioMessage type, std::string_view payload = {}) {
  std::string p;
  p.reserve(payload.size() + 1);
  p.push_back(static_cast<char>(type));
  p.append(payload);
  return p;
}

inline std::string ExitPacket(int code, std::string_view error) {
  auto u = static_cast<uint32_t>(code);
  char be[4] = {static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8),
                static_cast<char>(u)};
  return StdioPacket(StdioMessage::kExit, std::string(be, 4) + std::string(error));
}

inline std::string ResizePacket(uint16_t width, uint16_t height) {
  char be[4] = {static_cast<char>(width >> 8), static_cast<char>(width),
                static_cast<char>(height >> 8), static_cast<char>(height)};
  return StdioPacket(StdioMessage::kResize, std::string_view(be, 4));
}

// Big-endian 16- and 32-bit fields of a payload (which the caller has checked is long enough).
inline uint16_t StdioU16(std::string_view p, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[at]) << 8) |
                               static_cast<uint8_t>(p[at + 1]));
}
inline uint32_t StdioU32(std::string_view p, size_t at) {
  return (static_cast<uint32_t>(StdioU16(p, at)) << 16) | StdioU16(p, at + 2);
}

}  // namespace capstan::cri::monitor
