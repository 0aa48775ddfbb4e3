#include "control-plane/apiserver/strategy.h"

#include "control-plane/apiserver/strategies.h"

namespace capstan::control_plane::apiserver {
namespace {

class DefaultStrategy : public Strategy {};

}  // namespace

const Strategy& StrategyFor(const ResourceInfo& r) {
  static const DefaultStrategy kDefault;
  static const PodStrategy kPod;
  static const NamespaceStrategy kNamespace;
  static const ServiceStrategy kService;
  static const NodeStrategy kNode;
  static const SecretStrategy kSecret;
  static const EventStrategy kEvent;
  static const CrdStrategy kCrd;
  static const PersistentVolumeStrategy kPv;
  static const PersistentVolumeClaimStrategy kPvc;
  static const IngressStrategy kIngress;
  static const PriorityClassStrategy kPriorityClass;
  static const CertificateSigningRequestStrategy kCsr;
  static const WorkloadStrategy kDeployment(WorkloadStrategy::Kind::kDeployment);
  static const WorkloadStrategy kReplicaSet(WorkloadStrategy::Kind::kReplicaSet);
  static const WorkloadStrategy kDaemonSet(WorkloadStrategy::Kind::kDaemonSet);
  static const WorkloadStrategy kStatefulSet(WorkloadStrategy::Kind::kStatefulSet);
  static const WorkloadStrategy kJob(WorkloadStrategy::Kind::kJob);
  if (r.custom) return kDefault;
  if (r.group.empty()) {
    if (r.kind == "Pod") return kPod;
    if (r.kind == "Namespace") return kNamespace;
    if (r.kind == "Service") return kService;
    if (r.kind == "Node") return kNode;
    if (r.kind == "Secret") return kSecret;
    if (r.kind == "Event") return kEvent;
    if (r.kind == "PersistentVolume") return kPv;
    if (r.kind == "PersistentVolumeClaim") return kPvc;
  }
  if (r.group == "apps") {
    if (r.kind == "Deployment") return kDeployment;
    if (r.kind == "ReplicaSet") return kReplicaSet;
    if (r.kind == "DaemonSet") return kDaemonSet;
    if (r.kind == "StatefulSet") return kStatefulSet;
  }
  if (r.group == "batch" && r.kind == "Job") return kJob;
  if (r.group == "apiextensions.k8s.io") return kCrd;
  if (r.group == "networking.k8s.io" && r.kind == "Ingress") return kIngress;
  if (r.group == "scheduling.k8s.io" && r.kind == "PriorityClass") return kPriorityClass;
  if (r.group == "certificates.k8s.io" && r.kind == "CertificateSigningRequest") return kCsr;
  return kDefault;
}

}  // namespace capstan::control_plane::apiserver
