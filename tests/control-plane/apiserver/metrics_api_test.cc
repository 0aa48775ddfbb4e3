// metrics.k8s.io/v1beta1 as kubectl top reads it: discovery, NodeMetrics and PodMetrics from
// the MetricsStore, selectors over the Nodes' and Pods' labels, and errors.

#include <gtest/gtest.h>

#include "control-plane/apiserver/api_server.h"
#include "tests/control-plane/apiserver/registry_fixture.h"

namespace capstan::control_plane::apiserver {
namespace {

class Writer : public ResponseWriter {
 public:
  void Respond(int s, const std::string&, const std::string& b,
               const std::map<std::string, std::string>&) override {
    status = s;
    body = b;
  }
  bool StartStream(int, const std::string&) override { return false; }
  bool WriteChunk(std::string_view) override { return false; }
  void EndStream() override {}
  bool ClientGone() override { return false; }
  Json json() const { return Json::parse(body); }
  int status = 0;
  std::string body;
};

const WallTime kT0 = FromUnixNanos(1'767'225'600'000'000'000);

class MetricsApiTest : public RegistryFixture {
 protected:
  void SetUp() override {
    RegistryFixture::SetUp();
    authn_.Add(std::make_unique<ClientCertAuthenticator>());
    authz_.Add(std::make_unique<MastersAuthorizer>());
    ApiServerOptions options;
    options.metrics = &store_;
    api_ = std::make_unique<ApiServer>(options, &resources_, registry_.get(), &authn_, &authz_,
                                       nullptr, &real_clock_);
    api_->SetReady(true);
    ASSERT_TRUE(registry_->Create(Res("namespaces"), "", {{"metadata", {{"name", "app"}}}}, false));
    for (const char* n : {"node-a", "node-b"}) {
      Json node = {{"metadata", {{"name", n}, {"labels", {{"zone", n}}}}}};
      ASSERT_TRUE(registry_->Create(Res("nodes"), "", node, false));
    }
    for (const char* p : {"web", "db", "gone-soon"}) {
      Json pod = {{"metadata", {{"name", p}, {"labels", {{"app", p}}}}},
                  {"spec", {{"containers", {{{"name", "c"}, {"image", "x"}}}}}}};
      ASSERT_TRUE(registry_->Create(Res("pods"), "app", pod, false));
    }
    // node-a: 1.5 cores over 15 s; web and db measured, node-b scraped once only.
    std::string series = "container=\"c\",namespace=\"app\",pod=\"{}\"";
    auto scrape = [&](double node_cpu, double web_cpu, WallTime at) {
      int64_t ms = UnixNanos(at) / 1'000'000;
      std::string text = fmt::format(
          "node_cpu_usage_seconds_total {0} {1}\nnode_memory_working_set_bytes 2147483648 {1}\n",
          node_cpu, ms);
      for (const char* pod : {"web", "db"}) {
        std::string l = fmt::format(fmt::runtime(series), pod);
        text += fmt::format(
            "container_cpu_usage_seconds_total{{{0}}} {1} {2}\n"
            "container_memory_working_set_bytes{{{0}}} 104857600 {2}\n"
            "container_start_time_seconds{{{0}}} 1767000000 {2}\n",
            l, web_cpu, ms);
      }
      return metrics::ScrapeFromSamples(metrics::ParsePrometheusText(text), at);
    };
    store_.Store("node-a", scrape(100, 10, kT0));
    store_.Store("node-a", scrape(122.5, 10.25, kT0 + std::chrono::seconds(15)));
    store_.Store("node-b", scrape(1, 1, kT0));
  }
  void TearDown() override {
    api_.reset();
    RegistryFixture::TearDown();
  }
  Writer Request(const std::string& method, const std::string& target) {
    HttpRequest req;
    req.method = method;
    req.target = target;
    req.client_certificate = ClientCertificate{"admin", {"system:masters"}};
    Writer w;
    api_->Serve(req, w);
    return w;
  }

  metrics::MetricsStore store_;
  UnionAuthenticator authn_;
  UnionAuthorizer authz_;
  std::unique_ptr<ApiServer> api_;
};

TEST_F(MetricsApiTest, DiscoveryListsTheGroup) {
  auto w = Request("GET", "/apis/metrics.k8s.io/v1beta1");
  ASSERT_EQ(w.status, 200) << w.body;
  std::set<std::string> kinds;
  Json doc = w.json();
  for (const auto& r : doc["resources"]) kinds.insert(r["kind"].get<std::string>());
  EXPECT_EQ(kinds, (std::set<std::string>{"NodeMetrics", "PodMetrics"}));
  w = Request("GET", "/apis");
  EXPECT_NE(w.body.find("metrics.k8s.io"), std::string::npos);
}

TEST_F(MetricsApiTest, NodeMetricsAsMetricsServerServesThem) {
  auto w = Request("GET", "/apis/metrics.k8s.io/v1beta1/nodes");
  ASSERT_EQ(w.status, 200) << w.body;
  auto list = w.json();
  EXPECT_EQ(list["kind"], "NodeMetricsList");
  ASSERT_EQ(list["items"].size(), 1u);  // node-b has one scrape: no rate yet
  const auto& item = list["items"][0];
  EXPECT_EQ(item["metadata"]["name"], "node-a");
  EXPECT_EQ(item["metadata"]["labels"]["zone"], "node-a");
  EXPECT_EQ(item["usage"]["cpu"], "1500000000n");
  EXPECT_EQ(item["usage"]["memory"], "2Gi");
  EXPECT_EQ(item["window"], "15s");
  EXPECT_EQ(item["timestamp"], "2026-01-01T00:00:15Z");

  w = Request("GET", "/apis/metrics.k8s.io/v1beta1/nodes/node-a");
  ASSERT_EQ(w.status, 200) << w.body;
  EXPECT_EQ(w.json()["kind"], "NodeMetrics");
  EXPECT_EQ(Request("GET", "/apis/metrics.k8s.io/v1beta1/nodes/node-b").status, 404);
  EXPECT_EQ(Request("GET", "/apis/metrics.k8s.io/v1beta1/nodes/nope").status, 404);
  w = Request("GET", "/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=zone%3Dnode-b");
  EXPECT_TRUE(w.json()["items"].empty());
}

TEST_F(MetricsApiTest, PodMetricsWithSelectors) {
  auto w = Request("GET", "/apis/metrics.k8s.io/v1beta1/namespaces/app/pods");
  ASSERT_EQ(w.status, 200) << w.body;
  auto list = w.json();
  EXPECT_EQ(list["kind"], "PodMetricsList");
  ASSERT_EQ(list["items"].size(), 2u);
  EXPECT_EQ(list["items"][0]["metadata"]["name"], "db");
  const auto& web = list["items"][1];
  EXPECT_EQ(web["metadata"]["namespace"], "app");
  EXPECT_EQ(web["metadata"]["labels"]["app"], "web");
  EXPECT_EQ(web["containers"][0]["name"], "c");
  EXPECT_EQ(web["containers"][0]["usage"]["cpu"], "16666667n");
  EXPECT_EQ(web["containers"][0]["usage"]["memory"], "100Mi");

  w = Request("GET", "/apis/metrics.k8s.io/v1beta1/namespaces/app/pods?labelSelector=app%3Dweb");
  ASSERT_EQ(w.json()["items"].size(), 1u);
  EXPECT_EQ(Request("GET", "/apis/metrics.k8s.io/v1beta1/pods").json()["items"].size(), 2u);
  EXPECT_TRUE(Request("GET", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods")
                  .json()["items"]
                  .empty());
  EXPECT_EQ(Request("GET", "/apis/metrics.k8s.io/v1beta1/namespaces/app/pods/web").status, 200);
  // A pod with no metrics, and one that does not exist.
  EXPECT_EQ(Request("GET", "/apis/metrics.k8s.io/v1beta1/namespaces/app/pods/gone-soon").status,
            404);
  EXPECT_EQ(Request("GET", "/apis/metrics.k8s.io/v1beta1/namespaces/app/pods/nope").status, 404);
}

TEST_F(MetricsApiTest, MetricsAreReadOnly) {
  EXPECT_EQ(Request("POST", "/apis/metrics.k8s.io/v1beta1/namespaces/app/pods").status, 405);
  EXPECT_EQ(Request("DELETE", "/apis/metrics.k8s.io/v1beta1/nodes/node-a").status, 405);
}

}  // namespace
}  // namespace capstan::control_plane::apiserver
