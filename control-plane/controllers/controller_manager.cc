#include "control-plane/controllers/controller_manager.h"

#include <algorithm>

#include "common/log.h"

namespace capstan::control_plane::controllers {
namespace {
namespace client = api::k8s::client;
const log::Logger kLog("controller-manager");
}  // namespace

ControllerManager::ControllerManager(client::ApiClient* api, const Clock* clock,
                                     const ControllerManagerOptions& options)
    : pods_(api, client::resources::kPods, "", {}),
      nodes_(api, client::resources::kNodes, "", {}),
      node_leases_(api, client::resources::kLeases, "kube-node-lease", {}),
      replica_sets_(api, client::resources::kReplicaSets, "", {}),
      replication_controllers_(api, client::resources::kReplicationControllers, "", {}),
      deployments_(api, client::resources::kDeployments, "", {}),
      daemon_sets_(api, client::resources::kDaemonSets, "", {}),
      controller_revisions_(api, client::resources::kControllerRevisions, "", {}),
      jobs_(api, client::resources::kJobs, "", {}),
      cron_jobs_(api, client::resources::kCronJobs, "", {}),
      disruption_budgets_(api, client::resources::kPodDisruptionBudgets, "", {}),
      resource_quotas_(api, client::resources::kResourceQuotas, "", {}),
      stateful_sets_(api, client::resources::kStatefulSets, "", {}),
      services_(api, client::resources::kServices, "", {}),
      endpoints_(api, client::resources::kEndpoints, "", {}),
      endpoint_slices_(api, client::resources::kEndpointSlices, "", {}),
      claims_(api, client::resources::kPersistentVolumeClaims, "", {}),
      volumes_(api, client::resources::kPersistentVolumes, "", {}),
      storage_classes_(api, client::resources::kStorageClasses, "", {}) {
  controllers_.push_back(std::make_unique<ReplicaSetController>(
      api, clock, ReplicaSetController::Kind::kReplicaSet, &replica_sets_, &pods_));
  controllers_.push_back(std::make_unique<ReplicaSetController>(
      api, clock, ReplicaSetController::Kind::kReplicationController, &replication_controllers_,
      &pods_));
  controllers_.push_back(
      std::make_unique<DeploymentController>(api, clock, &deployments_, &replica_sets_, &pods_));
  controllers_.push_back(std::make_unique<DaemonSetController>(
      api, clock, &daemon_sets_, &controller_revisions_, &pods_, &nodes_));
  controllers_.push_back(std::make_unique<JobController>(api, clock, &jobs_, &pods_));
  controllers_.push_back(std::make_unique<CronJobController>(api, clock, &cron_jobs_, &jobs_));
  controllers_.push_back(std::make_unique<TtlAfterFinishedController>(api, clock, &jobs_));
  controllers_.push_back(
      std::make_unique<DisruptionController>(api, clock, &disruption_budgets_, &pods_));
  controllers_.push_back(
      std::make_unique<ResourceQuotaController>(api, clock, &resource_quotas_, &pods_));
  controllers_.push_back(std::make_unique<StatefulSetController>(api, clock, &stateful_sets_,
                                                                 &controller_revisions_, &pods_));
  controllers_.push_back(std::make_unique<EndpointsController>(api, clock, &services_, &pods_,
                                                               &endpoints_, &endpoint_slices_));
  controllers_.push_back(std::make_unique<PersistentVolumeController>(
      api, clock, &claims_, &volumes_, &storage_classes_));
  controllers_.push_back(
      std::make_unique<StorageProtectionController>(api, clock, &claims_, &volumes_, &pods_));
  controllers_.push_back(std::make_unique<EphemeralVolumeController>(api, clock, &pods_, &claims_));
  controllers_.push_back(std::make_unique<NodeTaintController>(api, clock, &nodes_));
  controllers_.push_back(std::make_unique<NodeLifecycleController>(
      api, clock, &nodes_, &node_leases_, &pods_, options.node_lifecycle));
  controllers_.push_back(std::make_unique<TaintEvictionController>(api, clock, &pods_, &nodes_));
  controllers_.push_back(
      std::make_unique<PodGcController>(api, clock, &pods_, &nodes_, options.pod_gc));
  controllers_.push_back(std::make_unique<GarbageCollector>(
      api, clock,
      std::map<std::string, GarbageCollector::Watched>{
          {"Pod", {client::resources::kPods, &pods_}},
          {"ReplicaSet", {client::resources::kReplicaSets, &replica_sets_}},
          {"ReplicationController",
           {client::resources::kReplicationControllers, &replication_controllers_}},
          {"Deployment", {client::resources::kDeployments, &deployments_}},
          {"DaemonSet", {client::resources::kDaemonSets, &daemon_sets_}},
          {"ControllerRevision", {client::resources::kControllerRevisions, &controller_revisions_}},
          {"Job", {client::resources::kJobs, &jobs_}},
          {"CronJob", {client::resources::kCronJobs, &cron_jobs_}},
          {"StatefulSet", {client::resources::kStatefulSets, &stateful_sets_}},
          {"PersistentVolumeClaim", {client::resources::kPersistentVolumeClaims, &claims_}}}));
}

ControllerManager::~ControllerManager() { Stop(); }

std::vector<client::Reflector*> ControllerManager::Informers() {
  return {&pods_,
          &nodes_,
          &claims_,
          &volumes_,
          &storage_classes_,
          &node_leases_,
          &replica_sets_,
          &replication_controllers_,
          &deployments_,
          &daemon_sets_,
          &controller_revisions_,
          &jobs_,
          &cron_jobs_,
          &disruption_budgets_,
          &resource_quotas_,
          &stateful_sets_,
          &services_,
          &endpoints_,
          &endpoint_slices_};
}

void ControllerManager::Start(int workers_per_controller) {
  started_ = true;
  for (auto* r : Informers()) r->Start();
  auto synced = [informers = Informers()] {
    return std::all_of(informers.begin(), informers.end(),
                       [](const client::Reflector* r) { return r->Synced(); });
  };
  for (auto& c : controllers_) c->RunWorkers(workers_per_controller, synced);
  kLog.Info("controllers started", {{"controllers", controllers_.size()}});
}

void ControllerManager::Stop() {
  if (!started_) return;
  started_ = false;
  for (auto& c : controllers_) c->StopWorkers();
  for (auto* r : Informers()) r->Stop();
}

}  // namespace capstan::control_plane::controllers
