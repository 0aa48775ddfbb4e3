// The shared CRI fake behaves like a runtime where kubelet tests depend on it.
#include "api/cri/testing/fake_runtime_service.h"

#include <gtest/gtest.h>

#include "api/cri/testing/fake_image_service.h"

namespace capstan::api::cri::testing {
namespace {

class FakeRuntimeTest : public ::testing::Test {
 protected:
  std::string RunSandbox(const std::string& uid) {
    v1::RunPodSandboxRequest req;
    req.mutable_config()->mutable_metadata()->set_uid(uid);
    req.mutable_config()->set_log_directory("/logs/" + uid);
    (*req.mutable_config()->mutable_labels())["uid"] = uid;
    return runtime_.RunPodSandbox(req)->pod_sandbox_id();
  }
  std::string StartContainer(const std::string& sandbox, const std::string& name) {
    v1::CreateContainerRequest req;
    req.set_pod_sandbox_id(sandbox);
    req.mutable_config()->mutable_metadata()->set_name(name);
    req.mutable_config()->mutable_image()->set_image("busybox");
    req.mutable_config()->set_log_path(name + "/0.log");
    auto id = runtime_.CreateContainer(req)->container_id();
    v1::StartContainerRequest start;
    start.set_container_id(id);
    EXPECT_TRUE(runtime_.StartContainer(start));
    return id;
  }

  FakeImageService images_;
  FakeRuntimeService runtime_{nullptr, &images_};
};

TEST_F(FakeRuntimeTest, ContainersRunUntilTheTestMakesThemExit) {
  images_.AddImage("busybox");
  std::string sb = RunSandbox("u1");
  std::string id = StartContainer(sb, "app");
  EXPECT_EQ(runtime_.FindContainer(id)->state, v1::CONTAINER_RUNNING);
  EXPECT_EQ(runtime_.FindContainer(id)->log_path, "/logs/u1/app/0.log");
  ASSERT_TRUE(runtime_.ExitContainer(id, 3));
  v1::ContainerStatusRequest req;
  req.set_container_id(id);
  auto st = runtime_.ContainerStatus(req);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->status().state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(st->status().exit_code(), 3);
  EXPECT_EQ(st->status().reason(), "Error");
  EXPECT_FALSE(runtime_.ExitContainer(id, 0));  // only running containers exit
}

TEST_F(FakeRuntimeTest, CreateNeedsThePulledImageAndAReadySandbox) {
  std::string sb = RunSandbox("u1");
  v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(sb);
  req.mutable_config()->mutable_image()->set_image("busybox");
  EXPECT_EQ(runtime_.CreateContainer(req).error().code(), Code::kNotFound);
  images_.AddImage("busybox:latest");
  ASSERT_TRUE(runtime_.CreateContainer(req));
  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(sb);
  ASSERT_TRUE(runtime_.StopPodSandbox(stop));
  req.mutable_config()->mutable_metadata()->set_attempt(1);
  EXPECT_EQ(runtime_.CreateContainer(req).error().code(), Code::kFailedPrecondition);
}

TEST_F(FakeRuntimeTest, StopSandboxStopsItsContainersAndRemoveRemovesThem) {
  images_.AddImage("busybox");
  std::string sb = RunSandbox("u1");
  std::string id = StartContainer(sb, "app");
  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(sb);
  ASSERT_TRUE(runtime_.StopPodSandbox(stop));
  EXPECT_EQ(runtime_.FindContainer(id)->state, v1::CONTAINER_EXITED);
  EXPECT_EQ(runtime_.FindContainer(id)->exit_code, 137);
  v1::RemovePodSandboxRequest rm;
  rm.set_pod_sandbox_id(sb);
  ASSERT_TRUE(runtime_.RemovePodSandbox(rm));
  EXPECT_TRUE(runtime_.Containers().empty());
  EXPECT_TRUE(runtime_.Sandboxes().empty());
  // Idempotent on the way down.
  EXPECT_TRUE(runtime_.StopPodSandbox(stop));
  EXPECT_TRUE(runtime_.RemovePodSandbox(rm));
}

TEST_F(FakeRuntimeTest, ListsFilterByLabelsAndRecordsCallsAndInjectsErrors) {
  images_.AddImage("busybox");
  RunSandbox("u1");
  RunSandbox("u2");
  v1::ListPodSandboxRequest list;
  (*list.mutable_filter()->mutable_label_selector())["uid"] = "u2";
  auto l = runtime_.ListPodSandbox(list);
  ASSERT_TRUE(l);
  ASSERT_EQ(l->items_size(), 1);
  EXPECT_EQ(l->items(0).metadata().uid(), "u2");

  runtime_.recorder().InjectError("ListPodSandbox", Error(Code::kUnavailable, "down"), 2);
  EXPECT_FALSE(runtime_.ListPodSandbox({}));
  EXPECT_FALSE(runtime_.ListPodSandbox({}));
  EXPECT_TRUE(runtime_.ListPodSandbox({}));
  EXPECT_EQ(runtime_.recorder().CallCount("ListPodSandbox"), 4);
  EXPECT_EQ(runtime_.recorder().CallCount("RunPodSandbox"), 2);
}

TEST_F(FakeRuntimeTest, ExecSyncIsScripted) {
  images_.AddImage("busybox");
  std::string id = StartContainer(RunSandbox("u1"), "app");
  runtime_.SetExecHandler([](const v1::ExecSyncRequest& r) -> Result<v1::ExecSyncResponse> {
    v1::ExecSyncResponse resp;
    resp.set_exit_code(r.cmd(0) == "false" ? 1 : 0);
    resp.set_stdout("out");
    return resp;
  });
  v1::ExecSyncRequest req;
  req.set_container_id(id);
  req.add_cmd("false");
  EXPECT_EQ(runtime_.ExecSync(req)->exit_code(), 1);
  ASSERT_TRUE(runtime_.ExitContainer(id, 0));
  EXPECT_EQ(runtime_.ExecSync(req).error().code(), Code::kFailedPrecondition);
}

}  // namespace
}  // namespace capstan::api::cri::testing
