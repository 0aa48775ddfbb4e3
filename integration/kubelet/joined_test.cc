// capstan-kubelet as a node of a cluster, over capstan-cri and over Debian's containerd: it
// joins capstan-server with a bootstrap token (CSR API), registers its Node, runs a
// two-container pod the API binds to it, reports its status, and stops and deletes it when
// the pod is deleted. The kubelet depends on the API and CRI only, so both runtimes give the
// same pod.
#include <fstream>

#include "api/k8s/bootstrap_token.h"
#include "api/k8s/client/rest_api_client.h"
#include "common/pki/kubeconfig.h"
#include "control-plane/apiserver/server.h"
#include "integration/kubelet/kubelet_node.h"

namespace capstan::integration::kubelet {
namespace {

namespace res = api::k8s::client::resources;
using api::k8s::client::Json;

class JoinedKubelet : public KubeletTest, public ::testing::WithParamInterface<RuntimeKind> {
 protected:
  RuntimeKind Runtime() const override { return GetParam(); }
  std::vector<std::string> ExtraKubeletArgs() const override {
    return {"--kubeconfig", dir_ + "/kubelet/kubelet.kubeconfig", "--bootstrap-kubeconfig",
            dir_ + "/bootstrap.kubeconfig"};
  }
  void BeforeKubelet() override {
    control_plane::apiserver::ServerOptions options;
    options.data_dir = dir_ + "/server";
    options.bind_address = "127.0.0.1";
    options.port = 0;
    auto server = control_plane::apiserver::Server::Start(options);
    ASSERT_TRUE(server) << server.error().message();
    server_ = std::move(*server);
    auto admin = api::k8s::client::RestApiClient::FromKubeconfig(server_->kubeconfig_path());
    ASSERT_TRUE(admin) << admin.error().message();
    admin_ = std::move(*admin);
    // A join token, as `capstan token create` makes one.
    auto token = api::k8s::GenerateBootstrapToken();
    ASSERT_TRUE(admin_->Create(
        res::kSecrets, "kube-system",
        api::k8s::BootstrapTokenSecret(token, WallNow() + std::chrono::hours(1), "joined_test")));
    auto kubeconfig = pki::ReadKubeconfig(server_->kubeconfig_path());
    ASSERT_TRUE(kubeconfig);
    pki::KubeconfigSpec bootstrap;
    bootstrap.server = kubeconfig->server;
    bootstrap.ca_pem = kubeconfig->ca_pem;
    bootstrap.user_name = "kubelet-bootstrap";
    bootstrap.token = token.Text();
    ASSERT_TRUE(pki::WriteKubeconfig(dir_ + "/bootstrap.kubeconfig", bootstrap));
  }
  void TearDown() override {
    KubeletTest::TearDown();  // the kubelet first: it talks to the server
    admin_.reset();
    if (server_) server_->Stop();
  }
  Json ApiPod(const std::string& name) {
    auto pod = admin_->Get(res::kPods, "default", name);
    return pod ? *pod : Json();
  }

  std::unique_ptr<control_plane::apiserver::Server> server_;
  std::unique_ptr<api::k8s::client::RestApiClient> admin_;
};

TEST_P(JoinedKubelet, TwoContainerPodFromTheApi) {
  // Registered, Ready, and reporting its runtime.
  Json node;
  ASSERT_TRUE(Eventually(
      [&] {
        auto n = admin_->Get(res::kNodes, "", kNodeName);
        if (!n) return false;
        node = *n;
        for (const auto& c : node["status"].value("conditions", Json::array())) {
          if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
        }
        return false;
      },
      60))
      << KubeletLog();
  std::string runtime_version = node["status"]["nodeInfo"].value("containerRuntimeVersion", "");
  EXPECT_EQ(
      runtime_version.rfind(Runtime() == RuntimeKind::kCapstan ? "capstan://" : "containerd://", 0),
      0u)
      << runtime_version;

  Json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "two"}, {"namespace", "default"}}},
              {"spec",
               {{"nodeName", kNodeName},
                {"terminationGracePeriodSeconds", 2},
                {"containers",
                 {{{"name", "a"},
                   {"image", Image()},
                   {"command", {"sh", "-c", "echo a-up; exec sleep 3600"}}},
                  {{"name", "b"},
                   {"image", Image()},
                   {"command", {"sh", "-c", "echo b-up; exec sleep 3600"}}}}}}}};
  ASSERT_TRUE(admin_->Create(res::kPods, "default", pod));
  ASSERT_TRUE(Eventually(
      [&] {
        Json p = ApiPod("two");
        if (p.is_null() || p["status"].value("phase", "") != "Running") return false;
        int ready = 0;
        for (const auto& c : p["status"].value("containerStatuses", Json::array())) {
          ready += c.value("ready", false) ? 1 : 0;
        }
        return ready == 2;
      },
      90))
      << ApiPod("two").dump(2) << KubeletLog();
  Json running = ApiPod("two");
  EXPECT_FALSE(running["status"].value("podIP", "").empty());
  EXPECT_EQ(Running("two").size(), 2u);
  // The service-account volume every API pod gets, mounted from the kubelet's volume dir.
  auto a = Latest("two", "a");
  ASSERT_TRUE(a);
  EXPECT_EQ(Exec(a->id(), {"cat", "/var/run/secrets/kubernetes.io/serviceaccount/namespace"}),
            "default");

  // Deleted: stopped within its grace period, then the kubelet deletes the object.
  ASSERT_TRUE(admin_->Delete(res::kPods, "default", "two", -1));
  EXPECT_TRUE(Eventually([&] { return ApiPod("two").is_null(); }, 30)) << ApiPod("two").dump(2);
  EXPECT_TRUE(Eventually([&] { return Running("two").empty(); }, 10));
}

INSTANTIATE_TEST_SUITE_P(Runtimes, JoinedKubelet,
                         ::testing::Values(RuntimeKind::kCapstan, RuntimeKind::kContainerd),
                         [](const auto& info) { return RuntimeName(info.param); });

}  // namespace
}  // namespace capstan::integration::kubelet
