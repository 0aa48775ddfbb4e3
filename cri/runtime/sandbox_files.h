#pragma once
// The files a pod's containers share: /etc/hostname, /etc/resolv.conf and /etc/hosts.

#include <string>

#include "api/cri/runtime/v1/api.pb.h"

namespace capstan::cri::runtime {

// resolv.conf from the CRI DNSConfig; empty DNSConfig means: copy the host's resolv.conf.
std::string ResolvConf(const ::runtime::v1::DNSConfig& dns, const std::string& host_resolv);
// A default /etc/hosts (the kubelet mounts its own over it for most pods).
std::string HostsFile(const std::string& hostname);

}  // namespace capstan::cri::runtime
