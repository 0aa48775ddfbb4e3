#include "kubelet/kuberuntime/dns.h"

#include <algorithm>
#include <sstream>

namespace capstan::kubelet::kuberuntime {
namespace {

// resolv.conf limits glibc honours (upstream validates against the same numbers).
constexpr size_t kMaxNameservers = 3;
constexpr size_t kMaxSearches = 32;

void AppendUnique(std::vector<std::string>& to, const std::vector<std::string>& from) {
  for (const auto& s : from) {
    if (std::find(to.begin(), to.end(), s) == to.end()) {
      to.push_back(s);
    }
  }
}

// Options merge by name ("ndots:5" replaced by the pod's "ndots:2").
void MergeOptions(std::vector<std::string>& to,
                  const std::vector<api::k8s::PodDNSConfigOption>& from) {
  for (const auto& o : from) {
    std::string text = o.value ? o.name + ":" + *o.value : o.name;
    auto same = std::find_if(to.begin(), to.end(), [&](const std::string& existing) {
      return existing.substr(0, existing.find(':')) == o.name;
    });
    if (same != to.end()) {
      *same = text;
    } else {
      to.push_back(text);
    }
  }
}

}  // namespace

ResolvConf ParseResolvConf(std::string_view text) {
  ResolvConf rc;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    auto hash = line.find_first_of("#;");
    if (hash != std::string::npos) {
      line.resize(hash);
    }
    std::istringstream fields(line);
    std::string key;
    if (!(fields >> key)) {
      continue;
    }
    std::string v;
    if (key == "nameserver") {
      if (fields >> v) {
        rc.nameservers.push_back(v);
      }
    } else if (key == "search" || key == "domain") {
      rc.searches.clear();  // the last search/domain line wins
      while (fields >> v) {
        rc.searches.push_back(v);
      }
    } else if (key == "options") {
      while (fields >> v) {
        rc.options.push_back(v);
      }
    }
  }
  return rc;
}

Result<api::cri::v1::DNSConfig> PodDnsConfig(const api::k8s::Pod& pod, const NodeContext& node,
                                             const ResolvConf& host) {
  const std::string& policy = pod.spec.dns_policy.empty() ? "ClusterFirst" : pod.spec.dns_policy;
  bool cluster =
      policy == "ClusterFirstWithHostNet" || (policy == "ClusterFirst" && !pod.spec.host_network);
  if (cluster && node.cluster_dns.empty()) {
    // No cluster DNS configured: the pod falls back to the node's resolver (upstream logs
    // this and does the same).
    cluster = false;
  }
  ResolvConf rc;
  if (policy == "None") {
    // Only what dnsConfig says.
  } else if (cluster) {
    rc.nameservers = node.cluster_dns;
    const std::string& d = node.cluster_domain;
    if (!d.empty()) {
      rc.searches = {pod.metadata.namespace_ + ".svc." + d, "svc." + d, d};
    }
    AppendUnique(rc.searches, host.searches);
    rc.options = {"ndots:5"};
  } else if (policy == "Default" || policy == "ClusterFirst" ||
             policy == "ClusterFirstWithHostNet") {
    rc = host;
  } else {
    return Fail(Code::kInvalidArgument, "spec.dnsPolicy: unsupported value {:?}", policy);
  }
  if (pod.spec.dns_config) {
    AppendUnique(rc.nameservers, pod.spec.dns_config->nameservers);
    AppendUnique(rc.searches, pod.spec.dns_config->searches);
    MergeOptions(rc.options, pod.spec.dns_config->options);
  }
  if (rc.nameservers.size() > kMaxNameservers) {
    rc.nameservers.resize(kMaxNameservers);
  }
  if (rc.searches.size() > kMaxSearches) {
    rc.searches.resize(kMaxSearches);
  }
  api::cri::v1::DNSConfig out;
  for (const auto& s : rc.nameservers) {
    out.add_servers(s);
  }
  for (const auto& s : rc.searches) {
    out.add_searches(s);
  }
  for (const auto& s : rc.options) {
    out.add_options(s);
  }
  return out;
}

}  // namespace capstan::kubelet::kuberuntime
