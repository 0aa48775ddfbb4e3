#pragma once
// A static pod manifest as the pods it defines on this node (the file source's
// applyDefaults): decoded (Pod or PodList, YAML or JSON), defaulted and validated as the API
// server would, named "<name>-<node>", bound to the node, and given a uid that hashes the
// content, the node and the file (so a changed spec is a new pod), plus the config.hash,
// config.source and config.seen annotations.

#include <string>
#include <string_view>
#include <vector>

#include "api/k8s/pod.h"
#include "common/error.h"
#include "common/time.h"

namespace capstan::kubelet::sources {

Result<std::vector<api::k8s::Pod>> StaticPodsFromManifest(std::string_view text,
                                                          const std::string& path,
                                                          const std::string& node_name,
                                                          WallTime seen);

}  // namespace capstan::kubelet::sources
