#pragma once
// The hand-written PatchMeta tables behind PatchMetaFor, one function per type, each built
// once on first use. Internal to api/k8s/patch; the field lists cite k8s.io/api's types.go.

#include "api/k8s/patch/patch_meta.h"

namespace capstan::api::k8s::patch::tables {

// core/v1 and meta/v1 types (patch_meta_core.cc).
const PatchMeta& ObjectMeta();
const PatchMeta& MetadataOnly();  // a kind whose only tagged fields are in its metadata
const PatchMeta& Container();
const PatchMeta& PodSpec();
const PatchMeta& PodTemplateSpec();
const PatchMeta& Pod();
const PatchMeta& PodTemplate();
const PatchMeta& ReplicationController();
const PatchMeta& Service();
const PatchMeta& Node();
const PatchMeta& Namespace();
const PatchMeta& PersistentVolumeClaim();
const PatchMeta& ServiceAccount();
const PatchMeta& ComponentStatus();

// Other groups (patch_meta_groups.cc).
const PatchMeta& Deployment();
const PatchMeta& ReplicaSet();
const PatchMeta& DaemonSet();
const PatchMeta& StatefulSet();
const PatchMeta& Job();
const PatchMeta& CronJob();
const PatchMeta& PodDisruptionBudget();
const PatchMeta& HorizontalPodAutoscalerV2();
const PatchMeta& CSINode();
const PatchMeta& ServiceCIDR();

// {"conditions": merge by "type"}: the status of most kinds.
const PatchMeta& ConditionsByType();

}  // namespace capstan::api::k8s::patch::tables
