#pragma once
// Reflector: keeps a local copy of the objects a list-and-watch selects, as client-go's
// reflector and store do: lists, then watches from the list's resourceVersion, resumes a
// watch that ends, lists again after a 410 or an error (with a back-off while the API
// server is away). Readers get copies; `on_change` runs after each change on the reflector's
// thread, and event handlers hear of each object that changed: an informer. The kubelet
// watches its own Node with one; the scheduler and the controllers watch their kinds.

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/k8s/client/api_client.h"

namespace capstan::api::k8s::client {

// Runs `round` (a list and watch) until `stopping`: again at once after a round that ended
// well, after a back-off (0.5 s doubling to 10 s) after one that failed (reported to
// `on_error` first). Shared by the reflector and the kubelet's pod source.
void RunListWatchLoop(const std::atomic<bool>& stopping, const std::function<Status()>& round,
                      const std::function<void(const Error&)>& on_error);

// What an informer's users are told, one object at a time (client-go's
// ResourceEventHandler). A relist reports what changed while the watch was away, deletions
// included. Called on the reflector's thread, outside its lock.
struct EventHandler {
  std::function<void(const Json& object)> on_add;
  std::function<void(const Json& old_object, const Json& object)> on_update;
  std::function<void(const Json& object)> on_delete;
};

class Reflector {
 public:
  Reflector(ApiClient* api, Resource resource, std::string ns, ListOptions options,
            std::function<void()> on_change = {},
            std::chrono::seconds watch_timeout = std::chrono::seconds(60));
  ~Reflector();
  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  // Before Start.
  void AddEventHandler(EventHandler handler);
  void Start();
  // Ends the loop (cancels the client's watches).
  void Stop();
  // One list (when needed) and the watch that follows (tests drive this directly).
  Status ListAndWatch();

  // Whether the first list arrived.
  bool Synced() const;
  std::optional<Json> Get(const std::string& ns, const std::string& name) const;
  std::vector<Json> List() const;
  // Visits the objects under the lock, without copying them (`visit` must not call back
  // into the reflector).
  void ForEach(const std::function<void(const Json& object)>& visit) const;

 private:
  struct Delivery {
    enum Kind { kAdd, kUpdate, kDelete } kind;
    Json old_object;
    Json object;
  };
  // Applies one watch event; returns what handlers must be told.
  std::optional<Delivery> Apply(const std::string& type, const Json& object);
  void Deliver(const std::vector<Delivery>& deliveries);

  ApiClient* api_;
  Resource resource_;
  std::string ns_;
  ListOptions options_;
  std::function<void()> on_change_;
  std::vector<EventHandler> handlers_;
  std::chrono::seconds watch_timeout_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::map<std::string, Json> objects_;  // by namespace/name
  std::string resource_version_;
  bool synced_ = false;
};

}  // namespace capstan::api::k8s::client
