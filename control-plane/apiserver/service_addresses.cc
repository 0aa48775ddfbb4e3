#include "control-plane/apiserver/service_addresses.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <random>

namespace capstan::control_plane::apiserver {
namespace {

std::optional<uint32_t> ParseIp(const std::string& s) {
  in_addr a{};
  if (::inet_pton(AF_INET, s.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

std::string FormatIp(uint32_t ip) {
  return fmt::format("{}.{}.{}.{}", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

constexpr int64_t kFirstNodePort = 30000;
constexpr int64_t kLastNodePort = 32767;

}  // namespace

ServiceAddresses::ServiceAddresses(storage::Store* store, std::string cidr) : store_(store) {
  size_t slash = cidr.find('/');
  auto base = ParseIp(cidr.substr(0, slash));
  int bits = slash == std::string::npos ? 16 : std::stoi(cidr.substr(slash + 1));
  bits = std::clamp(bits, 8, 30);
  size_ = 1u << (32 - bits);
  base_ = base.value_or(0x0a2b0000) & ~(size_ - 1);
}

void ServiceAddresses::Used(std::set<uint32_t>* ips, std::set<int64_t>* ports) {
  auto list = store_->List("/registry/core/services/", {});
  if (!list) return;
  for (const auto& kv : list->items) {
    Json svc = Json::parse(kv.value, nullptr, false);
    if (auto ip = ParseIp(StringOr(Lookup(svc, {"spec", "clusterIP"})))) ips->insert(*ip);
    const Json& svc_ports = Lookup(svc, {"spec", "ports"});
    if (!svc_ports.is_array()) continue;
    for (const auto& p : svc_ports) {
      if (p.is_object() && p.contains("nodePort")) ports->insert(IntOr(p["nodePort"], 0));
    }
  }
}

ApiResult<void> ServiceAddresses::Allocate(Json& service) {
  Json& spec = service["spec"];
  if (!spec.is_object()) return {};
  std::set<uint32_t> ips;
  std::set<int64_t> ports;
  Used(&ips, &ports);
  std::string name = MetaString(service, "name");
  thread_local std::mt19937 rng{std::random_device{}()};

  std::string type = StringOr(spec.value("type", Json()), "ClusterIP");
  std::string ip_text = StringOr(spec.value("clusterIP", Json()));
  if (type != "ExternalName" && ip_text != "None") {
    auto ip = ParseIp(ip_text);
    if (!ip_text.empty() && !ip) {
      return std::unexpected(
          InvalidError("", "Service", name,
                       {Invalid("spec.clusterIPs[0]", ip_text, "must be a valid IP address")}));
    }
    if (ip && (*ip < base_ || *ip >= base_ + size_)) {
      return std::unexpected(InvalidError("", "Service", name,
                                          {Invalid("spec.clusterIPs", Json::array({ip_text}),
                                                   "provided IP is not in the valid range")}));
    }
    if (ip && ips.count(*ip)) {
      return std::unexpected(InvalidError(
          "", "Service", name,
          {Invalid("spec.clusterIPs", Json::array({ip_text}),
                   fmt::format("failed to allocate IP {}: provided IP is already allocated",
                               ip_text))}));
    }
    if (!ip) {
      // Pick a free one; the first address is the API server's, the tenth the DNS one's.
      std::uniform_int_distribution<uint32_t> pick(11, size_ - 2);
      uint32_t chosen = 0;
      for (int tries = 0; tries < 1000 && chosen == 0; ++tries) {
        uint32_t candidate = base_ + pick(rng);
        if (!ips.count(candidate)) chosen = candidate;
      }
      if (chosen == 0) {
        for (uint32_t i = 11; i < size_ - 1 && chosen == 0; ++i) {
          if (!ips.count(base_ + i)) chosen = base_ + i;
        }
      }
      if (chosen == 0) {
        return std::unexpected(InternalError("range is full: no free cluster IP"));
      }
      spec["clusterIP"] = FormatIp(chosen);
      spec["clusterIPs"] = Json::array({FormatIp(chosen)});
    }
  }
  if (spec.contains("ports") && spec["ports"].is_array()) {
    std::uniform_int_distribution<int64_t> pick(kFirstNodePort, kLastNodePort);
    bool wants_node_ports = type == "NodePort" || type == "LoadBalancer";
    for (auto& p : spec["ports"]) {
      if (!p.is_object()) continue;
      if (!p.contains("nodePort")) {
        if (!wants_node_ports) continue;
        int64_t port = pick(rng);
        while (ports.count(port)) port = pick(rng);
        p["nodePort"] = port;
        ports.insert(port);
        continue;
      }
      int64_t port = IntOr(p["nodePort"], 0);
      if (port < kFirstNodePort || port > kLastNodePort) {
        return std::unexpected(InvalidError(
            "", "Service", name,
            {Invalid("spec.ports[0].nodePort", port,
                     "provided port is not in the valid range. The range of valid ports is "
                     "30000-32767")}));
      }
      if (ports.count(port)) {
        return std::unexpected(InvalidError(
            "", "Service", name,
            {Invalid("spec.ports[0].nodePort", port, "provided port is already allocated")}));
      }
      ports.insert(port);
    }
  }
  return {};
}

}  // namespace capstan::control_plane::apiserver
