#pragma once
// What the API learns of this node's CSI drivers, as upstream's nodeinfomanager writes it:
// the CSINode object (one entry per driver: its node id, topology keys and volume limit),
// the Node's csi.volume.kubernetes.io/nodeid annotation, and the drivers' topology segments
// as Node labels (which the scheduler matches PersistentVolumes' nodeAffinity against).

#include <string>
#include <vector>

#include "api/k8s/client/api_client.h"
#include "kubelet/volumes/csi_registry.h"

namespace capstan::kubelet::volumes {

Status SyncCsiNode(api::k8s::client::ApiClient* api, const std::string& node_name,
                   const std::vector<CsiDriverInfo>& drivers);

}  // namespace capstan::kubelet::volumes
