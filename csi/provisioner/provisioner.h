#pragma once
// The provisioner beside a CSI driver, with external-provisioner's behaviour (and the
// expansion half of external-resizer's):
// - a claim of a StorageClass whose provisioner is this driver, handed to it by the PV
//   controller (volume.kubernetes.io/storage-provisioner), gets CreateVolume named
//   pvc-<claim uid> and a PersistentVolume pre-bound to it; with WaitForFirstConsumer only
//   once the scheduler chose a node (volume.kubernetes.io/selected-node), whose topology the
//   volume must be reachable from;
// - a Released volume of this driver with reclaim Delete gets DeleteVolume, then goes;
// - a bound claim asking for more than it has, in a class with allowVolumeExpansion, gets
//   ControllerExpandVolume and its new capacity.
// Node-local drivers (`node_name` set) provision only for claims that chose their node, as
// external-provisioner --node-deployment does; an Immediate claim is first taken by writing
// this node as its selected node (one writer wins).

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "api/csi/v1/csi.grpc.pb.h"
#include "api/k8s/client/event_recorder.h"
#include "api/k8s/client/reflector.h"

namespace capstan::csi {

struct ProvisionerOptions {
  std::string driver_name;
  std::string node_name;  // "" : volumes reachable from every node
  std::chrono::milliseconds resync{1000};
};

class Provisioner {
 public:
  Provisioner(api::k8s::client::ApiClient* api,
              std::shared_ptr<::csi::v1::Controller::StubInterface> csi, ProvisionerOptions options,
              const Clock* clock);
  ~Provisioner();

  void Start();
  void Stop();
  // One pass over every claim and volume (tests drive this once the caches are synced).
  void SyncAll();
  bool Synced() const;

 private:
  void Wake();
  void SyncClaim(const api::k8s::client::Json& claim);
  void SyncVolume(const api::k8s::client::Json& volume);
  Status Provision(const api::k8s::client::Json& claim, const api::k8s::client::Json& sc);
  Status DeleteReleased(const api::k8s::client::Json& volume);
  Status Expand(const api::k8s::client::Json& claim, const api::k8s::client::Json& sc);
  Result<::csi::v1::Topology> TopologyOf(const std::string& node);
  bool Mine(const api::k8s::client::Json& volume) const;

  api::k8s::client::ApiClient* api_;
  std::shared_ptr<::csi::v1::Controller::StubInterface> csi_;
  ProvisionerOptions options_;
  api::k8s::client::EventRecorder events_;
  api::k8s::client::Reflector claims_;
  api::k8s::client::Reflector volumes_;
  api::k8s::client::Reflector classes_;
  // Claims whose provisioning failed wait before the next try: 1 s doubling to 5 min, as
  // external-provisioner backs off (by claim uid).
  struct Backoff {
    std::chrono::steady_clock::time_point next;
    std::chrono::seconds delay{0};
  };
  std::map<std::string, Backoff> backoff_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool dirty_ = true;
  std::thread thread_;
};

}  // namespace capstan::csi
