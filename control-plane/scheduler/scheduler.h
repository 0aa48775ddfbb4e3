#pragma once
// Scheduler: capstan's kube-scheduler, run inside capstan-server over the API client like
// any other client. Informers on pods and nodes feed the SchedulingQueue; one thread takes
// a pod at a time, snapshots the cluster, runs the plugins (SchedulePod) and binds the pod
// through pods/binding, or records why it could not: a FailedScheduling event and the
// PodScheduled=False condition that `kubectl describe pod` shows. Pods naming another
// schedulerName are left to it.

#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "api/k8s/client/event_recorder.h"
#include "api/k8s/client/reflector.h"
#include "control-plane/scheduler/plugins.h"
#include "control-plane/scheduler/preemption.h"
#include "control-plane/scheduler/scheduling_queue.h"
#include "control-plane/scheduler/volume_binding.h"

namespace capstan::control_plane::scheduler {

inline constexpr const char* kDefaultSchedulerName = "default-scheduler";

class Scheduler {
 public:
  Scheduler(api::k8s::client::ApiClient* api, const Clock* clock,
            std::string name = kDefaultSchedulerName);
  ~Scheduler();
  // Starts the informers and the scheduling thread.
  void Start();
  void Stop();

  // For tests that drive it by hand: the informers (no thread of their own) ...
  api::k8s::client::Reflector& pod_informer() { return pods_; }
  api::k8s::client::Reflector& node_informer() { return nodes_; }
  api::k8s::client::Reflector& budget_informer() { return budgets_; }
  api::k8s::client::Reflector& claim_informer() { return claims_; }
  api::k8s::client::Reflector& volume_informer() { return volumes_; }
  api::k8s::client::Reflector& storage_class_informer() { return classes_; }
  SchedulingQueue& queue() { return queue_; }
  // ... and one attempt at the next ready pod; false when none was ready.
  bool ScheduleNext();

 private:
  bool Responsible(const Json& pod) const;
  void OnPodAdd(const Json& pod);
  void OnPodUpdate(const Json& old_pod, const Json& pod);
  void OnPodDelete(const Json& pod);
  void ScheduleOne(const std::string& key);
  // The pod decoded, from a cache keyed by resourceVersion. Under mu_.
  const api::k8s::Pod* Decoded(const Json& pod);
  // Brings cache_ in line with what the informer shows of one pod (bound and not finished:
  // counted on its node). Under mu_.
  void Recount(const Json& pod);
  void Uncount(const std::string& key);
  // Keeps nominated_ in line with a pod's status.nominatedNodeName. Under mu_.
  void TrackNomination(const Json& pod);
  std::vector<DisruptionBudget> Budgets() const;
  // VolumeBinding's PreFilter: why the pod's claims keep it from every node ("" when they
  // do not): a claim that does not exist, or one not yet bound.
  std::string UnreadyClaims(const api::k8s::Pod& pod) const;
  // Makes the room a plan found: victims marked, told and deleted; lower-priority pods
  // nominated to the node lose that nomination.
  void Preempt(const api::k8s::Pod& pod, const PreemptionPlan& plan);
  Status Bind(const api::k8s::Pod& pod, const std::string& node);
  // VolumeBinding's PreBind: reserves the chosen volumes for their claims and tells
  // provisioners the node.
  Status BindVolumes(const VolumeAssignment& assignment, const std::string& node);
  // The FailedScheduling event and PodScheduled=False; `nominate` ("" keeps it) becomes
  // status.nominatedNodeName.
  void RecordFailure(const api::k8s::Pod& pod, const std::string& message,
                     const std::string& nominate = "");
  void Event(const api::k8s::Pod& pod, const std::string& type, const std::string& reason,
             const std::string& message);

  api::k8s::client::ApiClient* api_;
  const Clock* clock_;
  std::string name_;
  std::vector<std::unique_ptr<Plugin>> plugins_;
  SchedulingQueue queue_;
  api::k8s::client::EventRecorder events_;
  api::k8s::client::Reflector pods_;
  api::k8s::client::Reflector nodes_;
  api::k8s::client::Reflector budgets_;
  api::k8s::client::Reflector claims_;
  api::k8s::client::Reflector volumes_;
  api::k8s::client::Reflector classes_;
  VolumeBindingPlugin* volume_binding_ = nullptr;  // one of plugins_
  std::mt19937 rng_{std::random_device{}()};

  std::mutex mu_;   // guards what the informer threads and the scheduling thread share
  Snapshot cache_;  // the nodes and what their pods take, kept up to date by the informers
  struct Counted {
    std::string node;
    PodUsage usage;
  };
  std::map<std::string, Counted> counted_;      // pod key -> what cache_ counts for it
  std::map<std::string, std::string> assumed_;  // pod key -> node, bound but not yet seen so
  // Pending pods preemption made room for: key -> (node, what they will take).
  std::map<std::string, std::pair<std::string, PodUsage>> nominated_;
  // Nominations this scheduler made whose status patch the informer has not shown yet: an
  // update from before it must not undo them. key -> node.
  std::map<std::string, std::string> nominating_;
  // key -> (rv, pod), for pods waiting to be scheduled.
  std::map<std::string, std::pair<std::string, api::k8s::Pod>> decoded_;
  std::thread thread_;
};

}  // namespace capstan::control_plane::scheduler
