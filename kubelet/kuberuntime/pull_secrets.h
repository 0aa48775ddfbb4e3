#pragma once
// Registry credentials from a pod's imagePullSecrets, as upstream's credential keyring reads
// them: Secrets of type kubernetes.io/dockerconfigjson (".dockerconfigjson": {"auths": {...}})
// or kubernetes.io/dockercfg (".dockercfg": {...}), each entry keyed by a registry ("host[:port]
// [/path]", with or without a scheme; "*.example.com" globs; Docker Hub's
// "https://index.docker.io/v1/" counts for docker.io images). The credentials whose key
// matches the image's registry (and path prefix) are tried in order, then none.

#include <map>
#include <string>
#include <vector>

#include "api/cri/runtime_service.h"

namespace capstan::kubelet::kuberuntime {

// `secrets`: the decoded data of each pull secret, in the pod's order.
std::vector<api::cri::v1::AuthConfig> CredentialsFor(
    const std::string& image, const std::vector<std::map<std::string, std::string>>& secrets);

}  // namespace capstan::kubelet::kuberuntime
