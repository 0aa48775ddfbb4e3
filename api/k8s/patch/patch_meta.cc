#include "api/k8s/patch/patch_meta.h"

#include <tuple>

#include "api/k8s/patch/patch_meta_tables.h"

namespace capstan::api::k8s::patch {

FieldPatchMeta FieldPatchMeta::MergeList(std::string merge_key, const PatchMeta* item) {
  FieldPatchMeta f;
  f.merge = true;
  f.merge_key = std::move(merge_key);
  f.type = item;
  return f;
}

FieldPatchMeta FieldPatchMeta::Object(const PatchMeta* type) {
  FieldPatchMeta f;
  f.type = type;
  return f;
}

FieldPatchMeta FieldPatchMeta::RetainKeys(const PatchMeta* type) {
  FieldPatchMeta f;
  f.retain_keys = true;
  f.type = type;
  return f;
}

FieldPatchMeta FieldPatchMeta::Replace() {
  FieldPatchMeta f;
  f.replace = true;
  return f;
}

FieldPatchMeta FieldPatchMeta::WithRetainKeys() && {
  retain_keys = true;
  return std::move(*this);
}

PatchMeta::PatchMeta(std::initializer_list<std::pair<const std::string, FieldPatchMeta>> fields)
    : known_(true), fields_(fields) {}

const PatchMeta& PatchMeta::Unknown() {
  static const PatchMeta kUnknown;
  return kUnknown;
}

const FieldPatchMeta& PatchMeta::Field(std::string_view name) const {
  static const FieldPatchMeta kNone;
  auto it = fields_.find(name);
  return it == fields_.end() ? kNone : it->second;
}

const PatchMeta& PatchMeta::FieldType(std::string_view name) const {
  const PatchMeta* t = Field(name).type;
  return t != nullptr ? *t : Unknown();
}

const PatchMeta& PatchMetaFor(std::string_view group, std::string_view version,
                              std::string_view kind) {
  using Key = std::tuple<std::string_view, std::string_view, std::string_view>;
  struct Entry {
    Key key;
    const PatchMeta& (*meta)();
  };
  // Kinds whose only tagged fields are ObjectMeta's.
  constexpr auto plain = &tables::MetadataOnly;
  static const Entry kKinds[] = {
      {{"", "v1", "Pod"}, &tables::Pod},
      {{"", "v1", "PodTemplate"}, &tables::PodTemplate},
      {{"", "v1", "ReplicationController"}, &tables::ReplicationController},
      {{"", "v1", "Service"}, &tables::Service},
      {{"", "v1", "Node"}, &tables::Node},
      {{"", "v1", "Namespace"}, &tables::Namespace},
      {{"", "v1", "PersistentVolumeClaim"}, &tables::PersistentVolumeClaim},
      {{"", "v1", "ServiceAccount"}, &tables::ServiceAccount},
      {{"", "v1", "ComponentStatus"}, &tables::ComponentStatus},
      {{"", "v1", "ConfigMap"}, plain},
      {{"", "v1", "Secret"}, plain},
      {{"", "v1", "Endpoints"}, plain},
      {{"", "v1", "Event"}, plain},
      {{"", "v1", "LimitRange"}, plain},
      {{"", "v1", "ResourceQuota"}, plain},
      {{"", "v1", "PersistentVolume"}, plain},
      {{"apps", "v1", "Deployment"}, &tables::Deployment},
      {{"apps", "v1", "ReplicaSet"}, &tables::ReplicaSet},
      {{"apps", "v1", "DaemonSet"}, &tables::DaemonSet},
      {{"apps", "v1", "StatefulSet"}, &tables::StatefulSet},
      {{"apps", "v1", "ControllerRevision"}, plain},
      {{"batch", "v1", "Job"}, &tables::Job},
      {{"batch", "v1", "CronJob"}, &tables::CronJob},
      {{"policy", "v1", "PodDisruptionBudget"}, &tables::PodDisruptionBudget},
      {{"autoscaling", "v2", "HorizontalPodAutoscaler"}, &tables::HorizontalPodAutoscalerV2},
      {{"autoscaling", "v1", "HorizontalPodAutoscaler"}, plain},
      {{"storage.k8s.io", "v1", "CSINode"}, &tables::CSINode},
      {{"storage.k8s.io", "v1", "StorageClass"}, plain},
      {{"storage.k8s.io", "v1", "CSIDriver"}, plain},
      {{"storage.k8s.io", "v1", "VolumeAttachment"}, plain},
      {{"networking.k8s.io", "v1", "ServiceCIDR"}, &tables::ServiceCIDR},
      {{"networking.k8s.io", "v1", "Ingress"}, plain},
      {{"networking.k8s.io", "v1", "IngressClass"}, plain},
      {{"networking.k8s.io", "v1", "NetworkPolicy"}, plain},
      {{"coordination.k8s.io", "v1", "Lease"}, plain},
      {{"discovery.k8s.io", "v1", "EndpointSlice"}, plain},
      {{"rbac.authorization.k8s.io", "v1", "Role"}, plain},
      {{"rbac.authorization.k8s.io", "v1", "ClusterRole"}, plain},
      {{"rbac.authorization.k8s.io", "v1", "RoleBinding"}, plain},
      {{"rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"}, plain},
      {{"scheduling.k8s.io", "v1", "PriorityClass"}, plain},
      {{"node.k8s.io", "v1", "RuntimeClass"}, plain},
      {{"events.k8s.io", "v1", "Event"}, plain},
      {{"certificates.k8s.io", "v1", "CertificateSigningRequest"}, plain},
  };
  for (const auto& e : kKinds) {
    if (e.key == Key{group, version, kind}) {
      return e.meta();
    }
  }
  return PatchMeta::Unknown();
}

}  // namespace capstan::api::k8s::patch
