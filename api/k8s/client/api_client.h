#pragma once
// ApiClient: the verbs on API objects every component uses (the kubelet, later the scheduler
// and controllers), over JSON. RestApiClient speaks HTTPS to an API server (capstan-server or
// kube-apiserver); FakeApiClient (fake_api_client.h) keeps objects in memory with the same
// resourceVersion, conflict and watch behaviour, for tests.
//
// Errors carry codes a caller can act on: NotFound, AlreadyExists, FailedPrecondition (a
// resourceVersion conflict), InvalidArgument (422/400), PermissionDenied (401/403),
// OutOfRange (410: a watch too old), Unavailable (transport).

#include <chrono>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace capstan::api::k8s::client {

using Json = nlohmann::json;

// A resource: its group ("" for core), version and plural name.
struct Resource {
  std::string group;
  std::string version;
  std::string plural;
  bool namespaced = true;
};

namespace resources {
inline const Resource kNodes{"", "v1", "nodes", false};
inline const Resource kPods{"", "v1", "pods", true};
inline const Resource kEvents{"", "v1", "events", true};
inline const Resource kConfigMaps{"", "v1", "configmaps", true};
inline const Resource kSecrets{"", "v1", "secrets", true};
inline const Resource kLeases{"coordination.k8s.io", "v1", "leases", true};
inline const Resource kCsrs{"certificates.k8s.io", "v1", "certificatesigningrequests", false};
inline const Resource kServiceAccounts{"", "v1", "serviceaccounts", true};
inline const Resource kServices{"", "v1", "services", true};
inline const Resource kEndpoints{"", "v1", "endpoints", true};
inline const Resource kEndpointSlices{"discovery.k8s.io", "v1", "endpointslices", true};
inline const Resource kReplicationControllers{"", "v1", "replicationcontrollers", true};
inline const Resource kReplicaSets{"apps", "v1", "replicasets", true};
inline const Resource kDeployments{"apps", "v1", "deployments", true};
inline const Resource kDaemonSets{"apps", "v1", "daemonsets", true};
inline const Resource kControllerRevisions{"apps", "v1", "controllerrevisions", true};
inline const Resource kJobs{"batch", "v1", "jobs", true};
inline const Resource kCronJobs{"batch", "v1", "cronjobs", true};
inline const Resource kPodDisruptionBudgets{"policy", "v1", "poddisruptionbudgets", true};
inline const Resource kResourceQuotas{"", "v1", "resourcequotas", true};
inline const Resource kStatefulSets{"apps", "v1", "statefulsets", true};
inline const Resource kPersistentVolumeClaims{"", "v1", "persistentvolumeclaims", true};
inline const Resource kPersistentVolumes{"", "v1", "persistentvolumes", false};
inline const Resource kStorageClasses{"storage.k8s.io", "v1", "storageclasses", false};
inline const Resource kCsiDrivers{"storage.k8s.io", "v1", "csidrivers", false};
inline const Resource kCsiNodes{"storage.k8s.io", "v1", "csinodes", false};
}  // namespace resources

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;     // for watches: from after this revision
  std::chrono::seconds timeout{0};  // watches: the server ends them after this (0: its default)
};

enum class PatchType { kMerge, kStrategic, kJson };

// One event of a watch: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.
struct WatchEvent {
  std::string type;
  Json object;
};

class ApiClient {
 public:
  virtual ~ApiClient() = default;
  virtual Result<Json> Get(const Resource& r, const std::string& ns, const std::string& name) = 0;
  virtual Result<Json> List(const Resource& r, const std::string& ns,
                            const ListOptions& options = {}) = 0;
  virtual Result<Json> Create(const Resource& r, const std::string& ns, const Json& object) = 0;
  // POST to a subresource of an object (serviceaccounts/token, pods/binding, ...): the
  // server's answer.
  virtual Result<Json> CreateSubresource(const Resource& r, const std::string& ns,
                                         const std::string& name, const std::string& subresource,
                                         const Json& object) = 0;
  // `subresource` "" or "status". A resourceVersion in the object is a precondition.
  virtual Result<Json> Update(const Resource& r, const std::string& ns, const std::string& name,
                              const Json& object, const std::string& subresource = "") = 0;
  virtual Result<Json> Patch(const Resource& r, const std::string& ns, const std::string& name,
                             PatchType type, const Json& patch,
                             const std::string& subresource = "") = 0;
  // grace_seconds < 0: the object's default. `propagation` "" is the server's default
  // (Background for most kinds), else "Foreground", "Background" or "Orphan".
  virtual Status Delete(const Resource& r, const std::string& ns, const std::string& name,
                        int64_t grace_seconds = -1, const std::string& propagation = "") = 0;
  // Calls `on_event` for each event until it returns false, the server ends the watch, or it
  // fails (410 Gone is OutOfRange: list again).
  virtual Status Watch(const Resource& r, const std::string& ns, const ListOptions& options,
                       const std::function<bool(const WatchEvent&)>& on_event) = 0;
  // For shutdown: ends every watch in flight (their Watch calls return Ok) and makes later
  // ones return at once.
  virtual void CancelWatches() = 0;
};

// A query parameter's value, percent-encoded (RFC 3986 unreserved characters kept).
std::string QueryEscape(const std::string& value);

// The path of a resource collection or object: /api/v1/namespaces/ns/pods[/name[/sub]].
std::string ResourcePath(const Resource& r, const std::string& ns, const std::string& name = "",
                         const std::string& subresource = "");

}  // namespace capstan::api::k8s::client
