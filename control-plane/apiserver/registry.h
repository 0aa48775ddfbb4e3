#pragma once
// Registry: the generic REST storage every resource goes through (kube-apiserver's
// genericregistry.Store): create, get, list, watch, update, patch, delete over a Store,
// with the object's metadata kept by the server (uid, resourceVersion, generation,
// creationTimestamp, generateName, deletionTimestamp and finalizers), the kind's Strategy,
// and resourceVersion preconditions. Objects stay JSON; fields the server does not know
// are kept as sent.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "control-plane/apiserver/api_status.h"
#include "control-plane/apiserver/object_util.h"
#include "control-plane/apiserver/resource_info.h"
#include "control-plane/storage/store.h"

namespace capstan::control_plane::apiserver {

template <typename T>
using ApiResult = std::expected<T, ApiError>;

struct ListQuery {
  std::string namespace_;  // "" : every namespace
  std::string label_selector;
  std::string field_selector;
  int64_t limit = 0;
  std::string continue_token;
  std::string resource_version;  // "" / "0": the latest
};

struct WatchQuery {
  std::string namespace_;
  std::string label_selector;
  std::string field_selector;
  std::string name;              // a watch of one object (fieldSelector metadata.name=)
  std::string resource_version;  // ""/"0": start with the current objects as ADDED
  bool allow_bookmarks = false;
  std::chrono::seconds timeout{1800};
};

struct WatchEventOut {
  std::string type;  // ADDED MODIFIED DELETED BOOKMARK ERROR
  Json object;
};

struct DeleteOptions {
  std::optional<int64_t> grace_period_seconds;
  std::string propagation_policy;  // "", Orphan, Background, Foreground
  std::string precondition_uid;
  std::string precondition_resource_version;
  bool dry_run = false;
};

// The outcome of a delete: the object as it is now (terminating, or as it was when removed).
struct DeleteResult {
  Json object;
  bool removed = false;  // false: still there, terminating (finalizers, graceful pod)
};

class Registry {
 public:
  Registry(storage::Store* store, const Clock* clock);

  ApiResult<Json> Create(const ResourceInfo& r, const std::string& ns, Json obj, bool dry_run);
  ApiResult<Json> Get(const ResourceInfo& r, const std::string& ns, const std::string& name);
  ApiResult<Json> List(const ResourceInfo& r, const ListQuery& query);
  // Replaces the object (main resource, or `subresource` "status"); `obj` carries the
  // resourceVersion precondition if any. Creates it when absent and `allow_create`.
  ApiResult<Json> Update(const ResourceInfo& r, const std::string& ns, const std::string& name,
                         Json obj, const std::string& subresource, bool dry_run);
  // Read-modify-write with retries on conflict: `mutate` turns the stored object into the
  // new one (e.g. applies a patch); an error from it ends the attempt.
  ApiResult<Json> GuaranteedUpdate(const ResourceInfo& r, const std::string& ns,
                                   const std::string& name, const std::string& subresource,
                                   bool dry_run,
                                   const std::function<ApiResult<Json>(const Json&)>& mutate);
  ApiResult<DeleteResult> Delete(const ResourceInfo& r, const std::string& ns,
                                 const std::string& name, const DeleteOptions& options);
  // Deletes every object matching the query; returns the deleted list.
  ApiResult<Json> DeleteCollection(const ResourceInfo& r, const ListQuery& query,
                                   const DeleteOptions& options);

  // Streams events to `sink` until it returns false, the timeout passes or `stop` says so.
  // Errors before the first event are returned; later ones are sent as ERROR events.
  // `established` is called once the watch is in place, before it waits for an event: the
  // response starts then, as kube-apiserver's does, so a client waiting for the headers of
  // a quiet watch is not held until its timeout.
  ApiResult<void> Watch(const ResourceInfo& r, const WatchQuery& query,
                        const std::function<bool(const WatchEventOut&)>& sink,
                        const std::function<bool()>& stop,
                        const std::function<void()>& established = {});

  storage::Store* store() const { return store_; }

  // Called after every successful write (not for dry runs), on the writing thread: the
  // server serves CustomResourceDefinitions as they change through it.
  using WriteObserver = std::function<void(const ResourceInfo& r, const Json& obj, bool deleted)>;
  void SetWriteObserver(WriteObserver observer) { observer_ = std::move(observer); }

  // Admission that needs the cluster's state (Service addresses): runs on a new object
  // after its strategy's defaults and before validation.
  using CreateAdmission = std::function<ApiResult<void>(const ResourceInfo& r, Json& obj)>;
  void SetCreateAdmission(CreateAdmission admission) { admission_ = std::move(admission); }

 private:
  Json Decode(const ResourceInfo& r, const storage::KeyValue& kv) const;
  ApiResult<void> CheckNamespaceActive(const ResourceInfo& r, const std::string& ns);
  ApiResult<Json> Store(const ResourceInfo& r, const std::string& key, const Json& obj,
                        int64_t expected_revision, const std::string& name);
  ApiResult<DeleteResult> RemoveNow(const ResourceInfo& r, const std::string& key,
                                    const Json& current, const std::string& name);

  void Notify(const ResourceInfo& r, const Json& obj, bool deleted) const {
    if (observer_) observer_(r, obj, deleted);
  }

  storage::Store* store_;
  const Clock* clock_;
  WriteObserver observer_;
  CreateAdmission admission_;
};

}  // namespace capstan::control_plane::apiserver
