#include "cni-plugins/lib/ip.h"

#include <arpa/inet.h>

#include <algorithm>

#include <charconv>
#include <cstring>

namespace capstan::cni {

std::optional<IpAddr> IpAddr::Parse(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) {
    return std::nullopt;
  }
  char buf[INET6_ADDRSTRLEN + 1];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddr a;
  if (::inet_pton(AF_INET, buf, a.bytes_.data()) == 1) {
    a.family_ = AF_INET;
    return a;
  }
  if (::inet_pton(AF_INET6, buf, a.bytes_.data()) == 1) {
    a.family_ = AF_INET6;
    // IPv4-mapped IPv6 ("::ffff:10.1.2.3") means the IPv4 address, as Go's net.IP does.
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(a.bytes_.data(), kMapped, 12) == 0) {
      IpAddr v4;
      v4.family_ = AF_INET;
      std::memcpy(v4.bytes_.data(), a.bytes_.data() + 12, 4);
      return v4;
    }
    return a;
  }
  return std::nullopt;
}

IpAddr IpAddr::FromBytes(int family, const void* bytes) {
  IpAddr a;
  a.family_ = family;
  std::memcpy(a.bytes_.data(), bytes, family == AF_INET ? 4 : 16);
  return a;
}

std::string IpAddr::ToString() const {
  if (empty()) {
    return "";
  }
  char buf[INET6_ADDRSTRLEN];
  ::inet_ntop(family_, bytes_.data(), buf, sizeof(buf));
  return buf;
}

IpAddr IpAddr::Next() const {
  IpAddr r = *this;
  for (int i = static_cast<int>(size()) - 1; i >= 0; --i) {
    if (++r.bytes_[i] != 0) {
      break;
    }
  }
  return r;
}

IpAddr IpAddr::Prev() const {
  IpAddr r = *this;
  for (int i = static_cast<int>(size()) - 1; i >= 0; --i) {
    if (r.bytes_[i]-- != 0) {
      break;
    }
  }
  return r;
}

IpAddr IpAddr::Masked(int prefix) const {
  IpAddr r = *this;
  for (int i = 0; i < static_cast<int>(size()); ++i) {
    int keep = std::clamp(prefix - i * 8, 0, 8);
    r.bytes_[i] &= static_cast<uint8_t>(keep == 0 ? 0 : 0xff << (8 - keep));
  }
  return r;
}

IpAddr IpAddr::Filled(int prefix) const {
  IpAddr r = *this;
  for (int i = 0; i < static_cast<int>(size()); ++i) {
    int keep = std::clamp(prefix - i * 8, 0, 8);
    r.bytes_[i] |= static_cast<uint8_t>(keep == 8 ? 0 : 0xff >> keep);
  }
  return r;
}

std::strong_ordering IpAddr::operator<=>(const IpAddr& o) const {
  if (family_ != o.family_) {
    return family_ <=> o.family_;
  }
  int c = std::memcmp(bytes_.data(), o.bytes_.data(), size());
  return c <=> 0;
}

std::optional<IpNet> IpNet::Parse(std::string_view cidr) {
  size_t slash = cidr.find('/');
  if (slash == std::string_view::npos) {
    return std::nullopt;
  }
  auto ip = IpAddr::Parse(cidr.substr(0, slash));
  if (!ip) {
    return std::nullopt;
  }
  std::string_view len = cidr.substr(slash + 1);
  int prefix = -1;
  auto [p, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
  if (len.empty() || ec != std::errc() || p != len.data() + len.size()) {
    return std::nullopt;
  }
  // "::ffff:1.2.3.4/120" parsed as IPv4 would need its prefix shifted; refuse it instead.
  bool mapped = ip->is_v4() && cidr.substr(0, slash).find(':') != std::string_view::npos;
  int max = ip->is_v4() ? 32 : 128;
  if (mapped || prefix < 0 || prefix > max) {
    return std::nullopt;
  }
  return IpNet{*ip, prefix};
}

bool IpNet::Contains(const IpAddr& a) const {
  return a.family() == ip.family() && a.Masked(prefix) == ip.Masked(prefix);
}

bool IpNet::Overlaps(const IpNet& o) const { return Contains(o.ip) || o.Contains(ip); }

std::string IpNet::ToString() const { return ip.ToString() + "/" + std::to_string(prefix); }

}  // namespace capstan::cni
