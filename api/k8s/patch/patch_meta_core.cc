// PatchMeta tables for meta/v1 and core/v1 (k8s.io/api/core/v1/types.go). Every list tagged
// `patchStrategy` in the types reachable from these kinds is here; untagged lists (env's
// neighbour envFrom, tolerations, readinessGates, Node spec.taints, Endpoints subsets,
// status.containerStatuses, ...) are replaced wholesale, as upstream does, so they need no
// entry.

#include "api/k8s/patch/patch_meta_tables.h"

namespace capstan::api::k8s::patch::tables {
namespace {

using F = FieldPatchMeta;

// {"metadata": ObjectMeta}, the start of every kind's table.
std::pair<const std::string, FieldPatchMeta> Metadata() {
  return {"metadata", F::Object(&ObjectMeta())};
}

}  // namespace

const PatchMeta& ObjectMeta() {
  static const PatchMeta m{
      {"finalizers", F::MergeList()},
      {"ownerReferences", F::MergeList("uid")},
  };
  return m;
}

const PatchMeta& MetadataOnly() {
  static const PatchMeta m{Metadata()};
  return m;
}

const PatchMeta& ConditionsByType() {
  static const PatchMeta m{{"conditions", F::MergeList("type")}};
  return m;
}

// Container, and EphemeralContainer (whose EphemeralContainerCommon has the same tags).
const PatchMeta& Container() {
  static const PatchMeta m{
      {"ports", F::MergeList("containerPort")},
      {"env", F::MergeList("name")},
      {"volumeMounts", F::MergeList("mountPath")},
      {"volumeDevices", F::MergeList("devicePath")},
  };
  return m;
}

const PatchMeta& PodSpec() {
  static const PatchMeta m{
      {"volumes", F::MergeList("name").WithRetainKeys()},
      {"initContainers", F::MergeList("name", &Container())},
      {"containers", F::MergeList("name", &Container())},
      {"ephemeralContainers", F::MergeList("name", &Container())},
      {"imagePullSecrets", F::MergeList("name")},
      {"hostAliases", F::MergeList("ip")},
      {"topologySpreadConstraints", F::MergeList("topologyKey")},
      {"schedulingGates", F::MergeList("name")},
      {"resourceClaims", F::MergeList("name").WithRetainKeys()},
      {"evictionResponders", F::MergeList("name")},
  };
  return m;
}

const PatchMeta& PodTemplateSpec() {
  static const PatchMeta m{Metadata(), {"spec", F::Object(&PodSpec())}};
  return m;
}

namespace {

const PatchMeta& NodeAllocatableResourceClaimStatus() {
  static const PatchMeta m{
      {"mapping", F::MergeList("name")},
      {"overhead", F::MergeList("name")},
  };
  return m;
}

const PatchMeta& PodStatus() {
  static const PatchMeta m{
      {"conditions", F::MergeList("type")},
      {"hostIPs", F::MergeList("ip")},
      {"podIPs", F::MergeList("ip")},
      {"resourceClaimStatuses", F::MergeList("name").WithRetainKeys()},
      {"nodeAllocatableResourceClaimStatuses",
       F::MergeList("resourceClaimName", &NodeAllocatableResourceClaimStatus())},
  };
  return m;
}

}  // namespace

const PatchMeta& Pod() {
  static const PatchMeta m{
      Metadata(),
      {"spec", F::Object(&PodSpec())},
      {"status", F::Object(&PodStatus())},
  };
  return m;
}

const PatchMeta& PodTemplate() {
  static const PatchMeta m{Metadata(), {"template", F::Object(&PodTemplateSpec())}};
  return m;
}

const PatchMeta& ReplicationController() {
  static const PatchMeta spec{{"template", F::Object(&PodTemplateSpec())}};
  static const PatchMeta m{
      Metadata(),
      {"spec", F::Object(&spec)},
      {"status", F::Object(&ConditionsByType())},
  };
  return m;
}

const PatchMeta& Service() {
  static const PatchMeta spec{{"ports", F::MergeList("port")}};
  static const PatchMeta m{
      Metadata(),
      {"spec", F::Object(&spec)},
      {"status", F::Object(&ConditionsByType())},
  };
  return m;
}

const PatchMeta& Node() {
  static const PatchMeta spec{{"podCIDRs", F::MergeList()}};
  static const PatchMeta status{
      {"conditions", F::MergeList("type")},
      {"addresses", F::MergeList("type")},
  };
  static const PatchMeta m{
      Metadata(),
      {"spec", F::Object(&spec)},
      {"status", F::Object(&status)},
  };
  return m;
}

const PatchMeta& Namespace() {
  static const PatchMeta m{Metadata(), {"status", F::Object(&ConditionsByType())}};
  return m;
}

const PatchMeta& PersistentVolumeClaim() {
  static const PatchMeta health{{"healthConditions", F::MergeList("status")}};
  static const PatchMeta status{
      {"conditions", F::MergeList("type")},
      {"healthStatus", F::Object(&health)},
  };
  static const PatchMeta m{Metadata(), {"status", F::Object(&status)}};
  return m;
}

const PatchMeta& ServiceAccount() {
  static const PatchMeta m{Metadata(), {"secrets", F::MergeList("name")}};
  return m;
}

const PatchMeta& ComponentStatus() {
  static const PatchMeta m{Metadata(), {"conditions", F::MergeList("type")}};
  return m;
}

}  // namespace capstan::api::k8s::patch::tables
