// A Pod as CRI configs: what the runtime is asked for.
#include "kubelet/kuberuntime/pod_config.h"

#include <gtest/gtest.h>

#include "kubelet/kuberuntime/labels.h"
#include "kubelet/kuberuntime/security_context.h"
#include "tests/kubelet/test_pods.h"

namespace capstan::kubelet::kuberuntime {
namespace {

namespace v1 = api::cri::v1;

NodeContext Node() {
  NodeContext n;
  n.node_name = "node-1";
  n.node_ip = "192.168.1.10";
  n.pod_logs_dir = "/var/log/pods";
  n.cluster_dns = {"10.96.0.10"};
  n.cluster_domain = "cluster.local";
  n.memory_capacity_bytes = 8LL << 30;
  return n;
}

constexpr const char* kPod = R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, uid: u-1, labels: {app: shop}, annotations: {a: b}}
spec:
  securityContext:
    runAsUser: 1000
    runAsGroup: 3000
    fsGroup: 2000
    supplementalGroups: [4000]
    sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: "80"}]
  volumes: [{name: data, emptyDir: {}}]
  containers:
  - name: app
    image: busybox:1.36
    command: [sh, -c, "echo $(MSG)"]
    env: [{name: MSG, value: hi}]
    workingDir: /srv
    ports: [{containerPort: 8080, hostPort: 18080, protocol: UDP, hostIP: 127.0.0.1}]
    resources:
      requests: {cpu: 250m, memory: 64Mi}
      limits: {cpu: 500m, memory: 128Mi}
    volumeMounts: [{name: data, mountPath: /data, subPath: sub}]
    securityContext:
      runAsUser: 1001
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {add: [NET_ADMIN], drop: [ALL]}
)yaml";

TEST(SandboxConfigTest, CarriesIdentityLogsDnsPortsAndSecurity) {
  auto pod = testing::PodFromYaml(kPod);
  ResolvConf host{{"1.1.1.1"}, {"example.com"}, {}};
  auto cfg = GenerateSandboxConfig(pod, 2, Node(), host);
  ASSERT_TRUE(cfg) << cfg.error().message();
  EXPECT_EQ(cfg->metadata().name(), "web");
  EXPECT_EQ(cfg->metadata().namespace_(), "prod");
  EXPECT_EQ(cfg->metadata().uid(), "u-1");
  EXPECT_EQ(cfg->metadata().attempt(), 2u);
  EXPECT_EQ(cfg->hostname(), "web");
  EXPECT_EQ(cfg->log_directory(), "/var/log/pods/prod_web_u-1");
  EXPECT_EQ(cfg->labels().at(kPodNameLabel), "web");
  EXPECT_EQ(cfg->labels().at(kPodNamespaceLabel), "prod");
  EXPECT_EQ(cfg->labels().at(kPodUidLabel), "u-1");
  EXPECT_EQ(cfg->labels().at("app"), "shop");
  EXPECT_EQ(cfg->annotations().at("a"), "b");
  ASSERT_EQ(cfg->dns_config().servers_size(), 1);
  EXPECT_EQ(cfg->dns_config().servers(0), "10.96.0.10");
  ASSERT_GE(cfg->dns_config().searches_size(), 4);
  EXPECT_EQ(cfg->dns_config().searches(0), "prod.svc.cluster.local");
  EXPECT_EQ(cfg->dns_config().searches(3), "example.com");
  EXPECT_EQ(cfg->dns_config().options(0), "ndots:5");
  ASSERT_EQ(cfg->port_mappings_size(), 1);
  EXPECT_EQ(cfg->port_mappings(0).protocol(), v1::UDP);
  EXPECT_EQ(cfg->port_mappings(0).host_port(), 18080);
  EXPECT_EQ(cfg->port_mappings(0).host_ip(), "127.0.0.1");
  EXPECT_EQ(cfg->linux().cgroup_parent(), "/kubepods/burstable/podu-1");
  const auto& sc = cfg->linux().security_context();
  EXPECT_EQ(sc.run_as_user().value(), 1000);
  EXPECT_EQ(sc.run_as_group().value(), 3000);
  EXPECT_EQ(sc.supplemental_groups_size(), 2);  // 4000 and the fsGroup
  EXPECT_EQ(sc.namespace_options().network(), v1::POD);
  EXPECT_EQ(sc.namespace_options().pid(), v1::CONTAINER);
  EXPECT_EQ(cfg->linux().sysctls().at("net.ipv4.ip_unprivileged_port_start"), "80");
}

TEST(SandboxConfigTest, HostNetworkAndDnsPolicies) {
  auto pod = testing::PodFromYaml(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: h}
spec:
  hostNetwork: true
  hostPID: true
  containers: [{name: a, image: busybox}]
)yaml");
  ResolvConf host{{"1.1.1.1"}, {"example.com"}, {"edns0"}};
  auto cfg = GenerateSandboxConfig(pod, 0, Node(), host);
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->hostname(), "");  // the node's own
  EXPECT_EQ(cfg->linux().security_context().namespace_options().network(), v1::NODE);
  EXPECT_EQ(cfg->linux().security_context().namespace_options().pid(), v1::NODE);
  // ClusterFirst on the host network falls back to the node's resolver.
  EXPECT_EQ(cfg->dns_config().servers(0), "1.1.1.1");
  EXPECT_EQ(cfg->linux().cgroup_parent(), "/kubepods/besteffort/podh-uid");

  pod.spec.dns_policy = "None";
  pod.spec.dns_config = api::k8s::PodDNSConfig{{"9.9.9.9"}, {"a.b"}, {{"ndots", "2"}}};
  cfg = GenerateSandboxConfig(pod, 0, Node(), host);
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->dns_config().servers_size(), 1);
  EXPECT_EQ(cfg->dns_config().servers(0), "9.9.9.9");
  EXPECT_EQ(cfg->dns_config().options(0), "ndots:2");
}

TEST(ContainerConfigTest, CarriesCommandEnvMountsLogsAndAnnotations) {
  auto pod = testing::PodFromYaml(kPod);
  ContainerInputs in;
  in.image_ref = "sha256:abc";
  in.restart_count = 3;
  in.pod_ips = {"10.88.0.5"};
  in.volume_paths = {{"data", "/var/lib/kubelet/pods/u-1/volumes/kubernetes.io~empty-dir/data"}};
  in.termination_message_file = "/var/lib/kubelet/pods/u-1/containers/app/x";
  const auto& c = pod.spec.containers[0];
  // A subPath is never joined onto the volume's path: without a prepared bind it fails.
  auto unprepared = GenerateContainerConfig(pod, c, Node(), in);
  ASSERT_FALSE(unprepared);
  EXPECT_NE(unprepared.error().message().find("subPath \"sub\" is not prepared"), std::string::npos)
      << unprepared.error().message();
  in.sub_path_hosts[0] = "/var/lib/kubelet/pods/u-1/volume-subpaths/data/app/0";
  auto cfg = GenerateContainerConfig(pod, c, Node(), in);
  ASSERT_TRUE(cfg) << cfg.error().message();
  EXPECT_EQ(cfg->metadata().name(), "app");
  EXPECT_EQ(cfg->metadata().attempt(), 3u);
  EXPECT_EQ(cfg->image().image(), "sha256:abc");
  EXPECT_EQ(cfg->image().user_specified_image(), "busybox:1.36");
  EXPECT_EQ(cfg->command(2), "echo hi");
  EXPECT_EQ(cfg->working_dir(), "/srv");
  ASSERT_EQ(cfg->envs_size(), 1);
  EXPECT_EQ(cfg->envs(0).key(), "MSG");
  EXPECT_EQ(cfg->log_path(), "app/3.log");
  ASSERT_EQ(cfg->mounts_size(), 2);
  EXPECT_EQ(cfg->mounts(0).container_path(), "/data");
  EXPECT_EQ(cfg->mounts(0).host_path(), "/var/lib/kubelet/pods/u-1/volume-subpaths/data/app/0");
  EXPECT_EQ(cfg->mounts(1).container_path(), "/dev/termination-log");
  EXPECT_EQ(cfg->labels().at(kContainerNameLabel), "app");
  EXPECT_EQ(cfg->labels().at(kPodUidLabel), "u-1");
  EXPECT_FALSE(cfg->labels().contains("app"));  // pod labels stay on the sandbox
  EXPECT_EQ(cfg->annotations().at(kRestartCountAnnotation), "3");
  EXPECT_EQ(cfg->annotations().at(kContainerHashAnnotation), HashContainer(c));
  EXPECT_EQ(cfg->annotations().at(kPodTerminationGracePeriodAnnotation), "30");

  const auto& r = cfg->linux().resources();
  EXPECT_EQ(r.cpu_shares(), 256);  // 250m * 1024 / 1000
  EXPECT_EQ(r.cpu_period(), 100000);
  EXPECT_EQ(r.cpu_quota(), 50000);  // 500m of a 100 ms period
  EXPECT_EQ(r.memory_limit_in_bytes(), 128 << 20);
  // Burstable: 1000 - 1000 * 64Mi / 8Gi
  EXPECT_EQ(r.oom_score_adj(), 1000 - (1000LL * (64 << 20)) / (8LL << 30));

  const auto& sc = cfg->linux().security_context();
  EXPECT_EQ(sc.run_as_user().value(), 1001);   // the container's own wins
  EXPECT_EQ(sc.run_as_group().value(), 3000);  // the pod's fills in
  EXPECT_TRUE(sc.no_new_privs());
  EXPECT_TRUE(sc.readonly_rootfs());
  EXPECT_EQ(sc.capabilities().add_capabilities(0), "NET_ADMIN");
  EXPECT_EQ(sc.capabilities().drop_capabilities(0), "ALL");
  EXPECT_EQ(sc.masked_paths_size(), static_cast<int>(DefaultMaskedPaths().size()));
  EXPECT_EQ(sc.readonly_paths_size(), static_cast<int>(DefaultReadonlyPaths().size()));
  EXPECT_EQ(sc.seccomp().profile_type(), v1::SecurityProfile::Unconfined);
}

TEST(ContainerConfigTest, DefaultsAndOptOuts) {
  auto pod = testing::PodFromYaml(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {seccompProfile: {type: Localhost, localhostProfile: my.json}}
  containers:
  - name: a
    image: busybox
    securityContext: {procMount: Unmasked}
  - name: b
    image: busybox
    resources: {limits: {cpu: "1", memory: 1Gi}}
    securityContext: {seccompProfile: {type: RuntimeDefault}, allowPrivilegeEscalation: true}
  - name: c
    image: busybox
    volumeMounts: [{name: ghost, mountPath: /x}]
)yaml");
  NodeContext node = Node();
  node.seccomp_profile_root = "/var/lib/kubelet/seccomp";
  auto a = GenerateContainerConfig(pod, pod.spec.containers[0], node, {});
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->linux().security_context().masked_paths_size(), 0);
  EXPECT_FALSE(a->linux().security_context().no_new_privs());  // unset: not set
  EXPECT_EQ(a->linux().security_context().seccomp().profile_type(), v1::SecurityProfile::Localhost);
  EXPECT_EQ(a->linux().security_context().seccomp().localhost_ref(),
            "/var/lib/kubelet/seccomp/my.json");
  EXPECT_EQ(a->linux().resources().cpu_shares(), 2);  // no request: the minimum
  EXPECT_EQ(a->linux().resources().cpu_quota(), 0);   // no limit: unlimited
  auto b = GenerateContainerConfig(pod, pod.spec.containers[1], node, {});
  ASSERT_TRUE(b);
  EXPECT_EQ(b->linux().security_context().seccomp().profile_type(),
            v1::SecurityProfile::RuntimeDefault);
  EXPECT_FALSE(b->linux().security_context().no_new_privs());
  EXPECT_EQ(b->linux().resources().cpu_shares(), 1024);  // request defaulted from the limit
  // Burstable pod (a and c have no resources): scales with the memory request.
  EXPECT_EQ(b->linux().resources().oom_score_adj(), 1000 - 1000 / 8);
  auto c = GenerateContainerConfig(pod, pod.spec.containers[2], node, {});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("ghost"), std::string::npos);

  node.seccomp_default = true;
  pod.spec.security_context->seccomp_profile.reset();
  a = GenerateContainerConfig(pod, pod.spec.containers[0], node, {});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->linux().security_context().seccomp().profile_type(),
            v1::SecurityProfile::RuntimeDefault);
}

TEST(LabelsTest, HashChangesWithTheSpecOnly) {
  auto pod = testing::PodFromYaml(kPod);
  api::k8s::Container c = pod.spec.containers[0];
  std::string h = HashContainer(c);
  EXPECT_EQ(h, HashContainer(c));
  c.image = "busybox:1.37";
  EXPECT_NE(h, HashContainer(c));
}

}  // namespace
}  // namespace capstan::kubelet::kuberuntime
