#pragma once
// Decoders shared between the codec's files (not part of the public codec).

#include <string>

#include "api/k8s/json_reader.h"
#include "api/k8s/pod.h"

namespace capstan::api::k8s {

Result<SeccompProfile> DecodeSeccomp(const Json& j, const std::string& path);
Result<SELinuxOptions> DecodeSELinux(const Json& j, const std::string& path);

}  // namespace capstan::api::k8s
