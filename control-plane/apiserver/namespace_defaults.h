#pragma once
// NamespaceDefaults: what every active namespace holds, as kube-controller-manager's
// serviceaccount and root-ca-cert-publisher controllers keep it: the "default"
// ServiceAccount and the "kube-root-ca.crt" ConfigMap with the cluster CA (which the
// kube-api-access volume of every pod reads). Recreated when deleted, the CA put back when
// edited. Runs on a thread: at once when notified (a namespace, service account or config
// map changed), and every few seconds in case a notification was missed.

#include <chrono>

#include "control-plane/apiserver/registry.h"
#include "control-plane/apiserver/resource_info.h"
#include "control-plane/apiserver/sync_loop.h"

namespace capstan::control_plane::apiserver {

class NamespaceDefaults {
 public:
  NamespaceDefaults(Registry* registry, const ResourceRegistry* resources, std::string ca_pem,
                    std::chrono::milliseconds period = std::chrono::seconds(5));
  ~NamespaceDefaults();
  void Start();
  void Stop();
  void Notify();
  // One pass over the namespaces (tests call it directly).
  void SyncOnce();

 private:
  void SyncNamespace(const std::string& ns);

  Registry* registry_;
  const ResourceRegistry* resources_;
  std::string ca_pem_;
  SyncLoop loop_;  // last: its thread uses the members above
};

}  // namespace capstan::control_plane::apiserver
