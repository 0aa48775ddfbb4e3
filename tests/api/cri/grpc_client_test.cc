// The gRPC CRI client against an in-process server on a real unix socket, serving the fakes
// through capstan-cri's own adapters: calls round-trip, errors keep their codes, deadlines
// hold.
#include "api/cri/grpc_client.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "api/cri/testing/fake_image_service.h"
#include "api/cri/testing/fake_runtime_service.h"
#include "cri/server/grpc_services.h"

namespace capstan::api::cri {
namespace {

class GrpcClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-cri-client-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    endpoint_ = "unix://" + dir_ + "/cri.sock";
    runtime_grpc_ = capstan::cri::server::NewRuntimeGrpcService(&runtime_);
    image_grpc_ = capstan::cri::server::NewImageGrpcService(&images_);
    grpc::ServerBuilder builder;
    builder.AddListeningPort(endpoint_, grpc::InsecureServerCredentials());
    builder.RegisterService(runtime_grpc_.get());
    builder.RegisterService(image_grpc_.get());
    server_ = builder.BuildAndStart();
    ASSERT_TRUE(server_);
  }
  void TearDown() override {
    server_->Shutdown(std::chrono::system_clock::now());
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  std::string endpoint_;
  testing::FakeImageService images_;
  testing::FakeRuntimeService runtime_{nullptr, &images_};
  std::unique_ptr<::runtime::v1::RuntimeService::Service> runtime_grpc_;
  std::unique_ptr<::runtime::v1::ImageService::Service> image_grpc_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(GrpcClientTest, RoundTripsSandboxContainerAndImageCalls) {
  auto client = GrpcCriClient::Connect(endpoint_);
  ASSERT_TRUE(client) << client.error().message();
  auto version = (*client)->Version({});
  ASSERT_TRUE(version) << version.error().message();
  EXPECT_EQ(version->runtime_name(), "fake");

  v1::PullImageRequest pull;
  pull.mutable_image()->set_image("busybox");
  auto pulled = (*client)->PullImage(pull);
  ASSERT_TRUE(pulled) << pulled.error().message();
  EXPECT_EQ(images_.Pulled(), std::vector<std::string>{"busybox"});

  v1::RunPodSandboxRequest run;
  run.mutable_config()->mutable_metadata()->set_name("web");
  (*run.mutable_config()->mutable_labels())["io.kubernetes.pod.uid"] = "u1";
  auto sandbox = (*client)->RunPodSandbox(run);
  ASSERT_TRUE(sandbox) << sandbox.error().message();

  v1::CreateContainerRequest create;
  create.set_pod_sandbox_id(sandbox->pod_sandbox_id());
  create.mutable_config()->mutable_metadata()->set_name("app");
  create.mutable_config()->mutable_image()->set_image("busybox");
  auto created = (*client)->CreateContainer(create);
  ASSERT_TRUE(created) << created.error().message();
  v1::StartContainerRequest start;
  start.set_container_id(created->container_id());
  ASSERT_TRUE((*client)->StartContainer(start));

  v1::ListPodSandboxRequest list;
  (*list.mutable_filter()->mutable_label_selector())["io.kubernetes.pod.uid"] = "u1";
  auto listed = (*client)->ListPodSandbox(list);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->items_size(), 1);
  EXPECT_EQ(listed->items(0).metadata().name(), "web");

  v1::ContainerStatusRequest status;
  status.set_container_id(created->container_id());
  auto st = (*client)->ContainerStatus(status);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->status().state(), v1::CONTAINER_RUNNING);
  EXPECT_EQ(st->status().image_ref(), pulled->image_ref());
}

TEST_F(GrpcClientTest, ErrorsKeepTheirCodes) {
  auto client = GrpcCriClient::Connect(endpoint_);
  ASSERT_TRUE(client);
  v1::ContainerStatusRequest status;
  status.set_container_id("nope");
  auto st = (*client)->ContainerStatus(status);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Code::kNotFound);
  EXPECT_NE(st.error().message().find("ContainerStatus"), std::string::npos);

  runtime_.recorder().InjectError("RunPodSandbox", Error(Code::kResourceExhausted, "no more pods"));
  auto run = (*client)->RunPodSandbox({});
  ASSERT_FALSE(run);
  EXPECT_EQ(run.error().code(), Code::kResourceExhausted);
  EXPECT_NE(run.error().message().find("no more pods"), std::string::npos);

  // RPCs the runtime does not serve are Unimplemented, not a crash.
  auto cp = (*client)->CheckpointContainer({});
  ASSERT_FALSE(cp);
  EXPECT_EQ(cp.error().code(), Code::kUnimplemented);
}

TEST_F(GrpcClientTest, ExecSyncDeadlineIsTheCommandTimeoutPlusTheCallTimeout) {
  GrpcClientOptions opts;
  opts.timeout = std::chrono::milliseconds(50);
  auto client = GrpcCriClient::Connect(endpoint_, opts);
  ASSERT_TRUE(client);
  ASSERT_TRUE(runtime_.RunPodSandbox({}));
  v1::CreateContainerRequest create;
  create.set_pod_sandbox_id(runtime_.Sandboxes()[0].id);
  create.mutable_config()->mutable_image()->set_image("busybox");
  images_.AddImage("busybox");
  auto created = runtime_.CreateContainer(create);
  ASSERT_TRUE(created);
  v1::StartContainerRequest start;
  start.set_container_id(created->container_id());
  ASSERT_TRUE(runtime_.StartContainer(start));

  // A runtime that never answers: the client gives up at 1 s + 50 ms.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  runtime_.SetExecHandler([released](const v1::ExecSyncRequest&) -> Result<v1::ExecSyncResponse> {
    released.wait_for(std::chrono::seconds(10));
    return v1::ExecSyncResponse{};
  });
  v1::ExecSyncRequest exec;
  exec.set_container_id(created->container_id());
  exec.add_cmd("true");
  exec.set_timeout(1);
  auto begin = std::chrono::steady_clock::now();
  auto r = (*client)->ExecSync(exec);
  auto took = std::chrono::steady_clock::now() - begin;
  release.set_value();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kDeadlineExceeded);
  EXPECT_GE(took, std::chrono::milliseconds(1000));
  EXPECT_LT(took, std::chrono::seconds(5));
}

// Runs GetContainerEvents on a thread of its own and collects what arrives.
class EventStream {
 public:
  explicit EventStream(RuntimeService* client) {
    thread_ = std::thread([this, client] {
      result_ = client->GetContainerEvents(
          {},
          [this](const v1::ContainerEventResponse& ev) {
            std::lock_guard lock(mu_);
            events_.push_back(ev);
            return true;
          },
          cancel_, [this] { connected_ = true; });
      done_ = true;
    });
  }
  ~EventStream() {
    cancel_.Cancel();
    thread_.join();
  }
  template <typename Cond>
  static bool Eventually(Cond cond) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!cond() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return cond();
  }
  std::vector<v1::ContainerEventResponse> Events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  // Waits for the call to end and returns its result.
  ::capstan::Status Finish() {
    thread_.join();
    thread_ = std::thread([] {});
    return result_;
  }

  CancelToken cancel_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> done_{false};

 private:
  std::mutex mu_;
  std::vector<v1::ContainerEventResponse> events_;
  ::capstan::Status result_;
  std::thread thread_;
};

TEST_F(GrpcClientTest, ContainerEventsStreamUntilCancelled) {
  auto client = GrpcCriClient::Connect(endpoint_);
  ASSERT_TRUE(client);
  EventStream stream(client->get());
  // capstan's server says when it has subscribed the client, before any event.
  ASSERT_TRUE(EventStream::Eventually([&] { return stream.connected_.load(); }));
  EXPECT_EQ(runtime_.ContainerEventSubscribers(), 1);

  v1::RunPodSandboxRequest run;
  run.mutable_config()->mutable_metadata()->set_name("web");
  run.mutable_config()->mutable_metadata()->set_uid("u1");
  auto sandbox = (*client)->RunPodSandbox(run);
  ASSERT_TRUE(sandbox);
  ASSERT_TRUE(EventStream::Eventually([&] { return stream.Events().size() >= 2; }));
  auto events = stream.Events();
  EXPECT_EQ(events[0].container_id(), sandbox->pod_sandbox_id());
  EXPECT_EQ(events[0].container_event_type(), v1::CONTAINER_CREATED_EVENT);
  EXPECT_EQ(events[1].container_event_type(), v1::CONTAINER_STARTED_EVENT);
  EXPECT_EQ(events[1].pod_sandbox_status().metadata().uid(), "u1");
  EXPECT_EQ(events[1].pod_sandbox_status().state(), v1::SANDBOX_READY);
  EXPECT_GT(events[1].created_at(), 0);

  // Cancelling ends an idle stream promptly, and the server lets go of it.
  stream.cancel_.Cancel();
  EXPECT_TRUE(stream.Finish());
  EXPECT_TRUE(EventStream::Eventually([&] { return runtime_.ContainerEventSubscribers() == 0; }));
}

TEST_F(GrpcClientTest, ContainerEventsStreamErrorsKeepTheirCodes) {
  auto client = GrpcCriClient::Connect(endpoint_);
  ASSERT_TRUE(client);
  {
    EventStream stream(client->get());
    ASSERT_TRUE(EventStream::Eventually([&] { return stream.connected_.load(); }));
    runtime_.FailContainerEventStreams(Error(Code::kResourceExhausted, "fell behind"));
    auto st = stream.Finish();
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code(), Code::kResourceExhausted);
  }
  // An older runtime: Unimplemented, and never "connected".
  runtime_.recorder().InjectError("GetContainerEvents",
                                  Error(Code::kUnimplemented, "unknown method"));
  EventStream stream(client->get());
  auto st = stream.Finish();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Code::kUnimplemented);
  EXPECT_FALSE(stream.connected_.load());
}

TEST(GrpcClientEndpointTest, ValidatesEndpoints) {
  EXPECT_EQ(*ParseCriEndpoint("unix:///run/capstan/cri.sock"), "unix:///run/capstan/cri.sock");
  EXPECT_EQ(*ParseCriEndpoint("/run/containerd/containerd.sock"),
            "unix:///run/containerd/containerd.sock");
  EXPECT_EQ(ParseCriEndpoint("tcp://1.2.3.4:5").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseCriEndpoint("unix://relative.sock").error().code(), Code::kInvalidArgument);
}

TEST(GrpcClientEndpointTest, AbsentRuntimeIsUnavailable) {
  GrpcClientOptions opts;
  opts.timeout = std::chrono::seconds(2);
  auto client = GrpcCriClient::Connect("unix:///nonexistent/capstan/cri.sock", opts);
  ASSERT_TRUE(client);
  auto v = (*client)->Version({});
  ASSERT_FALSE(v);
  EXPECT_TRUE(v.error().code() == Code::kUnavailable || v.error().code() == Code::kDeadlineExceeded)
      << v.error().ToString();
}

TEST(GrpcCodeTest, MapsEveryCapstanCodeBack) {
  for (Code c :
       {Code::kOk, Code::kInvalidArgument, Code::kNotFound, Code::kAlreadyExists,
        Code::kFailedPrecondition, Code::kPermissionDenied, Code::kUnavailable,
        Code::kDeadlineExceeded, Code::kResourceExhausted, Code::kUnimplemented, Code::kInternal}) {
    EXPECT_EQ(FromGrpcCode(capstan::cri::server::ToGrpcCode(c)), c) << CodeName(c);
  }
}

}  // namespace
}  // namespace capstan::api::cri
