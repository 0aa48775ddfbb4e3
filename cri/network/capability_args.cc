#include "cri/network/capability_args.h"

#include <cmath>
#include <limits>

namespace capstan::cri::network {

using nlohmann::json;

CniArgList PodCniArgs(const std::string& sandbox_id, const ::runtime::v1::PodSandboxConfig* c) {
  CniArgList args = {{"IgnoreUnknown", "1"}};
  if (c != nullptr) {
    args.emplace_back("K8S_POD_NAMESPACE", c->metadata().namespace_());
    args.emplace_back("K8S_POD_NAME", c->metadata().name());
  }
  args.emplace_back("K8S_POD_INFRA_CONTAINER_ID", sandbox_id);
  if (c != nullptr && !c->metadata().uid().empty()) {
    args.emplace_back("K8S_POD_UID", c->metadata().uid());
  }
  return args;
}

std::string JoinCniArgs(const CniArgList& args) {
  std::string out;
  for (const auto& [k, v] : args) {
    // ';' and '=' would change the meaning of the list: such values are dropped.
    if (v.find_first_of(";=") != std::string::npos) {
      continue;
    }
    out += (out.empty() ? "" : ";") + k + "=" + v;
  }
  return out;
}

std::optional<uint64_t> ParseQuantity(std::string_view q) {
  size_t i = 0;
  while (i < q.size() && ((q[i] >= '0' && q[i] <= '9') || q[i] == '.')) {
    ++i;
  }
  if (i == 0) {
    return std::nullopt;
  }
  double num = 0;
  try {
    num = std::stod(std::string(q.substr(0, i)));
  } catch (...) {
    return std::nullopt;
  }
  std::string_view suffix = q.substr(i);
  static const std::pair<std::string_view, double> kSuffixes[] = {{"", 1},
                                                                  {"k", 1e3},
                                                                  {"M", 1e6},
                                                                  {"G", 1e9},
                                                                  {"T", 1e12},
                                                                  {"P", 1e15},
                                                                  {"E", 1e18},
                                                                  {"Ki", 1024.0},
                                                                  {"Mi", 1048576.0},
                                                                  {"Gi", 1073741824.0},
                                                                  {"Ti", 1099511627776.0},
                                                                  {"Pi", 1125899906842624.0},
                                                                  {"m", 1e-3}};
  for (const auto& [s, mult] : kSuffixes) {
    if (suffix == s) {
      double v = num * mult;
      if (!std::isfinite(v) || v < 0 ||
          v > static_cast<double>(std::numeric_limits<uint64_t>::max())) {
        return std::nullopt;
      }
      return static_cast<uint64_t>(v);
    }
  }
  return std::nullopt;
}

json PodCapabilityArgs(const ::runtime::v1::PodSandboxConfig* c,
                       const std::vector<std::string>& pod_cidrs) {
  json caps = json::object();
  if (c != nullptr) {
    json ports = json::array();
    for (const auto& p : c->port_mappings()) {
      if (p.host_port() <= 0) {
        continue;  // only hostPorts are mapped
      }
      const char* proto = p.protocol() == ::runtime::v1::UDP    ? "udp"
                          : p.protocol() == ::runtime::v1::SCTP ? "sctp"
                                                                : "tcp";
      json m{
          {"hostPort", p.host_port()}, {"containerPort", p.container_port()}, {"protocol", proto}};
      if (!p.host_ip().empty()) {
        m["hostIP"] = p.host_ip();
      }
      ports.push_back(std::move(m));
    }
    if (!ports.empty()) {
      caps["portMappings"] = std::move(ports);
    }
    if (c->has_dns_config()) {
      const auto& d = c->dns_config();
      json dns = json::object();
      if (d.servers_size() > 0) {
        dns["servers"] = std::vector<std::string>(d.servers().begin(), d.servers().end());
      }
      if (d.searches_size() > 0) {
        dns["searches"] = std::vector<std::string>(d.searches().begin(), d.searches().end());
      }
      if (d.options_size() > 0) {
        dns["options"] = std::vector<std::string>(d.options().begin(), d.options().end());
      }
      if (!dns.empty()) {
        caps["dns"] = std::move(dns);
      }
    }
    // Rates in bits per second; the burst is left to the plugin's maximum, as containerd does.
    json bw = json::object();
    const auto& ann = c->annotations();
    if (auto it = ann.find("kubernetes.io/ingress-bandwidth"); it != ann.end()) {
      if (auto v = ParseQuantity(it->second)) {
        bw["ingressRate"] = *v;
        bw["ingressBurst"] = std::numeric_limits<uint32_t>::max();
      }
    }
    if (auto it = ann.find("kubernetes.io/egress-bandwidth"); it != ann.end()) {
      if (auto v = ParseQuantity(it->second)) {
        bw["egressRate"] = *v;
        bw["egressBurst"] = std::numeric_limits<uint32_t>::max();
      }
    }
    if (!bw.empty()) {
      caps["bandwidth"] = std::move(bw);
    }
  }
  if (!pod_cidrs.empty()) {
    json ranges = json::array();
    for (const auto& cidr : pod_cidrs) {
      ranges.push_back(json::array({json{{"subnet", cidr}}}));
    }
    caps["ipRanges"] = std::move(ranges);
  }
  return caps;
}

}  // namespace capstan::cri::network
