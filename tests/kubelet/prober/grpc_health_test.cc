// grpc probes against a real grpc.health.v1 server in this process: SERVING passes, every
// other answer, an unreachable port and a slow server do not.
#include "kubelet/prober/grpc_health.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <map>
#include <mutex>

#include "api/grpc/health/v1/health.grpc.pb.h"
#include "kubelet/prober/prober.h"
#include "tests/kubelet/test_pods.h"

namespace capstan::kubelet::prober {
namespace {

namespace health = ::grpc::health::v1;
using std::chrono::milliseconds;

class HealthService final : public health::Health::Service {
 public:
  grpc::Status Check(grpc::ServerContext* ctx, const health::HealthCheckRequest* req,
                     health::HealthCheckResponse* resp) override {
    std::lock_guard lock(mu_);
    services_seen.push_back(req->service());
    user_agent = "";
    for (const auto& [k, v] : ctx->client_metadata()) {
      if (k == "user-agent") {
        user_agent = std::string(v.data(), v.size());
      }
    }
    if (delay.count() > 0) {
      std::this_thread::sleep_for(delay);
    }
    auto it = statuses.find(req->service());
    if (it == statuses.end()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
    }
    resp->set_status(it->second);
    return grpc::Status::OK;
  }

  std::mutex mu_;
  std::map<std::string, health::HealthCheckResponse::ServingStatus> statuses;
  milliseconds delay{0};
  std::vector<std::string> services_seen;
  std::string user_agent;
};

class GrpcHealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_TRUE(server_);
    ASSERT_GT(port_, 0);
  }
  void TearDown() override { server_->Shutdown(std::chrono::system_clock::now()); }
  void Set(const std::string& service, health::HealthCheckResponse::ServingStatus st) {
    std::lock_guard lock(service_.mu_);
    service_.statuses[service] = st;
  }

  HealthService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  GrpcHealthClient client_;
};

TEST_F(GrpcHealthTest, ServingIsHealthyAndAnythingElseIsNot) {
  Set("", health::HealthCheckResponse::SERVING);
  Set("db", health::HealthCheckResponse::NOT_SERVING);
  Set("cache", health::HealthCheckResponse::UNKNOWN);
  auto r = client_.Check("127.0.0.1", port_, "", milliseconds(2000));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(*r);
  r = client_.Check("127.0.0.1", port_, "db", milliseconds(2000));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(*r);
  r = client_.Check("127.0.0.1", port_, "cache", milliseconds(2000));
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
  // A service the server does not know is an error answer.
  r = client_.Check("127.0.0.1", port_, "other", milliseconds(2000));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kNotFound);
  std::lock_guard lock(service_.mu_);
  EXPECT_EQ(service_.services_seen, (std::vector<std::string>{"", "db", "cache", "other"}));
  EXPECT_TRUE(service_.user_agent.starts_with("kube-probe/1.")) << service_.user_agent;
}

TEST_F(GrpcHealthTest, UnreachableAndSlowServersFail) {
  // A port nobody listens on: bound, never listened.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int closed_port = ntohs(addr.sin_port);
  auto r = client_.Check("127.0.0.1", closed_port, "", milliseconds(3000));
  ::close(fd);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().code() == Code::kUnavailable || r.error().code() == Code::kDeadlineExceeded)
      << r.error().ToString();

  Set("", health::HealthCheckResponse::SERVING);
  {
    std::lock_guard lock(service_.mu_);
    service_.delay = milliseconds(1000);
  }
  auto begin = std::chrono::steady_clock::now();
  r = client_.Check("127.0.0.1", port_, "", milliseconds(300));
  auto took = std::chrono::steady_clock::now() - begin;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kDeadlineExceeded) << r.error().ToString();
  EXPECT_LT(took, milliseconds(900));
}

TEST_F(GrpcHealthTest, ProberRunsGrpcProbesThroughTheClient) {
  Set("", health::HealthCheckResponse::SERVING);
  Set("ready", health::HealthCheckResponse::NOT_SERVING);
  ProberDeps deps;
  deps.grpc = &client_;
  Prober prober(deps);
  auto pod = testing::PodFromYaml(fmt::format(R"yaml(
apiVersion: v1
kind: Pod
metadata: {{name: p, uid: u1}}
spec:
  containers:
  - name: app
    image: busybox
    livenessProbe: {{grpc: {{port: {0}}}}}
    readinessProbe: {{grpc: {{port: {0}, service: ready}}}}
)yaml",
                                              port_));
  auto r = prober.Probe(ProbeType::kLiveness, pod, pod.spec.containers[0], "c1", "127.0.0.1");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, ProbeResult::kSuccess);
  r = prober.Probe(ProbeType::kReadiness, pod, pod.spec.containers[0], "c1", "127.0.0.1");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, ProbeResult::kFailure);
}

}  // namespace
}  // namespace capstan::kubelet::prober
