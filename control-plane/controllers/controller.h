#pragma once
// The shape every controller here shares, client-go's: informers fill a WorkQueue with keys
// ("namespace/name"), workers take a key at a time and Sync it against the informers'
// caches; a failed sync comes back after a back-off, a good one forgets its failures.

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/k8s/client/work_queue.h"
#include "common/error.h"

namespace capstan::control_plane::controllers {

using Json = nlohmann::json;

class Controller {
 public:
  Controller(const Clock* clock, std::string name);
  virtual ~Controller();
  // Starts `workers` threads (after the subclass started its informers). They take no key
  // before `caches_synced` holds: a sync against a half-listed cache would see pods
  // missing and make them twice (upstream's WaitForCacheSync).
  void RunWorkers(int workers, std::function<bool()> caches_synced = {});
  // Ends the workers (the subclass stops its informers).
  void StopWorkers();
  // Brings the object of `key` to where its spec says.
  virtual Status Sync(const std::string& key) = 0;
  // One key, if one is ready (tests drive controllers by hand); false when none was.
  bool ProcessNext();

  api::k8s::client::WorkQueue& queue() { return queue_; }
  const std::string& name() const { return name_; }

 protected:
  void Process(const std::string& key);

  const Clock* clock_;
  std::string name_;
  api::k8s::client::WorkQueue queue_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stopping_{false};
};

// "namespace/name" -> {namespace, name}.
std::pair<std::string, std::string> SplitKey(const std::string& key);

}  // namespace capstan::control_plane::controllers
