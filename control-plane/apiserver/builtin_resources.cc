// The resources capstan-server serves out of the box, with the names, short names,
// categories, verbs and subresources kube-apiserver's discovery gives them.

#include <algorithm>

#include "control-plane/apiserver/resource_info.h"

namespace capstan::control_plane::apiserver {
namespace {

const std::vector<std::string> kAllVerbs = {"create", "delete", "deletecollection", "get",
                                            "list",   "patch",  "update",           "watch"};
const std::vector<std::string> kNamespaceVerbs = {"create", "delete", "get",  "list",
                                                  "patch",  "update", "watch"};
const std::vector<std::string> kCreateOnly = {"create"};

struct Entry {
  const char* group;
  const char* version;
  const char* kind;
  const char* plural;
  bool namespaced;
  std::vector<std::string> short_names;
  std::vector<std::string> subresources;
  bool in_all = false;  // in the "all" category (kubectl get all)
};

ResourceInfo Make(const Entry& e, std::vector<std::string> verbs = kAllVerbs) {
  ResourceInfo r;
  r.group = e.group;
  r.version = e.version;
  r.kind = e.kind;
  r.plural = e.plural;
  r.singular = r.kind;
  std::transform(r.singular.begin(), r.singular.end(), r.singular.begin(), ::tolower);
  r.namespaced = e.namespaced;
  r.short_names = e.short_names;
  r.subresources = e.subresources;
  if (e.in_all) {
    r.categories = {"all"};
  }
  r.verbs = std::move(verbs);
  return r;
}

}  // namespace

std::vector<ResourceInfo> BuiltinResources() {
  std::vector<ResourceInfo> out;
  auto add = [&out](const Entry& e) { out.push_back(Make(e)); };
  auto review = [&out](const Entry& e) {
    ResourceInfo r = Make(e, kCreateOnly);
    r.virtual_only = true;
    out.push_back(std::move(r));
  };

  // core/v1
  out.push_back(Make({"", "v1", "Namespace", "namespaces", false, {"ns"}, {"status", "finalize"}},
                     kNamespaceVerbs));
  add({"", "v1", "Node", "nodes", false, {"no"}, {"status", "proxy"}});
  add({"",
       "v1",
       "Pod",
       "pods",
       true,
       {"po"},
       {"status", "binding", "eviction", "log", "exec", "attach", "portforward",
        "ephemeralcontainers"},
       true});
  add({"", "v1", "Service", "services", true, {"svc"}, {"status", "proxy"}, true});
  add({"", "v1", "Endpoints", "endpoints", true, {"ep"}, {}});
  add({"", "v1", "ConfigMap", "configmaps", true, {"cm"}, {}});
  add({"", "v1", "Secret", "secrets", true, {}, {}});
  add({"", "v1", "ServiceAccount", "serviceaccounts", true, {"sa"}, {"token"}});
  add({"", "v1", "Event", "events", true, {"ev"}, {}});
  add({"", "v1", "PersistentVolume", "persistentvolumes", false, {"pv"}, {"status"}});
  add({"", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, {"pvc"}, {"status"}});
  add({"", "v1", "LimitRange", "limitranges", true, {"limits"}, {}});
  add({"", "v1", "ResourceQuota", "resourcequotas", true, {"quota"}, {"status"}});
  add({"", "v1", "PodTemplate", "podtemplates", true, {}, {}});
  add({"",
       "v1",
       "ReplicationController",
       "replicationcontrollers",
       true,
       {"rc"},
       {"status", "scale"},
       true});
  {
    ResourceInfo cs = Make({"", "v1", "ComponentStatus", "componentstatuses", false, {"cs"}, {}},
                           {"get", "list"});
    cs.virtual_only = true;
    out.push_back(std::move(cs));
  }
  // apps/v1
  add({"apps", "v1", "Deployment", "deployments", true, {"deploy"}, {"status", "scale"}, true});
  add({"apps", "v1", "ReplicaSet", "replicasets", true, {"rs"}, {"status", "scale"}, true});
  add({"apps", "v1", "DaemonSet", "daemonsets", true, {"ds"}, {"status"}, true});
  add({"apps", "v1", "StatefulSet", "statefulsets", true, {"sts"}, {"status", "scale"}, true});
  add({"apps", "v1", "ControllerRevision", "controllerrevisions", true, {}, {}});
  // batch/v1
  add({"batch", "v1", "Job", "jobs", true, {}, {"status"}, true});
  add({"batch", "v1", "CronJob", "cronjobs", true, {"cj"}, {"status"}, true});
  // autoscaling
  add({"autoscaling",
       "v2",
       "HorizontalPodAutoscaler",
       "horizontalpodautoscalers",
       true,
       {"hpa"},
       {"status"},
       true});
  // coordination, discovery, events
  add({"coordination.k8s.io", "v1", "Lease", "leases", true, {}, {}});
  add({"discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true, {}, {}});
  add({"events.k8s.io", "v1", "Event", "events", true, {"ev"}, {}});
  // networking, policy
  add({"networking.k8s.io", "v1", "Ingress", "ingresses", true, {"ing"}, {"status"}});
  add({"networking.k8s.io", "v1", "IngressClass", "ingressclasses", false, {}, {}});
  add({"networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true, {"netpol"}, {}});
  add({"policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true, {"pdb"}, {"status"}});
  // rbac
  add({"rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false, {}, {}});
  add({"rbac.authorization.k8s.io",
       "v1",
       "ClusterRoleBinding",
       "clusterrolebindings",
       false,
       {},
       {}});
  add({"rbac.authorization.k8s.io", "v1", "Role", "roles", true, {}, {}});
  add({"rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true, {}, {}});
  // storage, scheduling, certificates, apiextensions
  add({"storage.k8s.io", "v1", "StorageClass", "storageclasses", false, {"sc"}, {}});
  add({"storage.k8s.io", "v1", "CSIDriver", "csidrivers", false, {}, {}});
  add({"storage.k8s.io", "v1", "CSINode", "csinodes", false, {}, {}});
  add({"storage.k8s.io", "v1", "VolumeAttachment", "volumeattachments", false, {}, {"status"}});
  add({"scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", false, {"pc"}, {}});
  add({"certificates.k8s.io",
       "v1",
       "CertificateSigningRequest",
       "certificatesigningrequests",
       false,
       {"csr"},
       {"status", "approval"}});
  add({"apiextensions.k8s.io",
       "v1",
       "CustomResourceDefinition",
       "customresourcedefinitions",
       false,
       {"crd", "crds"},
       {"status"}});
  // reviews: asked, answered, never stored
  review({"authorization.k8s.io",
          "v1",
          "SelfSubjectAccessReview",
          "selfsubjectaccessreviews",
          false,
          {},
          {}});
  review({"authorization.k8s.io",
          "v1",
          "SelfSubjectRulesReview",
          "selfsubjectrulesreviews",
          false,
          {},
          {}});
  review(
      {"authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews", false, {}, {}});
  review({"authorization.k8s.io",
          "v1",
          "LocalSubjectAccessReview",
          "localsubjectaccessreviews",
          true,
          {},
          {}});
  review({"authentication.k8s.io", "v1", "TokenReview", "tokenreviews", false, {}, {}});
  review({"authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", false, {}, {}});
  // metrics.k8s.io: read-only views of what kubelets report (kubectl top), never stored
  for (const Entry& e : {Entry{"metrics.k8s.io", "v1beta1", "NodeMetrics", "nodes", false, {}, {}},
                         Entry{"metrics.k8s.io", "v1beta1", "PodMetrics", "pods", true, {}, {}}}) {
    ResourceInfo m = Make(e, {"get", "list"});
    m.virtual_only = true;
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace capstan::control_plane::apiserver
