#pragma once
// JSON (and YAML, through the same JSON tree) encoding of the Pod model. Decoding ignores
// unknown fields (as the API server does for static pods) but a known field of the wrong
// type is an error naming it ("spec.containers[0].ports[0].containerPort: expected an
// integer, got string \"80\""). Encoding omits empty fields, as `omitempty` does.

#include <string>
#include <string_view>
#include <vector>

#include "api/k8s/json_reader.h"
#include "api/k8s/pod.h"

namespace capstan::api::k8s {

Result<Pod> DecodePod(const Json& j);
Result<Pod> DecodePodJson(std::string_view text);
Result<Pod> DecodePodYaml(std::string_view text);
// A manifest file: JSON or YAML holding a Pod, or a PodList/List of pods. `kind` and
// `apiVersion` ("v1") are required, as the kubelet's decoder requires them.
Result<std::vector<Pod>> DecodePodManifest(std::string_view text);

Json EncodePod(const Pod& pod);
Json EncodeContainer(const Container& c);
Json EncodePodStatus(const PodStatus& s);
std::string EncodePodJson(const Pod& pod);

// Pieces the codec shares with other decoders.
Result<Quantity> DecodeQuantity(const Json& j, const std::string& path);
Result<Container> DecodeContainer(const Json& j, const std::string& path);
Result<PodStatus> DecodePodStatus(const Json& j, const std::string& path);
// A core/v1 NodeSelector ({nodeSelectorTerms: [...]}), as a PersistentVolume's
// spec.nodeAffinity.required holds it.
Result<std::vector<NodeSelectorTerm>> DecodeNodeSelector(const Json& j, const std::string& path);

}  // namespace capstan::api::k8s
