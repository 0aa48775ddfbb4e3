#pragma once
// Decoders shared between the codec's files (not part of the public codec).

#include <string>

#include "api/k8s/json_reader.h"
#include "api/k8s/pod.h"

namespace capstan::api::k8s {

Result<SeccompProfile> DecodeSeccomp(const Json& j, const std::string& path);
Result<SELinuxOptions> DecodeSELinux(const Json& j, const std::string& path);
Result<ObjectFieldSelector> DecodeObjectFieldSelector(const Json& j, const std::string& path);
Result<ResourceFieldSelector> DecodeResourceFieldSelector(const Json& j, const std::string& path);

// The volume sources that carry API data (configMap, secret, downwardAPI, projected):
// decoded into `v`; volume_source_codec.cc.
Status DecodeDataVolumeSources(const Json& j, const std::string& path, Volume& v);
void EncodeDataVolumeSources(const Volume& v, Json& j);
// affinity and tolerations; scheduling_codec.cc.
Result<Affinity> DecodeAffinity(const Json& j, const std::string& path);
Result<Toleration> DecodeToleration(const Json& j, const std::string& path);
Json EncodeAffinity(const Affinity& a);
Json EncodeToleration(const Toleration& t);
// The fieldRef and resourceFieldRef encoders shared with env.
Json EncodeObjectFieldSelector(const ObjectFieldSelector& f);
Json EncodeResourceFieldSelector(const ResourceFieldSelector& f);

}  // namespace capstan::api::k8s
