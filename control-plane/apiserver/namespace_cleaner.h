#pragma once
// NamespaceCleaner: finishes the deletion of namespaces, as kube-controller-manager's
// namespace controller: a terminating namespace has every object in it deleted (pods
// gracefully, so their kubelets stop them), and once nothing is left and no finalizer
// remains, the namespace itself goes.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "control-plane/apiserver/registry.h"
#include "control-plane/apiserver/resource_info.h"

namespace capstan::control_plane::apiserver {

class NamespaceCleaner {
 public:
  NamespaceCleaner(Registry* registry, const ResourceRegistry* resources,
                   std::chrono::milliseconds period = std::chrono::milliseconds(1000));
  ~NamespaceCleaner();
  void Start();
  void Stop();
  // One pass over the terminating namespaces (tests call it directly).
  void SyncOnce();

 private:
  // True when the namespace is empty and was removed.
  bool Clean(const Json& ns);

  Registry* registry_;
  const ResourceRegistry* resources_;
  std::chrono::milliseconds period_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace capstan::control_plane::apiserver
