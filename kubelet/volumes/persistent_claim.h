#pragma once
// The persistentVolumeClaim volume plugin: a pod's claim, resolved to the PersistentVolume
// bound to it, mounted by that volume's source.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "kubelet/volumes/volume_plugin.h"

namespace capstan::kubelet::volumes {

// An API object by kind ("PersistentVolumeClaim", "PersistentVolume"), namespace ("" for
// cluster-scoped) and name. Null: no API server.
using ApiObjectGetter = std::function<Result<nlohmann::json>(
    const std::string& kind, const std::string& ns, const std::string& name)>;

class CsiVolumes;
// `csi` (may be null: csi volumes are then refused) stages and publishes csi sources; an
// unbound claim is re-read for up to `wait_for_binding` before the mount fails.
std::unique_ptr<VolumePlugin> NewPersistentClaimPlugin(
    ApiObjectGetter get, CsiVolumes* csi = nullptr,
    std::chrono::milliseconds wait_for_binding = std::chrono::milliseconds(0));

}  // namespace capstan::kubelet::volumes
