#pragma once
// ControllerManager: capstan's kube-controller-manager, run inside capstan-server over the
// API client. It owns the informers the controllers share (one list-and-watch per kind,
// whatever the number of controllers that read it) and starts the controllers once each
// has registered its event handlers.

#include <memory>

#include "api/k8s/client/reflector.h"
#include "control-plane/controllers/cronjob_controller.h"
#include "control-plane/controllers/daemonset_controller.h"
#include "control-plane/controllers/deployment_controller.h"
#include "control-plane/controllers/disruption_controller.h"
#include "control-plane/controllers/endpoints_controller.h"
#include "control-plane/controllers/garbage_collector.h"
#include "control-plane/controllers/job_controller.h"
#include "control-plane/controllers/node_lifecycle_controller.h"
#include "control-plane/controllers/node_taint_controller.h"
#include "control-plane/controllers/persistent_volume_controller.h"
#include "control-plane/controllers/pod_gc_controller.h"
#include "control-plane/controllers/replicaset_controller.h"
#include "control-plane/controllers/resource_quota_controller.h"
#include "control-plane/controllers/statefulset_controller.h"
#include "control-plane/controllers/ephemeral_volume_controller.h"
#include "control-plane/controllers/storage_protection_controller.h"
#include "control-plane/controllers/taint_eviction_controller.h"
#include "control-plane/controllers/ttl_after_finished_controller.h"

namespace capstan::control_plane::controllers {

struct ControllerManagerOptions {
  NodeLifecycleController::Options node_lifecycle;
  PodGcController::Options pod_gc;
};

class ControllerManager {
 public:
  ControllerManager(api::k8s::client::ApiClient* api, const Clock* clock,
                    const ControllerManagerOptions& options = {});
  ~ControllerManager();
  void Start(int workers_per_controller = 2);
  void Stop();

 private:
  std::vector<api::k8s::client::Reflector*> Informers();

  api::k8s::client::Reflector pods_;
  api::k8s::client::Reflector nodes_;
  api::k8s::client::Reflector node_leases_;
  api::k8s::client::Reflector replica_sets_;
  api::k8s::client::Reflector replication_controllers_;
  api::k8s::client::Reflector deployments_;
  api::k8s::client::Reflector daemon_sets_;
  api::k8s::client::Reflector controller_revisions_;
  api::k8s::client::Reflector jobs_;
  api::k8s::client::Reflector cron_jobs_;
  api::k8s::client::Reflector disruption_budgets_;
  api::k8s::client::Reflector resource_quotas_;
  api::k8s::client::Reflector stateful_sets_;
  api::k8s::client::Reflector services_;
  api::k8s::client::Reflector endpoints_;
  api::k8s::client::Reflector endpoint_slices_;
  api::k8s::client::Reflector claims_;
  api::k8s::client::Reflector volumes_;
  api::k8s::client::Reflector storage_classes_;
  std::vector<std::unique_ptr<Controller>> controllers_;
  bool started_ = false;
};

}  // namespace capstan::control_plane::controllers
