// Wire descriptions of the built-in messages kubectl's typed clients send, written from
// k8s.io/api's and k8s.io/apimachinery's field numbers. Pointer fields (Go *T) are marked:
// their zero is meaningful.

#include <map>
#include <string_view>

#include "api/k8s/protobuf/protobuf_schema.h"

namespace capstan::api::k8s::protobuf {
namespace {

constexpr bool kPtr = true;
using K = Kind;

Field Str(int n, const char* j) { return {n, j, K::kString}; }
Field Strs(int n, const char* j) { return {n, j, K::kString, true}; }
Field Bool(int n, const char* j, bool ptr = false) { return {n, j, K::kBool, false, nullptr, ptr}; }
Field I32(int n, const char* j, bool ptr = false) { return {n, j, K::kInt32, false, nullptr, ptr}; }
Field I64(int n, const char* j, bool ptr = false) { return {n, j, K::kInt64, false, nullptr, ptr}; }
Field Msg(int n, const char* j, const char* m) { return {n, j, K::kMessage, false, m}; }
Field Msgs(int n, const char* j, const char* m) { return {n, j, K::kMessage, true, m}; }
Field Map(int n, const char* j) { return {n, j, K::kStringMap}; }

const std::vector<Message>& All() {
  static const std::vector<Message> messages = {
      // meta/v1
      {"meta.ObjectMeta",
       {Str(1, "name"),
        Str(2, "generateName"),
        Str(3, "namespace"),
        Str(4, "selfLink"),
        Str(5, "uid"),
        Str(6, "resourceVersion"),
        I64(7, "generation"),
        {8, "creationTimestamp", K::kTime},
        {9, "deletionTimestamp", K::kTime},
        I64(10, "deletionGracePeriodSeconds", kPtr),
        Map(11, "labels"),
        Map(12, "annotations"),
        Msgs(13, "ownerReferences", "meta.OwnerReference"),
        Strs(14, "finalizers")}},
      {"meta.OwnerReference",
       {Str(5, "apiVersion"), Str(1, "kind"), Str(3, "name"), Str(4, "uid"),
        Bool(6, "controller", kPtr), Bool(7, "blockOwnerDeletion", kPtr)}},
      {"meta.LabelSelector",
       {Map(1, "matchLabels"), Msgs(2, "matchExpressions", "meta.LabelSelectorRequirement")}},
      {"meta.LabelSelectorRequirement", {Str(1, "key"), Str(2, "operator"), Strs(3, "values")}},
      {"meta.DeleteOptions",
       {I64(1, "gracePeriodSeconds", kPtr), Msg(2, "preconditions", "meta.Preconditions"),
        Bool(3, "orphanDependents", kPtr), Str(4, "propagationPolicy"), Strs(5, "dryRun")}},
      {"meta.Preconditions", {Str(1, "uid"), Str(2, "resourceVersion")}},
      // core/v1
      {"core.v1.Namespace",
       {Msg(1, "metadata", "meta.ObjectMeta"), Msg(2, "spec", "core.v1.NamespaceSpec"),
        Msg(3, "status", "core.v1.NamespaceStatus")}},
      {"core.v1.NamespaceSpec", {Strs(1, "finalizers")}},
      {"core.v1.NamespaceStatus", {Str(1, "phase")}},
      {"core.v1.ConfigMap",
       {Msg(1, "metadata", "meta.ObjectMeta"),
        Bool(4, "immutable", kPtr),
        Map(2, "data"),
        {3, "binaryData", K::kBytesMap}}},
      {"core.v1.Secret",
       {Msg(1, "metadata", "meta.ObjectMeta"),
        Bool(5, "immutable", kPtr),
        {2, "data", K::kBytesMap},
        Map(4, "stringData"),
        Str(3, "type")}},
      {"core.v1.ServiceAccount",
       {Msg(1, "metadata", "meta.ObjectMeta"), Msgs(2, "secrets", "core.v1.ObjectReference"),
        Msgs(3, "imagePullSecrets", "core.v1.LocalObjectReference"),
        Bool(4, "automountServiceAccountToken", kPtr)}},
      {"core.v1.ObjectReference",
       {Str(1, "kind"), Str(2, "namespace"), Str(3, "name"), Str(4, "uid"), Str(5, "apiVersion"),
        Str(6, "resourceVersion"), Str(7, "fieldPath")}},
      {"core.v1.LocalObjectReference", {Str(1, "name")}},
      {"core.v1.Service",
       {Msg(1, "metadata", "meta.ObjectMeta"), Msg(2, "spec", "core.v1.ServiceSpec"),
        Msg(3, "status", "core.v1.ServiceStatus")}},
      {"core.v1.ServiceSpec",
       {Msgs(1, "ports", "core.v1.ServicePort"), Map(2, "selector"), Str(3, "clusterIP"),
        Strs(18, "clusterIPs"), Str(4, "type"), Strs(5, "externalIPs"), Str(7, "sessionAffinity"),
        Str(8, "loadBalancerIP"), Strs(9, "loadBalancerSourceRanges"), Str(10, "externalName"),
        Str(11, "externalTrafficPolicy"), I32(12, "healthCheckNodePort"),
        Bool(13, "publishNotReadyAddresses"), Strs(19, "ipFamilies"), Str(17, "ipFamilyPolicy"),
        Bool(20, "allocateLoadBalancerNodePorts", kPtr), Str(21, "loadBalancerClass"),
        Str(22, "internalTrafficPolicy")}},
      {"core.v1.ServicePort",
       {Str(1, "name"),
        Str(2, "protocol"),
        Str(6, "appProtocol"),
        I32(3, "port"),
        {4, "targetPort", K::kIntOrString},
        I32(5, "nodePort")}},
      {"core.v1.ServiceStatus", {Msg(1, "loadBalancer", "core.v1.LoadBalancerStatus")}},
      {"core.v1.LoadBalancerStatus", {}},
      {"core.v1.PodTemplateSpec",
       {Msg(1, "metadata", "meta.ObjectMeta"), Msg(2, "spec", "core.v1.PodSpec")}},
      {"core.v1.PodSpec",
       {Msgs(20, "initContainers", "core.v1.Container"),
        Msgs(2, "containers", "core.v1.Container"),
        Str(3, "restartPolicy"),
        I64(4, "terminationGracePeriodSeconds", kPtr),
        I64(5, "activeDeadlineSeconds", kPtr),
        Str(6, "dnsPolicy"),
        Map(7, "nodeSelector"),
        Str(8, "serviceAccountName"),
        Str(9, "serviceAccount"),
        Bool(21, "automountServiceAccountToken", kPtr),
        Str(10, "nodeName"),
        Bool(11, "hostNetwork"),
        Bool(12, "hostPID"),
        Bool(13, "hostIPC"),
        Msgs(15, "imagePullSecrets", "core.v1.LocalObjectReference"),
        Str(16, "hostname"),
        Str(17, "subdomain"),
        Str(19, "schedulerName"),
        Str(24, "priorityClassName"),
        I32(25, "priority", kPtr),
        Bool(30, "enableServiceLinks", kPtr),
        Str(31, "preemptionPolicy")}},
      {"core.v1.Container",
       {Str(1, "name"), Str(2, "image"), Strs(3, "command"), Strs(4, "args"), Str(5, "workingDir"),
        Msgs(6, "ports", "core.v1.ContainerPort"), Msgs(7, "env", "core.v1.EnvVar"),
        Msg(8, "resources", "core.v1.ResourceRequirements"),
        Msgs(9, "volumeMounts", "core.v1.VolumeMount"), Str(13, "terminationMessagePath"),
        Str(20, "terminationMessagePolicy"), Str(14, "imagePullPolicy"), Bool(16, "stdin"),
        Bool(17, "stdinOnce"), Bool(18, "tty")}},
      {"core.v1.ContainerPort",
       {Str(1, "name"), I32(2, "hostPort"), I32(3, "containerPort"), Str(4, "protocol"),
        Str(5, "hostIP")}},
      {"core.v1.EnvVar", {Str(1, "name"), Str(2, "value")}},
      {"core.v1.ResourceRequirements",
       {{1, "limits", K::kQuantityMap}, {2, "requests", K::kQuantityMap}}},
      {"core.v1.VolumeMount",
       {Str(1, "name"), Bool(2, "readOnly"), Str(3, "mountPath"), Str(4, "subPath"),
        Str(5, "mountPropagation"), Str(6, "subPathExpr")}},
      // apps/v1
      {"apps.v1.Deployment",
       {Msg(1, "metadata", "meta.ObjectMeta"), Msg(2, "spec", "apps.v1.DeploymentSpec"),
        Msg(3, "status", "apps.v1.DeploymentStatus")}},
      {"apps.v1.DeploymentSpec",
       {I32(1, "replicas", kPtr), Msg(2, "selector", "meta.LabelSelector"),
        Msg(3, "template", "core.v1.PodTemplateSpec"),
        Msg(4, "strategy", "apps.v1.DeploymentStrategy"), I32(5, "minReadySeconds"),
        I32(6, "revisionHistoryLimit", kPtr), Bool(7, "paused"),
        I32(9, "progressDeadlineSeconds", kPtr)}},
      {"apps.v1.DeploymentStrategy", {Str(1, "type")}},
      {"apps.v1.DeploymentStatus", {}},
      // certificates/v1 (`kubectl certificate approve|deny` sends the whole object)
      {"certificates.v1.CertificateSigningRequest",
       {Msg(1, "metadata", "meta.ObjectMeta"),
        Msg(2, "spec", "certificates.v1.CertificateSigningRequestSpec"),
        Msg(3, "status", "certificates.v1.CertificateSigningRequestStatus")}},
      {"certificates.v1.CertificateSigningRequestSpec",
       {{1, "request", K::kBytes},
        Str(7, "signerName"),
        I32(8, "expirationSeconds", kPtr),
        Strs(5, "usages"),
        Str(2, "username"),
        Str(3, "uid"),
        Strs(4, "groups")}},
      {"certificates.v1.CertificateSigningRequestStatus",
       {Msgs(1, "conditions", "certificates.v1.CertificateSigningRequestCondition"),
        {2, "certificate", K::kBytes}}},
      {"certificates.v1.CertificateSigningRequestCondition",
       {Str(1, "type"),
        Str(6, "status"),
        Str(2, "reason"),
        Str(3, "message"),
        {4, "lastUpdateTime", K::kTime},
        {5, "lastTransitionTime", K::kTime}}},
      // authorization/v1
      {"authorization.v1.SelfSubjectAccessReview",
       {Msg(1, "metadata", "meta.ObjectMeta"),
        Msg(2, "spec", "authorization.v1.SelfSubjectAccessReviewSpec"),
        Msg(3, "status", "authorization.v1.SubjectAccessReviewStatus")}},
      {"authorization.v1.SelfSubjectAccessReviewSpec",
       {Msg(1, "resourceAttributes", "authorization.v1.ResourceAttributes"),
        Msg(2, "nonResourceAttributes", "authorization.v1.NonResourceAttributes")}},
      {"authorization.v1.ResourceAttributes",
       {Str(1, "namespace"), Str(2, "verb"), Str(3, "group"), Str(4, "version"), Str(5, "resource"),
        Str(6, "subresource"), Str(7, "name")}},
      {"authorization.v1.NonResourceAttributes", {Str(1, "path"), Str(2, "verb")}},
      {"authorization.v1.SubjectAccessReviewStatus",
       {Bool(1, "allowed"), Bool(4, "denied"), Str(2, "reason"), Str(3, "evaluationError")}},
      {"authorization.v1.SelfSubjectRulesReview",
       {Msg(1, "metadata", "meta.ObjectMeta"),
        Msg(2, "spec", "authorization.v1.SelfSubjectRulesReviewSpec"),
        Msg(3, "status", "authorization.v1.SubjectRulesReviewStatus")}},
      {"authorization.v1.SelfSubjectRulesReviewSpec", {Str(1, "namespace")}},
      {"authorization.v1.SubjectRulesReviewStatus",
       {Bool(3, "incomplete"), Str(4, "evaluationError")}},
      // authentication/v1
      {"authentication.v1.TokenRequest",
       {Msg(1, "metadata", "meta.ObjectMeta"), Msg(2, "spec", "authentication.v1.TokenRequestSpec"),
        Msg(3, "status", "authentication.v1.TokenRequestStatus")}},
      {"authentication.v1.TokenRequestSpec",
       {Strs(1, "audiences"), I64(4, "expirationSeconds", kPtr),
        Msg(3, "boundObjectRef", "authentication.v1.BoundObjectReference")}},
      {"authentication.v1.BoundObjectReference",
       {Str(1, "kind"), Str(2, "apiVersion"), Str(3, "name"), Str(4, "uid")}},
      {"authentication.v1.TokenRequestStatus",
       {Str(1, "token"), {2, "expirationTimestamp", K::kTime}}},
      {"authentication.v1.SelfSubjectReview",
       {Msg(1, "metadata", "meta.ObjectMeta"),
        Msg(2, "status", "authentication.v1.SelfSubjectReviewStatus")}},
      {"authentication.v1.SelfSubjectReviewStatus", {}},
      // rbac/v1
      {"rbac.v1.Role",
       {Msg(1, "metadata", "meta.ObjectMeta"), Msgs(2, "rules", "rbac.v1.PolicyRule")}},
      {"rbac.v1.ClusterRole",
       {Msg(1, "metadata", "meta.ObjectMeta"), Msgs(2, "rules", "rbac.v1.PolicyRule")}},
      {"rbac.v1.RoleBinding",
       {Msg(1, "metadata", "meta.ObjectMeta"), Msgs(2, "subjects", "rbac.v1.Subject"),
        Msg(3, "roleRef", "rbac.v1.RoleRef")}},
      {"rbac.v1.ClusterRoleBinding",
       {Msg(1, "metadata", "meta.ObjectMeta"), Msgs(2, "subjects", "rbac.v1.Subject"),
        Msg(3, "roleRef", "rbac.v1.RoleRef")}},
      {"rbac.v1.PolicyRule",
       {Strs(1, "verbs"), Strs(2, "apiGroups"), Strs(3, "resources"), Strs(4, "resourceNames"),
        Strs(5, "nonResourceURLs")}},
      {"rbac.v1.Subject",
       {Str(1, "kind"), Str(2, "apiGroup"), Str(3, "name"), Str(4, "namespace")}},
      {"rbac.v1.RoleRef", {Str(1, "apiGroup"), Str(2, "kind"), Str(3, "name")}},
      // policy/v1
      {"policy.v1.Eviction",
       {Msg(1, "metadata", "meta.ObjectMeta"), Msg(2, "deleteOptions", "meta.DeleteOptions")}},
  };
  return messages;
}

}  // namespace

const Message* FindMessage(std::string_view name) {
  static const std::map<std::string_view, const Message*> index = [] {
    std::map<std::string_view, const Message*> m;
    for (const auto& msg : All()) m[msg.name] = &msg;
    return m;
  }();
  auto it = index.find(name);
  return it == index.end() ? nullptr : it->second;
}

const Message* FindKind(std::string_view api_version, std::string_view kind) {
  std::string group_version(api_version);
  if (group_version.find('/') == std::string::npos) group_version = "core/" + group_version;
  std::string group = group_version.substr(0, group_version.find('/'));
  group = group.substr(0, group.find('.'));  // rbac.authorization.k8s.io -> rbac
  std::string version = group_version.substr(group_version.find('/') + 1);
  return FindMessage(group + "." + version + "." + std::string(kind));
}

}  // namespace capstan::api::k8s::protobuf
