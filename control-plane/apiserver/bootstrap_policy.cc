#include "control-plane/apiserver/bootstrap_policy.h"

namespace capstan::control_plane::apiserver {
namespace {

Json Rule(std::vector<std::string> groups, std::vector<std::string> resources,
          std::vector<std::string> verbs) {
  return {{"apiGroups", groups}, {"resources", resources}, {"verbs", verbs}};
}

Json UrlRule(std::vector<std::string> urls, std::vector<std::string> verbs) {
  return {{"nonResourceURLs", urls}, {"verbs", verbs}};
}

Json Role(const std::string& name, Json rules, bool system = true) {
  Json labels = {{"kubernetes.io/bootstrapping", "rbac-defaults"}};
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRole"},
          {"metadata",
           {{"name", name},
            {"labels", labels},
            {"annotations", {{"rbac.authorization.kubernetes.io/autoupdate", "true"}}}}},
          {"rules", rules}};
}

Json Binding(const std::string& name, const std::string& role, Json subjects) {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRoleBinding"},
          {"metadata",
           {{"name", name},
            {"labels", {{"kubernetes.io/bootstrapping", "rbac-defaults"}}},
            {"annotations", {{"rbac.authorization.kubernetes.io/autoupdate", "true"}}}}},
          {"roleRef",
           {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", role}}},
          {"subjects", subjects}};
}

Json Group(const std::string& name) {
  return {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Group"}, {"name", name}};
}
Json User(const std::string& name) {
  return {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "User"}, {"name", name}};
}

const std::vector<std::string> kRead = {"get", "list", "watch"};
const std::vector<std::string> kWrite = {"create", "delete", "deletecollection", "patch", "update"};
std::vector<std::string> ReadWrite() {
  std::vector<std::string> v = kRead;
  v.insert(v.end(), kWrite.begin(), kWrite.end());
  return v;
}

// What view grants (namespaced workload and config objects, no secrets).
Json ViewRules() {
  return Json::array(
      {Rule({""},
            {"configmaps",
             "endpoints",
             "persistentvolumeclaims",
             "persistentvolumeclaims/status",
             "pods",
             "replicationcontrollers",
             "replicationcontrollers/scale",
             "serviceaccounts",
             "services",
             "services/status",
             "bindings",
             "events",
             "limitranges",
             "namespaces/status",
             "pods/log",
             "pods/status",
             "replicationcontrollers/status",
             "resourcequotas",
             "resourcequotas/status",
             "namespaces"},
            kRead),
       Rule({"apps"},
            {"controllerrevisions", "daemonsets", "daemonsets/status", "deployments",
             "deployments/scale", "deployments/status", "replicasets", "replicasets/scale",
             "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"},
            kRead),
       Rule({"autoscaling"}, {"horizontalpodautoscalers", "horizontalpodautoscalers/status"},
            kRead),
       Rule({"batch"}, {"cronjobs", "cronjobs/status", "jobs", "jobs/status"}, kRead),
       Rule({"discovery.k8s.io"}, {"endpointslices"}, kRead),
       Rule({"policy"}, {"poddisruptionbudgets", "poddisruptionbudgets/status"}, kRead),
       Rule({"networking.k8s.io"}, {"ingresses", "ingresses/status", "networkpolicies"}, kRead),
       // metrics-server aggregates this into view (system:aggregated-metrics-reader).
       Rule({"metrics.k8s.io"}, {"pods", "nodes"}, kRead)});
}

Json EditRules() {
  Json rules = ViewRules();
  rules.push_back(Rule({""},
                       {"pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy",
                        "pods/eviction", "configmaps", "endpoints", "persistentvolumeclaims",
                        "replicationcontrollers", "replicationcontrollers/scale", "secrets",
                        "serviceaccounts", "services", "services/proxy", "serviceaccounts/token"},
                       ReadWrite()));
  rules.push_back(Rule({"apps"},
                       {"daemonsets", "deployments", "deployments/rollback", "deployments/scale",
                        "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"},
                       ReadWrite()));
  rules.push_back(Rule({"autoscaling"}, {"horizontalpodautoscalers"}, ReadWrite()));
  rules.push_back(Rule({"batch"}, {"cronjobs", "jobs"}, ReadWrite()));
  rules.push_back(Rule({"networking.k8s.io"}, {"ingresses", "networkpolicies"}, ReadWrite()));
  rules.push_back(Rule({"policy"}, {"poddisruptionbudgets"}, ReadWrite()));
  rules.push_back(Rule({"coordination.k8s.io"}, {"leases"}, ReadWrite()));
  return rules;
}

}  // namespace

std::vector<Json> BootstrapClusterRoles() {
  Json admin = EditRules();
  admin.push_back(Rule({"rbac.authorization.k8s.io"}, {"roles", "rolebindings"}, ReadWrite()));
  admin.push_back(Rule({"authorization.k8s.io"}, {"localsubjectaccessreviews"}, {"create"}));
  return {
      Role("cluster-admin", Json::array({Rule({"*"}, {"*"}, {"*"}), UrlRule({"*"}, {"*"})}), false),
      Role("admin", admin, false),
      Role("edit", EditRules(), false),
      Role("view", ViewRules(), false),
      Role("system:discovery",
           Json::array({UrlRule({"/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez",
                                 "/openapi", "/openapi/*", "/readyz", "/version", "/version/"},
                                {"get"})})),
      Role("system:public-info-viewer",
           Json::array(
               {UrlRule({"/healthz", "/livez", "/readyz", "/version", "/version/"}, {"get"})})),
      Role("system:basic-user",
           Json::array({Rule({"authorization.k8s.io"},
                             {"selfsubjectaccessreviews", "selfsubjectrulesreviews"}, {"create"}),
                        Rule({"authentication.k8s.io"}, {"selfsubjectreviews"}, {"create"})})),
      Role("system:node-bootstrapper",
           Json::array({Rule({"certificates.k8s.io"}, {"certificatesigningrequests"},
                             {"create", "get", "list", "watch"})})),
      // What the CSR approver checks before approving a node's client certificate: a joining
      // kubelet's first (nodeclient) and a node's renewal of its own (selfnodeclient).
      Role("system:certificates.k8s.io:certificatesigningrequests:nodeclient",
           Json::array({Rule({"certificates.k8s.io"}, {"certificatesigningrequests/nodeclient"},
                             {"create"})})),
      Role("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
           Json::array({Rule({"certificates.k8s.io"}, {"certificatesigningrequests/selfnodeclient"},
                             {"create"})})),
      // What the API server may ask of a kubelet when it proxies logs, exec and port-forward.
      Role("system:kubelet-api-admin",
           Json::array(
               {Rule({""}, {"nodes"}, {"get", "list", "watch", "proxy"}),
                Rule({""}, {"nodes/log", "nodes/metrics", "nodes/proxy", "nodes/stats"}, {"*"})})),
      Role("system:kube-scheduler",
           Json::array(
               {Rule({""},
                     {"pods", "nodes", "namespaces", "services", "persistentvolumes",
                      "persistentvolumeclaims", "replicationcontrollers"},
                     kRead),
                Rule({""}, {"pods/binding", "bindings"}, {"create"}),
                Rule({""}, {"pods"}, {"delete"}),  // preemption's victims
                // system:volume-scheduler's: VolumeBinding reserves volumes for claims.
                Rule({""}, {"persistentvolumes", "persistentvolumeclaims"}, {"patch", "update"}),
                Rule({""}, {"pods/status"}, {"patch", "update"}),
                Rule({""}, {"events"}, {"create", "patch", "update"}),
                Rule({"events.k8s.io"}, {"events"}, {"create", "patch", "update"}),
                Rule({"coordination.k8s.io"}, {"leases"}, {"create", "get", "update"}),
                Rule({"apps"}, {"replicasets", "statefulsets"}, kRead),
                Rule({"policy"}, {"poddisruptionbudgets"}, kRead),
                Rule({"storage.k8s.io"}, {"storageclasses", "csinodes", "csidrivers"}, kRead)})),
      Role("system:kube-controller-manager", Json::array({Rule({"*"}, {"*"}, {"*"})})),
      Role("system:node",
           Json::array({Rule({""}, {"nodes", "nodes/status"}, ReadWrite()),
                        Rule({""}, {"pods", "pods/status"}, ReadWrite()),
                        Rule({""},
                             {"configmaps", "secrets", "services", "endpoints",
                              "persistentvolumeclaims", "persistentvolumes"},
                             kRead),
                        Rule({""}, {"events"}, {"create", "patch", "update"}),
                        Rule({""}, {"serviceaccounts/token"}, {"create"}),
                        Rule({"coordination.k8s.io"}, {"leases"}, ReadWrite()),
                        Rule({"certificates.k8s.io"}, {"certificatesigningrequests"},
                             {"create", "get", "list", "watch"}),
                        Rule({"storage.k8s.io"}, {"csinodes", "csidrivers", "volumeattachments"},
                             ReadWrite()),
                        Rule({"authentication.k8s.io"}, {"tokenreviews"}, {"create"}),
                        Rule({"authorization.k8s.io"}, {"subjectaccessreviews"}, {"create"})})),
  };
}

std::vector<Json> BootstrapClusterRoleBindings() {
  return {
      Binding("cluster-admin", "cluster-admin", Json::array({Group("system:masters")})),
      Binding("system:discovery", "system:discovery", Json::array({Group("system:authenticated")})),
      Binding("system:basic-user", "system:basic-user",
              Json::array({Group("system:authenticated")})),
      Binding("system:public-info-viewer", "system:public-info-viewer",
              Json::array({Group("system:authenticated"), Group("system:unauthenticated")})),
      Binding("system:kube-scheduler", "system:kube-scheduler",
              Json::array({User("system:kube-scheduler")})),
      Binding("system:kube-controller-manager", "system:kube-controller-manager",
              Json::array({User("system:kube-controller-manager")})),
      // No binding of system:node: kubelets are authorized by the Node authorizer, which
      // grants that role's rules only as far as the node's own pods reach, as upstream.
      Binding("capstan:kube-apiserver-kubelet-client", "system:kubelet-api-admin",
              Json::array({User("kube-apiserver-kubelet-client")})),
      // kubeadm's names and grants: a join token may ask for a node client certificate, which
      // is approved; a node may renew its own.
      Binding("kubeadm:kubelet-bootstrap", "system:node-bootstrapper",
              Json::array({Group("system:bootstrappers")})),
      Binding("kubeadm:node-autoapprove-bootstrap",
              "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
              Json::array({Group("system:bootstrappers")})),
      Binding("kubeadm:node-autoapprove-certificate-rotation",
              "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
              Json::array({Group("system:nodes")})),
  };
}

}  // namespace capstan::control_plane::apiserver
