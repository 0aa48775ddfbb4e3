// The kubelet API over plain HTTP on a loopback port: endpoints, parameters, streaming and
// hostile requests.
#include "kubelet/server/http_server.h"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "api/k8s/json_reader.h"
#include "kubelet/server/router.h"
#include "kubelet/testing/fake_clock.h"
#include "tests/kubelet/server/fake_host.h"
#include "tests/kubelet/server/server_test_util.h"
#include "tests/kubelet/server/test_client.h"

namespace capstan::kubelet::server {
namespace {

using testing::AppendFile;
using testing::ClientOptions;
using testing::CriLine;
using testing::FakeHost;
using testing::Get;
using testing::TempDir;
using testing::TestPod;

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = dir_ / "app.log";
    AppendFile(log_, CriLine(1, "one") + CriLine(2, "two") + CriLine(3, "three"));
    host_.pods.push_back(TestPod("default", "web", "uid-1"));
    host_.logs["default/web/app"] = log_;
    host_.logs["default/web/app/previous"] = dir_.Write("prev.log", CriLine(0, "before"));
    api::k8s::Pod running;
    running.metadata = host_.pods[0].metadata;
    api::k8s::Container c;
    c.name = "app";
    c.image = "docker.io/library/busybox:1.36";
    running.spec.containers.push_back(c);
    host_.running.push_back(running);
  }

  // Serves `endpoints` without authentication.
  int Serve(Endpoints endpoints, HttpServerOptions o = {}) {
    RouterOptions ro;
    ro.endpoints = endpoints;
    ro.running_check_period = std::chrono::milliseconds(0);
    ro.clock = &clock_;
    router_ = std::make_unique<Router>(&host_, ro);
    o.address = "127.0.0.1";
    o.port = 0;
    o.follow_poll = std::chrono::milliseconds(20);
    auto s = HttpServer::Start(o, router_.get());
    EXPECT_TRUE(s) << s.error().message();
    server_ = std::move(*s);
    return server_->port();
  }

  std::string Url(const std::string& path) {
    return fmt::format("http://127.0.0.1:{}{}", server_->port(), path);
  }

  kubelet::testing::FakeClock clock_;  // 2026-01-01T00:00:00Z, the log lines' minute
  TempDir dir_;
  std::string log_;
  FakeHost host_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, HealthzPortServesOnlyHealthz) {
  Serve(Endpoints::kHealthzOnly);
  auto r = Get(Url("/healthz"));
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(Get(Url("/pods")).status, 404);
  EXPECT_EQ(Get(Url("/containerLogs/default/web/app")).status, 404);
}

TEST_F(HttpServerTest, ReadOnlyPortServesPodsButNotLogsOrRunningPods) {
  Serve(Endpoints::kReadOnly);
  EXPECT_EQ(Get(Url("/healthz")).body, "ok");
  auto r = Get(Url("/pods"));
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.content_type, "application/json");
  auto j = api::k8s::Json::parse(r.body);
  EXPECT_EQ(j["kind"], "PodList");
  EXPECT_EQ(j["apiVersion"], "v1");
  ASSERT_EQ(j["items"].size(), 1u);
  EXPECT_EQ(j["items"][0]["metadata"]["name"], "web");
  EXPECT_EQ(j["items"][0]["metadata"]["uid"], "uid-1");
  EXPECT_EQ(j["items"][0]["status"]["phase"], "Running");
  EXPECT_EQ(Get(Url("/pods/")).status, 200);
  EXPECT_EQ(Get(Url("/runningpods/")).status, 404);
  EXPECT_EQ(Get(Url("/containerLogs/default/web/app")).status, 404);
  EXPECT_TRUE(host_.Requests().empty());
}

TEST_F(HttpServerTest, RunningPodsListsWhatTheRuntimeRuns) {
  Serve(Endpoints::kAll);
  auto r = Get(Url("/runningpods/"));
  ASSERT_EQ(r.status, 200) << r.error;
  auto j = api::k8s::Json::parse(r.body);
  EXPECT_EQ(j["kind"], "PodList");
  ASSERT_EQ(j["items"].size(), 1u);
  EXPECT_EQ(j["items"][0]["metadata"]["namespace"], "default");
  EXPECT_EQ(j["items"][0]["spec"]["containers"][0]["name"], "app");
  EXPECT_EQ(j["items"][0]["spec"]["containers"][0]["image"], "docker.io/library/busybox:1.36");
  host_.running_error = Error(Code::kUnavailable, "runtime down");
  EXPECT_EQ(Get(Url("/runningpods")).status, 500);
}

TEST_F(HttpServerTest, StatsSummaryAndResourceMetrics) {
  Serve(Endpoints::kAll);
  EXPECT_EQ(Get(Url("/stats/summary")).status, 500);  // the host has none yet
  cadvisor::Summary summary;
  summary.node.node_name = "n1";
  summary.node.cpu = cadvisor::CpuStats{clock_.Now(), 5, 7'000'000'000};
  cadvisor::PodStats pod;
  pod.name = "web";
  pod.namespace_ = "default";
  pod.uid = "uid-1";
  pod.containers.push_back({.name = "app"});
  summary.pods.push_back(pod);
  host_.summary = summary;
  host_.summary_incomplete = true;

  auto r = Get(Url("/stats/summary"));
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.content_type, "application/json");
  auto j = api::k8s::Json::parse(r.body);
  EXPECT_EQ(j["node"]["nodeName"], "n1");
  EXPECT_EQ(j["pods"][0]["podRef"]["uid"], "uid-1");

  r = Get(Url("/metrics/resource"));
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("node_cpu_usage_seconds_total 7.000000000 "), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("resource_scrape_error 1\n"), std::string::npos) << r.body;
  EXPECT_EQ(Get(Url("/metrics/nope")).status, 404);

  r = Get(Url("/metrics/cadvisor"));
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_NE(r.body.find("container_cpu_usage_seconds_total{container=\"\",id=\"/\",namespace=\"\","
                        "pod=\"\"} 7.000000000 "),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("container_start_time_seconds{container=\"app\",namespace=\"default\","
                        "pod=\"web\"} "),
            std::string::npos)
      << r.body;
}

TEST_F(HttpServerTest, KubeletMetricsCountPodsAndTheProcess) {
  api::k8s::ContainerStatus running;
  running.name = "app";
  running.container_id = "capstan://1";
  running.state.running = api::k8s::ContainerStateRunning{};
  api::k8s::ContainerStatus exited = running;
  exited.name = "init";
  exited.state = {};
  exited.state.terminated = api::k8s::ContainerStateTerminated{};
  host_.pods[0].status.container_statuses = {running};
  host_.pods[0].status.init_container_statuses = {exited};
  Serve(Endpoints::kReadOnly);
  auto r = Get(Url("/metrics"));
  ASSERT_EQ(r.status, 200) << r.error;
  for (const char* line :
       {"kubelet_running_pods 1\n", "kubelet_running_containers{container_state=\"running\"} 1\n",
        "kubelet_running_containers{container_state=\"exited\"} 1\n",
        "kubelet_running_containers{container_state=\"created\"} 0\n"}) {
    EXPECT_NE(r.body.find(line), std::string::npos) << line << r.body;
  }
  // This test process's own figures.
  auto value = [&](const std::string& name) {
    auto at = r.body.find("\n" + name + " ");
    return at == std::string::npos ? -1.0 : std::stod(r.body.substr(at + name.size() + 2));
  };
  EXPECT_GT(value("process_resident_memory_bytes"), 1e6);
  EXPECT_GT(value("process_open_fds"), 2);
  EXPECT_GT(value("process_start_time_seconds"), 1.7e9);
}

TEST_F(HttpServerTest, ContainerLogsWithOptions) {
  Serve(Endpoints::kAll);
  auto r = Get(Url("/containerLogs/default/web/app"));
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "one\ntwo\nthree\n");
  EXPECT_EQ(Get(Url("/containerLogs/default/web/app?tailLines=2")).body, "two\nthree\n");
  EXPECT_EQ(Get(Url("/containerLogs/default/web/app?tail=1")).body, "three\n");
  EXPECT_EQ(Get(Url("/containerLogs/default/web/app?tail=all")).body, "one\ntwo\nthree\n");
  EXPECT_EQ(Get(Url("/containerLogs/default/web/app?limitBytes=6")).body, "one\ntw");
  EXPECT_EQ(Get(Url("/containerLogs/default/web/app?tailLines=1&timestamps=true")).body,
            "2026-01-01T00:00:03Z three\n");
  EXPECT_EQ(Get(Url("/containerLogs/default/web/app?sinceTime=2026-01-01T00%3A00%3A02Z")).body,
            "two\nthree\n");
  EXPECT_EQ(Get(Url("/containerLogs/default/web/app?previous=true")).body, "before\n");
  // sinceSeconds counts back from now (00:00:03): the lines of the last second.
  clock_.Advance(std::chrono::seconds(3));
  EXPECT_EQ(Get(Url("/containerLogs/default/web/app?sinceSeconds=1")).body, "two\nthree\n");
}

TEST_F(HttpServerTest, ContainerLogsRefusesBadParameters) {
  Serve(Endpoints::kAll);
  for (const char* q : {"tailLines=abc", "limitBytes=1x", "sinceTime=yesterday",
                        "sinceSeconds=", "tailLines=%zz"}) {
    EXPECT_EQ(Get(Url(std::string("/containerLogs/default/web/app?") + q)).status, 400) << q;
  }
  for (const char* q : {"tailLines=-1", "limitBytes=0", "sinceSeconds=0",
                        "sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z"}) {
    EXPECT_EQ(Get(Url(std::string("/containerLogs/default/web/app?") + q)).status, 422) << q;
  }
}

TEST_F(HttpServerTest, ContainerLogsUnknownPodOrContainerIs404) {
  Serve(Endpoints::kAll);
  auto r = Get(Url("/containerLogs/default/nope/app"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "pod \"nope\" does not exist");
  r = Get(Url("/containerLogs/default/web/sidecar"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "container \"sidecar\" not found in pod \"web\"");
  host_.logs.erase("default/web/app/previous");
  r = Get(Url("/containerLogs/default/web/app?previous=1"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("previous terminated container"), std::string::npos);
  // A log file the runtime named but that is gone.
  host_.logs["default/web/app"] = dir_ / "missing.log";
  EXPECT_EQ(Get(Url("/containerLogs/default/web/app")).status, 400);
}

TEST_F(HttpServerTest, NamesThatAreNotKubernetesNamesNeverReachTheHost) {
  Serve(Endpoints::kAll);
  for (const char* path :
       {"/containerLogs/default/..%2F..%2Fetc/passwd", "/containerLogs/..%2F../web/app",
        "/containerLogs/default/web/..", "/containerLogs/default/web%00/app",
        "/containerLogs/Default/web/app", "/containerLogs/default/web/a%2Fb"}) {
    EXPECT_EQ(Get(Url(path)).status, 404) << path;
  }
  EXPECT_TRUE(host_.Requests().empty());
  EXPECT_EQ(Get(Url("/containerLogs/default/web/app/extra")).status, 404);
  EXPECT_EQ(Get(Url("/containerLogs/default/web")).status, 404);
  EXPECT_EQ(Get(Url("/nothing-here")).status, 404);
  EXPECT_EQ(Get(Url("/containerLogs//web/app")).status, 404);
}

TEST_F(HttpServerTest, FollowStreamsUntilTheContainerExitsWithoutBlockingOthers) {
  Serve(Endpoints::kAll);
  std::mutex mu;
  std::string seen;
  ClientOptions o;
  o.on_data = [&](const std::string& piece) {
    std::lock_guard lock(mu);
    seen += piece;
    return true;
  };
  testing::ClientResponse result;
  std::thread follower([&] { result = Get(Url("/containerLogs/default/web/app?follow=true"), o); });
  auto saw = [&](const std::string& text) {
    return WaitFor([&] {
      std::lock_guard lock(mu);
      return seen.find(text) != std::string::npos;
    });
  };
  EXPECT_TRUE(saw("three\n"));
  // Other requests are served while the log streams.
  EXPECT_EQ(Get(Url("/healthz")).body, "ok");
  AppendFile(log_, CriLine(4, "four"));
  EXPECT_TRUE(saw("four\n"));
  // Rotation while following.
  std::filesystem::rename(log_, log_ + ".20260101-000000");
  AppendFile(log_, CriLine(5, "five"));
  EXPECT_TRUE(saw("five\n"));
  host_.running_flag = false;
  follower.join();
  EXPECT_EQ(result.status, 200) << result.error;
  EXPECT_EQ(result.body, "one\ntwo\nthree\nfour\nfive\n");
}

TEST_F(HttpServerTest, FollowEndsWhenTheClientGoesAway) {
  Serve(Endpoints::kAll);
  ClientOptions o;
  o.on_data = [](const std::string&) { return false; };  // hang up at the first data
  Get(Url("/containerLogs/default/web/app?follow=true"), o);
  EXPECT_TRUE(WaitFor([&] { return server_->connections() == 0; }));
  // Also when it goes away while nothing is written.
  o.on_data = nullptr;
  o.timeout = std::chrono::milliseconds(300);
  auto r = Get(Url("/containerLogs/default/web/app?follow=true&tailLines=0"), o);
  EXPECT_FALSE(r.error.empty());  // timed out: still streaming
  EXPECT_TRUE(WaitFor([&] { return server_->connections() == 0; }));
}

TEST_F(HttpServerTest, MethodsOtherThanGetAre405) {
  Serve(Endpoints::kAll);
  std::string resp = testing::RawExchange(
      server_->port(), "POST /pods HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
      std::chrono::milliseconds(1000));
  EXPECT_EQ(resp.substr(0, 12), "HTTP/1.1 405") << resp;
}

TEST_F(HttpServerTest, HostileRequests) {
  HttpServerOptions o;
  o.read_timeout = std::chrono::milliseconds(300);
  int port = Serve(Endpoints::kAll, o);
  std::string huge =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n";
  EXPECT_EQ(testing::RawExchange(port, huge).substr(0, 12), "HTTP/1.1 431");
  EXPECT_EQ(testing::RawExchange(port, "NOT HTTP AT ALL\r\n\r\n").substr(0, 12), "HTTP/1.1 400");
  EXPECT_EQ(testing::RawExchange(port, "GET healthz HTTP/1.1\r\nHost: x\r\n\r\n").substr(0, 12),
            "HTTP/1.1 400");
  // A client that connects and sends nothing is dropped after the read timeout.
  EXPECT_LT(testing::TimeUntilClosed(port, std::chrono::seconds(5)), std::chrono::seconds(3));
  // A client that sends half a request too.
  auto start = std::chrono::steady_clock::now();
  testing::RawExchange(port, "GET /healthz HTTP/1.1\r\nHost:", std::chrono::seconds(5));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  // Keep-alive: two pipelined requests, two answers.
  std::string two = testing::RawExchange(
      port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      std::chrono::milliseconds(1000));
  EXPECT_EQ(two.find("HTTP/1.1 200"), 0u) << two;
  EXPECT_NE(two.find("HTTP/1.1 200", 5), std::string::npos) << two;
  // The server still works.
  EXPECT_EQ(Get(Url("/healthz")).body, "ok");
}

TEST_F(HttpServerTest, StopClosesStreamsAndIsIdempotent) {
  Serve(Endpoints::kAll);
  std::thread follower([&] {
    ClientOptions o;
    o.timeout = std::chrono::seconds(10);
    Get(Url("/containerLogs/default/web/app?follow=true"), o);
  });
  EXPECT_TRUE(WaitFor([&] { return server_->connections() == 1; }));
  auto start = std::chrono::steady_clock::now();
  server_->Stop();
  server_->Stop();
  follower.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace capstan::kubelet::server
