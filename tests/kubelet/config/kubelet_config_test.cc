#include "kubelet/config/kubelet_config.h"

#include <gtest/gtest.h>

#include "kubelet/config/flags.h"

namespace capstan::kubelet::config {
namespace {

constexpr const char* kHeader =
    "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n";

Result<KubeletConfiguration> Parse(const std::string& body) {
  return ParseKubeletConfiguration(std::string(kHeader) + body);
}

void ExpectErrorNaming(const std::string& body, const std::string& field) {
  auto c = Parse(body);
  ASSERT_FALSE(c) << body;
  EXPECT_NE(c.error().message().find(field), std::string::npos)
      << c.error().message() << " should name " << field;
}

TEST(KubeletConfigTest, DefaultsAsUpstream) {
  auto c = Parse("");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->static_pod_path, "/etc/kubernetes/manifests");
  EXPECT_EQ(c->port, 10250);
  EXPECT_EQ(c->read_only_port, 0);
  EXPECT_EQ(c->healthz_port, 10248);
  EXPECT_EQ(c->cgroup_driver, "cgroupfs");
  EXPECT_EQ(c->max_pods, 110);
  EXPECT_EQ(c->pod_pids_limit, -1);
  EXPECT_EQ(c->image_gc_high_threshold_percent, 85);
  EXPECT_EQ(c->image_gc_low_threshold_percent, 80);
  EXPECT_EQ(c->container_log_max_size, "10Mi");
  EXPECT_EQ(c->container_log_max_files, 5);
  EXPECT_EQ(c->eviction_hard.at("memory.available"), "100Mi");
  EXPECT_TRUE(c->serialize_image_pulls);
  EXPECT_TRUE(c->seccomp_default);  // capstan defaults to RuntimeDefault (DESIGN.md)
  EXPECT_EQ(c->sync_frequency, std::chrono::minutes(1));
  EXPECT_EQ(c->file_check_frequency, std::chrono::seconds(20));
  EXPECT_EQ(c->container_runtime_endpoint, "unix:///run/capstan/cri.sock");
}

TEST(KubeletConfigTest, ParsesTheIssueFields) {
  auto c = Parse(R"(
staticPodPath: /srv/manifests
cgroupDriver: systemd
cgroupRoot: /capstan
address: 127.0.0.1
port: 11250
readOnlyPort: 10255
healthzPort: 0
clusterDNS: [10.96.0.10, "fd00::a"]
clusterDomain: cluster.local
maxPods: 50
podPidsLimit: 4096
evictionHard: {memory.available: 200Mi, nodefs.available: 5%}
imageGCHighThresholdPercent: 90
imageGCLowThresholdPercent: 70
containerLogMaxSize: 50Mi
containerLogMaxFiles: 3
seccompDefault: true
serializeImagePulls: false
maxParallelImagePulls: 4
syncFrequency: 30s
runtimeRequestTimeout: 1m30s
featureGates: {SidecarContainers: true}
authentication: {anonymous: {enabled: false}, webhook: {enabled: true, cacheTTL: 2m}}
authorization: {mode: AlwaysAllow}
logging: {format: json, verbosity: 4}
)");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->static_pod_path, "/srv/manifests");
  EXPECT_EQ(c->cgroup_driver, "systemd");
  EXPECT_EQ(c->cluster_dns.size(), 2u);
  EXPECT_EQ(c->pod_pids_limit, 4096);
  EXPECT_EQ(c->eviction_hard.size(), 2u);  // replaces the defaults, as upstream
  EXPECT_TRUE(c->seccomp_default);
  EXPECT_EQ(c->max_parallel_image_pulls, 4);
  EXPECT_EQ(c->sync_frequency, std::chrono::seconds(30));
  EXPECT_EQ(c->runtime_request_timeout, std::chrono::seconds(90));
  EXPECT_TRUE(c->feature_gates.at("SidecarContainers"));
  EXPECT_EQ(c->authorization_mode, "AlwaysAllow");
  EXPECT_EQ(c->logging_verbosity, 4);
}

TEST(KubeletConfigTest, UnknownAndInvalidFieldsNameTheField) {
  ExpectErrorNaming("staticPodPaths: /x\n", "staticPodPaths");
  ExpectErrorNaming("authentication: {anonymous: {enable: true}}\n",
                    "authentication.anonymous.enable");
  ExpectErrorNaming("maxPods: lots\n", "maxPods");
  ExpectErrorNaming("port: 70000\n", "port");
  ExpectErrorNaming("cgroupDriver: magic\n", "cgroupDriver");
  ExpectErrorNaming("syncFrequency: 10 seconds\n", "syncFrequency");
  ExpectErrorNaming("containerLogMaxFiles: 1\n", "containerLogMaxFiles");
  ExpectErrorNaming("containerLogMaxSize: huge\n", "containerLogMaxSize");
  ExpectErrorNaming("imageGCLowThresholdPercent: 90\n", "imageGCLowThresholdPercent");
  ExpectErrorNaming("imageGCHighThresholdPercent: 101\n", "imageGCHighThresholdPercent");
  ExpectErrorNaming("clusterDNS: [not-an-ip]\n", "clusterDNS");
  ExpectErrorNaming("evictionHard: {memory.free: 1Gi}\n", "memory.free");
  ExpectErrorNaming("evictionHard: {memory.available: lots}\n", "memory.available");
  ExpectErrorNaming("featureGates: {A: yes-please}\n", "featureGates.A");
  ExpectErrorNaming("maxParallelImagePulls: 3\n", "maxParallelImagePulls");
  ExpectErrorNaming("seccompDefault: 1\n", "seccompDefault");
  auto wrong_kind = ParseKubeletConfiguration("apiVersion: v1\nkind: Pod\n");
  ASSERT_FALSE(wrong_kind);
  EXPECT_NE(wrong_kind.error().message().find("kind"), std::string::npos);
  auto bad_yaml = ParseKubeletConfiguration(std::string(kHeader) + "port: [\n");
  ASSERT_FALSE(bad_yaml);
  EXPECT_NE(bad_yaml.error().message().find("YAML"), std::string::npos);
}

TEST(KubeletConfigTest, GoDurations) {
  EXPECT_EQ(*ParseGoDuration("300ms"), std::chrono::milliseconds(300));
  EXPECT_EQ(*ParseGoDuration("1.5h"), std::chrono::minutes(90));
  EXPECT_EQ(*ParseGoDuration("2h45m"), std::chrono::minutes(165));
  EXPECT_EQ(*ParseGoDuration("0"), std::chrono::milliseconds(0));
  EXPECT_EQ(*ParseGoDuration("-1s"), std::chrono::milliseconds(-1000));
  for (const char* bad : {"", "1", "1x", "s", "1 s", "1.2.3s"}) {
    EXPECT_FALSE(ParseGoDuration(bad)) << bad;
  }
}

TEST(KubeletFlagsTest, FlagsOverrideTheFile) {
  KubeletFlags flags;
  flags.container_runtime_endpoint = "unix:///run/containerd/containerd.sock";
  flags.pod_manifest_path = "/tmp/m";
  auto c = ResolveConfiguration(flags);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->container_runtime_endpoint, "unix:///run/containerd/containerd.sock");
  EXPECT_EQ(c->static_pod_path, "/tmp/m");
  flags.config = "/nonexistent/kubelet.yaml";
  auto missing = ResolveConfiguration(flags);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("/nonexistent/kubelet.yaml"), std::string::npos);
  flags.hostname_override = "Node-A";
  EXPECT_EQ(NodeName(flags), "node-a");
}

TEST(KubeletFlagsTest, WithoutAConfigFileTheFlagDefaultsApply) {
  // Upstream's flag defaults (everything allowed, no token webhook), except that anonymous
  // access stays off: only authenticated clients reach the API.
  auto flags_only = ResolveConfiguration(KubeletFlags{});
  ASSERT_TRUE(flags_only) << flags_only.error().message();
  EXPECT_FALSE(flags_only->authentication_anonymous_enabled);
  EXPECT_EQ(flags_only->authorization_mode, "AlwaysAllow");
  EXPECT_FALSE(flags_only->authentication_webhook_enabled);
  // A config file's defaults are v1beta1's: no anonymous access, Webhook authorization.
  auto file = Parse("");
  ASSERT_TRUE(file);
  EXPECT_FALSE(file->authentication_anonymous_enabled);
  EXPECT_EQ(file->authorization_mode, "Webhook");
  EXPECT_TRUE(file->authentication_webhook_enabled);
}

}  // namespace
}  // namespace capstan::kubelet::config
