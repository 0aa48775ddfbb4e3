// What a default (unprivileged) container must not be able to do.
#include "integration/cri/cri_test_env.h"

namespace capstan::integration {
namespace {

class SecurityTest : public CriTest {
 protected:
  void SetUp() override {
    CriTest::SetUp();
    if (IsSkipped()) {
      return;
    }
    std::string image = PullBusybox();
    v1::PodSandboxConfig pod;
    std::string pod_id = RunPod("jail", &pod);
    auto cfg = ContainerConfig("c", image, {"sleep", "1000"});
    // What the kubelet sends by default (seccompDefault): an unset profile is unconfined.
    cfg.mutable_linux()->mutable_security_context()->mutable_seccomp()->set_profile_type(
        v1::SecurityProfile::RuntimeDefault);
    id_ = StartContainer(pod_id, pod, cfg);
    ASSERT_FALSE(id_.empty());
  }
  std::string id_;
};

TEST_F(SecurityTest, SeesOnlyItsOwnProcesses) {
  auto out = Exec(id_, {"ps", "-o", "pid,comm"});
  // PID 1 is the container's sleep; the exec'd ps is the only other process.
  EXPECT_NE(out.stdout().find("    1 sleep"), std::string::npos) << out.stdout();
  EXPECT_EQ(out.stdout().find("capstan"), std::string::npos) << out.stdout();
  EXPECT_EQ(out.stdout().find("process_api"), std::string::npos) << out.stdout();
}

TEST_F(SecurityTest, CannotMount) {
  auto out = Exec(id_, {"/bin/sh", "-c", "mkdir -p /m && mount -t tmpfs none /m"});
  EXPECT_NE(out.exit_code(), 0);
  EXPECT_NE(out.stderr().find("denied"), std::string::npos) << out.stderr();
  auto mounts = Exec(id_, {"cat", "/proc/self/mounts"});
  EXPECT_EQ(mounts.stdout().find(" /m "), std::string::npos);
}

TEST_F(SecurityTest, CannotLoadAKernelModule) {
  // A file that is no module: if init_module were allowed the kernel would answer ENOEXEC.
  auto out =
      Exec(id_, {"/bin/sh", "-c", "echo garbage > /tmp/x.ko && insmod /tmp/x.ko; echo rc=$?"});
  EXPECT_NE(out.stdout().find("rc=1"), std::string::npos) << out.stdout() << out.stderr();
  EXPECT_NE(out.stderr().find("not permitted"), std::string::npos) << out.stderr();
}

TEST_F(SecurityTest, CannotReadKcore) {
  auto out = Exec(id_, {"/bin/sh", "-c", "cat /proc/kcore | wc -c"});
  EXPECT_EQ(out.stdout(), "0\n");
}

TEST_F(SecurityTest, RunsUnderSeccompWithTheDefaultCapabilities) {
  auto out =
      Exec(id_, {"/bin/sh", "-c", "grep -E '^(Seccomp|CapEff|NoNewPrivs):' /proc/self/status"});
  EXPECT_NE(out.stdout().find("Seccomp:\t2"), std::string::npos) << out.stdout();
  // containerd's default set: no CAP_SYS_ADMIN (bit 21), CAP_SYS_MODULE (16), CAP_NET_ADMIN (12).
  EXPECT_NE(out.stdout().find("CapEff:\t00000000a80425fb"), std::string::npos) << out.stdout();
}

TEST_F(SecurityTest, ProcSysIsReadOnly) {
  auto out = Exec(id_, {"/bin/sh", "-c", "echo 1 > /proc/sys/kernel/panic; echo rc=$?"});
  EXPECT_NE(out.stdout().find("rc=1"), std::string::npos) << out.stdout();
}

}  // namespace
}  // namespace capstan::integration
