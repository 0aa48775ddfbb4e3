// capstan-cri killed with SIGKILL while containers run: a restart finds them as they are.
#include <sys/stat.h>

#include "integration/cri/cri_test_env.h"

namespace capstan::integration {
namespace {

using RecoveryTest = CriTest;

TEST_F(RecoveryTest, Kill9WhileRunningThenRestart) {
  std::string image = PullBusybox();
  v1::PodSandboxConfig pod;
  std::string pod_id = RunPod("survivor", &pod);
  std::string id = StartContainer(
      pod_id, pod,
      ContainerConfig("ticker", image,
                      {"/bin/sh", "-c", "while true; do echo tick; sleep 0.05; done"}));
  std::string log = pod.log_directory() + "/ticker.log";
  ASSERT_TRUE(WaitFor([&] { return ReadLog(log).find("tick") != std::string::npos; }));

  cri_->Kill9();
  size_t before = ReadLog(log).size();
  ASSERT_TRUE(WaitFor([&] { return ReadLog(log).size() > before; }))
      << "the container stopped logging when capstan-cri died";
  ASSERT_TRUE(cri_->Start());

  EXPECT_EQ(Status(id).state(), v1::CONTAINER_RUNNING);
  size_t after_restart = ReadLog(log).size();
  ASSERT_TRUE(WaitFor([&] { return ReadLog(log).size() > after_restart; }));
  EXPECT_EQ(Exec(id, {"echo", "still here"}).stdout(), "still here\n");

  // And the restarted daemon still controls it.
  v1::StopContainerRequest stop;
  stop.set_container_id(id);
  stop.set_timeout(0);
  v1::StopContainerResponse stopped;
  ASSERT_TRUE(cri_->runtime().StopContainer(Ctx().get(), stop, &stopped).ok());
  EXPECT_EQ(Status(id).state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(Status(id).exit_code(), 137);
}

TEST_F(RecoveryTest, ExitWhileDaemonDownIsRecordedAtRestart) {
  std::string image = PullBusybox();
  v1::PodSandboxConfig pod;
  std::string pod_id = RunPod("brief", &pod);
  std::string id = StartContainer(
      pod_id, pod, ContainerConfig("c", image, {"/bin/sh", "-c", "sleep 0.5; exit 3"}));
  cri_->Kill9();
  ASSERT_TRUE(WaitFor([&] {
    struct stat st;
    return ::stat((cri_->state() + "/containers/" + id + "/exit.json").c_str(), &st) == 0;
  }));
  ASSERT_TRUE(cri_->Start());
  auto st = Status(id);
  EXPECT_EQ(st.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(st.exit_code(), 3);
  EXPECT_EQ(st.reason(), "Error");
}

}  // namespace
}  // namespace capstan::integration
