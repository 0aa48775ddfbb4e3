#pragma once
// FakeApiClient: an ApiClient over objects in memory, for tests of the components that use
// the API. It keeps the server's rules that callers depend on: uid, resourceVersion and
// creationTimestamp set on create; a resourceVersion in an update is a precondition (a
// stale one fails FailedPrecondition); status updates change only status; merge patches;
// an object being deleted goes with its last finalizer; label and field selectors of the simple
// form (k=v, k!=v, ANDed); watches see every change after their resourceVersion. It records every
// call for assertions.

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

#include "api/k8s/client/api_client.h"

namespace capstan::api::k8s::client {

class FakeApiClient : public ApiClient {
 public:
  Result<Json> Get(const Resource& r, const std::string& ns, const std::string& name) override;
  Result<Json> List(const Resource& r, const std::string& ns, const ListOptions& options) override;
  Result<Json> Create(const Resource& r, const std::string& ns, const Json& object) override;
  // Answered by the handler set for "<plural>/<subresource>" (Unimplemented without one).
  Result<Json> CreateSubresource(const Resource& r, const std::string& ns, const std::string& name,
                                 const std::string& subresource, const Json& object) override;
  using SubresourceHandler =
      std::function<Result<Json>(const std::string& ns, const std::string& name, const Json& body)>;
  void HandleSubresource(const std::string& plural_and_subresource, SubresourceHandler handler);
  Result<Json> Update(const Resource& r, const std::string& ns, const std::string& name,
                      const Json& object, const std::string& subresource) override;
  Result<Json> Patch(const Resource& r, const std::string& ns, const std::string& name,
                     PatchType type, const Json& patch, const std::string& subresource) override;
  // An object with finalizers, or deleted in the "Foreground" (which adds the
  // foregroundDeletion finalizer), is marked with a deletionTimestamp and stays until its
  // finalizers are removed, as on the server; any other goes at once.
  Status Delete(const Resource& r, const std::string& ns, const std::string& name,
                int64_t grace_seconds = -1, const std::string& propagation = "") override;
  // Delivers the changes after options.resource_version (all current objects as ADDED when
  // it is empty), then waits for more until `on_event` returns false or StopWatches().
  Status Watch(const Resource& r, const std::string& ns, const ListOptions& options,
               const std::function<bool(const WatchEvent&)>& on_event) override;

  void CancelWatches() override { StopWatches(); }
  // Ends every watch (their Watch calls return).
  void StopWatches();
  // Makes the next calls of `verb` ("create", "update", "patch", ...) fail with `error`.
  void FailNext(const std::string& verb, Error error, int times = 1);
  // "verb resource ns/name[/sub]" for every call, in order.
  std::vector<std::string> Calls() const;
  void ClearCalls();

 private:
  struct Stored {
    Json object;
    int64_t revision = 0;
  };
  struct Change {
    int64_t revision;
    std::string key;  // resource key
    WatchEvent event;
  };
  int generated_ = 0;  // names made from generateName
  static std::string Key(const Resource& r, const std::string& ns, const std::string& name);
  std::optional<Error> Injected(const std::string& verb);
  void Record(const std::string& verb, const Resource& r, const std::string& ns,
              const std::string& name, const std::string& sub = "");
  Result<Json> Store(const std::string& key, Json object, const char* event_type);
  // An update: the object goes once its last finalizer is removed while it is being deleted.
  Result<Json> StoreOrFinish(const std::string& key, Json object);

  mutable std::mutex mu_;
  std::map<std::string, SubresourceHandler> subresource_handlers_;
  std::condition_variable changed_;
  int64_t revision_ = 0;
  std::map<std::string, Stored> objects_;
  std::deque<Change> changes_;
  bool stopping_ = false;
  std::map<std::string, std::pair<Error, int>> failures_;
  std::vector<std::string> calls_;
};

}  // namespace capstan::api::k8s::client
