// Bad requests get clear gRPC errors, and nothing already stored is lost.
#include "integration/cri/cri_test_env.h"

namespace capstan::integration {
namespace {

class BadInputTest : public CriTest {
 protected:
  void SetUp() override {
    CriTest::SetUp();
    if (IsSkipped()) {
      return;
    }
    image_ = PullBusybox();
    pod_id_ = RunPod("steady", &pod_);
    id_ = StartContainer(pod_id_, pod_, ContainerConfig("keep", image_, {"sleep", "1000"}));
  }
  void TearDown() override {
    if (IsSkipped()) {
      return;
    }
    // Whatever failed above, the existing pod and container are intact.
    EXPECT_EQ(Status(id_).state(), v1::CONTAINER_RUNNING);
    v1::ListPodSandboxResponse pods;
    ASSERT_TRUE(cri_->runtime().ListPodSandbox(Ctx().get(), {}, &pods).ok());
    EXPECT_EQ(pods.items_size(), 1);
  }
  grpc::Status Create(const v1::ContainerConfig& cfg, std::string pod_id = "") {
    v1::CreateContainerRequest req;
    req.set_pod_sandbox_id(pod_id.empty() ? pod_id_ : pod_id);
    *req.mutable_config() = cfg;
    *req.mutable_sandbox_config() = pod_;
    v1::CreateContainerResponse resp;
    return cri_->runtime().CreateContainer(Ctx().get(), req, &resp);
  }
  v1::PodSandboxConfig pod_;
  std::string pod_id_, id_;
};

TEST_F(BadInputTest, UnknownImage) {
  auto st = Create(ContainerConfig("x", "no-such-image:1.0", {"true"}));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND) << st.error_message();
  EXPECT_NE(st.error_message().find("no-such-image"), std::string::npos);

  v1::PullImageRequest pull;
  pull.mutable_image()->set_image(TestRegistry() + "/no-such-image:1.0");
  v1::PullImageResponse pulled;
  st = cri_->images().PullImage(Ctx().get(), pull, &pulled);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND) << st.error_message();
}

TEST_F(BadInputTest, BadMountSource) {
  auto cfg = ContainerConfig("m", image_, {"true"});
  auto* m = cfg.add_mounts();
  m->set_host_path("/nonexistent/capstan/source");
  m->set_container_path("/data");
  auto st = Create(cfg);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  EXPECT_NE(st.error_message().find("/nonexistent/capstan/source"), std::string::npos);
}

TEST_F(BadInputTest, UnknownIds) {
  v1::ContainerStatusRequest req;
  req.set_container_id("0123456789abcdef-does-not-exist");
  v1::ContainerStatusResponse resp;
  auto st = cri_->runtime().ContainerStatus(Ctx().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);

  v1::PodSandboxStatusRequest preq;
  preq.set_pod_sandbox_id("ffffffffffff");
  v1::PodSandboxStatusResponse presp;
  EXPECT_EQ(cri_->runtime().PodSandboxStatus(Ctx().get(), preq, &presp).error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::StartContainerRequest start;
  start.set_container_id("ffffffffffff");
  v1::StartContainerResponse started;
  EXPECT_EQ(cri_->runtime().StartContainer(Ctx().get(), start, &started).error_code(),
            grpc::StatusCode::NOT_FOUND);
  auto cst = Create(ContainerConfig("y", image_, {"true"}), "ffffffffffff");
  EXPECT_EQ(cst.error_code(), grpc::StatusCode::NOT_FOUND);

  // Removing what is not there is success (the CRI's deletes are idempotent).
  v1::RemoveContainerRequest rm;
  rm.set_container_id("ffffffffffff");
  v1::RemoveContainerResponse rmr;
  EXPECT_TRUE(cri_->runtime().RemoveContainer(Ctx().get(), rm, &rmr).ok());
}

TEST_F(BadInputTest, DuplicateNames) {
  auto st = Create(ContainerConfig("keep", image_, {"true"}));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ALREADY_EXISTS) << st.error_message();

  v1::RunPodSandboxRequest req;
  *req.mutable_config() = pod_;
  v1::RunPodSandboxResponse resp;
  st = cri_->runtime().RunPodSandbox(Ctx().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ALREADY_EXISTS) << st.error_message();
}

TEST_F(BadInputTest, MalformedRequests) {
  v1::RunPodSandboxRequest req;  // no metadata
  v1::RunPodSandboxResponse resp;
  auto st = cri_->runtime().RunPodSandbox(Ctx().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("metadata.name"), std::string::npos);

  v1::ContainerConfig no_name;
  no_name.mutable_image()->set_image(image_);
  st = Create(no_name);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  auto sysctl_pod = PodConfig("sysctl", *cri_);
  (*sysctl_pod.mutable_linux()->mutable_sysctls())["kernel.panic"] = "1";
  *req.mutable_config() = sysctl_pod;
  st = cri_->runtime().RunPodSandbox(Ctx().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("kernel.panic"), std::string::npos);

  auto caps = ContainerConfig("caps", image_, {"true"});
  caps.mutable_linux()->mutable_security_context()->mutable_capabilities()->add_add_capabilities(
      "CAP_NOT_A_THING");
  st = Create(caps);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("CAP_NOT_A_THING"), std::string::npos);
}

}  // namespace
}  // namespace capstan::integration
