#pragma once
// The ADD result (SPEC section 5, "ADD Success") as C++ values, read from and written to the
// JSON of any version capstan speaks (0.3.0 .. 1.1.0). IPAM plugins return the abbreviated form
// (no interfaces, no interface indexes); interface plugins fill those in.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cni-plugins/lib/error.h"
#include "cni-plugins/lib/ip.h"
#include "cni-plugins/lib/json_util.h"

namespace capstan::cni {

struct Interface {
  std::string name;
  std::string mac;
  uint32_t mtu = 0;         // 1.1.0; 0 = not reported
  std::string sandbox;      // netns path for container interfaces, empty on the host
  std::string socket_path;  // 1.1.0
  std::string pci_id;       // 1.1.0
};

struct IpConfig {
  IpNet address;  // address with prefix, host bits kept
  std::optional<IpAddr> gateway;
  std::optional<int> interface;  // index into AddResult::interfaces
};

struct Route {
  IpNet dst;
  std::optional<IpAddr> gw;
  // 1.1.0 attributes; absent means "not set".
  std::optional<uint32_t> mtu, advmss, priority, table, scope;
};

struct Dns {
  std::vector<std::string> nameservers;
  std::string domain;
  std::vector<std::string> search;
  std::vector<std::string> options;
  bool empty() const {
    return nameservers.empty() && domain.empty() && search.empty() && options.empty();
  }
};

struct AddResult {
  std::vector<Interface> interfaces;
  std::vector<IpConfig> ips;
  std::vector<Route> routes;
  Dns dns;
};

// Reads a result object of any supported version (its own "cniVersion" is not required: a
// prevResult is read with the version of the config carrying it).
CniResult<AddResult> ResultFromJson(const Json& j);
CniResult<Dns> DnsFromJson(const Json& j, std::string_view where);
CniResult<Route> RouteFromJson(const Json& j, std::string_view where);
// Writes the result in the format of `version`.
Json ResultToJson(const AddResult& r, const std::string& version);
Json DnsToJson(const Dns& d);

}  // namespace capstan::cni
