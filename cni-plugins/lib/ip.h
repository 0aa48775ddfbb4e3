#pragma once
// IPv4/IPv6 addresses and prefixes as values: parsing (inet_pton, so no leading zeros or other
// surprises), canonical printing, and the arithmetic IPAM needs (next, previous, compare,
// network, containment, last usable address).

#include <sys/socket.h>

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace capstan::cni {

class IpAddr {
 public:
  IpAddr() = default;
  static std::optional<IpAddr> Parse(std::string_view text);
  static IpAddr FromBytes(int family, const void* bytes);

  int family() const { return family_; }  // AF_INET or AF_INET6; 0 when empty
  bool is_v4() const { return family_ == AF_INET; }
  bool empty() const { return family_ == 0; }
  size_t size() const { return is_v4() ? 4 : 16; }
  const uint8_t* data() const { return bytes_.data(); }
  std::string ToString() const;

  // The next/previous address (wrapping within the family).
  IpAddr Next() const;
  IpAddr Prev() const;
  // Zeroes the bits after `prefix`.
  IpAddr Masked(int prefix) const;
  // Sets the bits after `prefix`.
  IpAddr Filled(int prefix) const;

  // Orders v4 before v6, then by value.
  std::strong_ordering operator<=>(const IpAddr& o) const;
  bool operator==(const IpAddr& o) const = default;

 private:
  int family_ = 0;
  std::array<uint8_t, 16> bytes_{};
};

// An address with a prefix length: "10.1.2.3/24" keeps the host bits (an interface address);
// Network() clears them.
struct IpNet {
  IpAddr ip;
  int prefix = 0;

  static std::optional<IpNet> Parse(std::string_view cidr);
  int bits() const { return ip.is_v4() ? 32 : 128; }
  IpNet Network() const { return {ip.Masked(prefix), prefix}; }
  bool Contains(const IpAddr& a) const;
  bool Overlaps(const IpNet& o) const;
  std::string ToString() const;
  bool operator==(const IpNet& o) const = default;
};

}  // namespace capstan::cni
