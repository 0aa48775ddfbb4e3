#include "kubelet/config/flags.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace capstan::kubelet::config {

Result<KubeletConfiguration> ResolveConfiguration(const KubeletFlags& flags) {
  KubeletConfiguration c;
  if (!flags.config.empty()) {
    CAPSTAN_ASSIGN_OR_RETURN(c, LoadKubeletConfiguration(flags.config));
  } else {
    // Without a config file upstream runs with its flag defaults: --anonymous-auth=true,
    // --authorization-mode=AlwaysAllow, --authentication-token-webhook=false. capstan keeps
    // anonymous access off (DESIGN.md: the kubelet API authenticates every request), so
    // only clients of a configured client CA get in; with no API server to ask, those may
    // do what they ask.
    c.authentication_anonymous_enabled = false;
    c.authorization_mode = "AlwaysAllow";
    c.authentication_webhook_enabled = false;
  }
  if (flags.container_runtime_endpoint) {
    c.container_runtime_endpoint = *flags.container_runtime_endpoint;
  }
  if (flags.pod_manifest_path) {
    c.static_pod_path = *flags.pod_manifest_path;
  }
  CAPSTAN_TRY(Validate(c));
  return c;
}

std::string NodeName(const KubeletFlags& flags) {
  std::string name = flags.hostname_override;
  if (name.empty()) {
    char buf[256] = {};
    ::gethostname(buf, sizeof(buf) - 1);
    name = buf;
  }
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return name;
}

}  // namespace capstan::kubelet::config
