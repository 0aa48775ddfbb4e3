#pragma once
// CsrSigner: kube-controller-manager's csrapproving and csrsigning controllers, inside the
// server. It approves what kubelets ask for when the requester may have it, and signs
// approved requests with the cluster CA:
// - kubernetes.io/kube-apiserver-client-kubelet: a node client certificate (CN
//   system:node:<name>, O system:nodes, no names, client usages). Approved when the requester
//   may create certificatesigningrequests/nodeclient (a join token), or /selfnodeclient for
//   its own renewal, as upstream.
// - kubernetes.io/kubelet-serving: the kubelet's serving certificate. Approved when the node
//   itself asks for it, with DNS and IP names only. Upstream leaves these to an administrator;
//   capstan approves them, as k3s does, so logs and exec work without a manual step.
// - kubernetes.io/kube-apiserver-client: signed once approved by hand
//   (`kubectl certificate approve`).

#include <chrono>

#include "common/pki/certs.h"
#include "control-plane/apiserver/auth.h"
#include "control-plane/apiserver/registry.h"
#include "control-plane/apiserver/resource_info.h"
#include "control-plane/apiserver/sync_loop.h"

namespace capstan::control_plane::apiserver {

// Sets spec.username, uid, groups and extra of a new CSR from the user creating it, replacing
// whatever the body said, as kube-apiserver does: the approver trusts these.
void SetCsrRequester(const UserInfo& user, Json& csr);

class CsrSigner {
 public:
  CsrSigner(Registry* registry, const ResourceRegistry* resources, const Authorizer* authorizer,
            pki::CertAndKey ca, const Clock* clock,
            std::chrono::milliseconds period = std::chrono::milliseconds(5000));
  ~CsrSigner();
  void Start();
  void Stop();
  // A CSR was written: sync soon rather than at the next period.
  void Notify();
  // One pass over every CSR (tests call it directly).
  void SyncOnce();

 private:
  void Sync(const ResourceInfo& r, const Json& csr);

  Registry* registry_;
  const ResourceRegistry* resources_;
  const Authorizer* authorizer_;
  pki::CertAndKey ca_;
  const Clock* clock_;
  SyncLoop loop_;  // last: its thread uses the members above
};

}  // namespace capstan::control_plane::apiserver
