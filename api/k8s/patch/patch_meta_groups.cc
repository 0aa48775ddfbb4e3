// PatchMeta tables for the built-in groups other than core: apps/v1, batch/v1, policy/v1,
// autoscaling/v2, storage.k8s.io/v1 and networking.k8s.io/v1, from their types.go tags. Pod
// templates reuse core's PodTemplateSpec table.

#include "api/k8s/patch/patch_meta_tables.h"

namespace capstan::api::k8s::patch::tables {
namespace {

using F = FieldPatchMeta;

std::pair<const std::string, FieldPatchMeta> Metadata() {
  return {"metadata", F::Object(&ObjectMeta())};
}

std::pair<const std::string, FieldPatchMeta> Template() {
  return {"template", F::Object(&PodTemplateSpec())};
}

std::pair<const std::string, FieldPatchMeta> StatusConditions() {
  return {"status", F::Object(&ConditionsByType())};
}

// A workload whose spec only has its pod template to speak of.
const PatchMeta& TemplateSpec() {
  static const PatchMeta spec{Template()};
  return spec;
}

const PatchMeta& JobSpec() {
  // JobSchedulingConfiguration.resourceClaims.
  static const PatchMeta scheduling{{"resourceClaims", F::MergeList("name")}};
  static const PatchMeta spec{Template(), {"scheduling", F::Object(&scheduling)}};
  return spec;
}

}  // namespace

const PatchMeta& Deployment() {
  // spec.strategy is tagged retainKeys, so switching RollingUpdate to Recreate can drop
  // rollingUpdate. (DaemonSet's and StatefulSet's updateStrategy carry no tag upstream.)
  static const PatchMeta spec{{"strategy", F::RetainKeys()}, Template()};
  static const PatchMeta m{Metadata(), {"spec", F::Object(&spec)}, StatusConditions()};
  return m;
}

const PatchMeta& ReplicaSet() {
  static const PatchMeta m{Metadata(), {"spec", F::Object(&TemplateSpec())}, StatusConditions()};
  return m;
}

const PatchMeta& DaemonSet() {
  static const PatchMeta m{Metadata(), {"spec", F::Object(&TemplateSpec())}, StatusConditions()};
  return m;
}

const PatchMeta& StatefulSet() {
  static const PatchMeta m{Metadata(), {"spec", F::Object(&TemplateSpec())}, StatusConditions()};
  return m;
}

const PatchMeta& Job() {
  static const PatchMeta m{Metadata(), {"spec", F::Object(&JobSpec())}, StatusConditions()};
  return m;
}

const PatchMeta& CronJob() {
  static const PatchMeta job_template{Metadata(), {"spec", F::Object(&JobSpec())}};
  static const PatchMeta spec{{"jobTemplate", F::Object(&job_template)}};
  static const PatchMeta m{Metadata(), {"spec", F::Object(&spec)}};
  return m;
}

const PatchMeta& PodDisruptionBudget() {
  // spec.selector is tagged "replace": a patched selector replaces the old one whole.
  static const PatchMeta spec{{"selector", F::Replace()}};
  static const PatchMeta m{Metadata(), {"spec", F::Object(&spec)}, StatusConditions()};
  return m;
}

const PatchMeta& HorizontalPodAutoscalerV2() {
  static const PatchMeta m{Metadata(), StatusConditions()};
  return m;
}

const PatchMeta& CSINode() {
  static const PatchMeta spec{{"drivers", F::MergeList("name")}};
  static const PatchMeta status{{"storageHealth", F::MergeList("name")}};
  static const PatchMeta m{
      Metadata(),
      {"spec", F::Object(&spec)},
      {"status", F::Object(&status)},
  };
  return m;
}

const PatchMeta& ServiceCIDR() {
  static const PatchMeta m{Metadata(), StatusConditions()};
  return m;
}

}  // namespace capstan::api::k8s::patch::tables
