// Security-context and mount requests from the CRI, as critest exercises them.
#include <sys/mount.h>

#include <filesystem>
#include <fstream>

#include "integration/cri/cri_test_env.h"

namespace capstan::integration {
namespace {

using SecurityContextTest = CriTest;

v1::PodSandboxConfig PrivilegedPod(const std::string& name, const CriDaemon& d) {
  auto pod = PodConfig(name, d);
  pod.mutable_linux()->mutable_security_context()->set_privileged(true);
  return pod;
}

TEST_F(SecurityContextTest, PrivilegedAndAllCapabilitiesStartWhereTheNodeLacksSome) {
  std::string image = PullBusybox();
  auto pod = PrivilegedPod("priv", *cri_);
  std::string pod_id = RunPod(pod);
  auto priv = ContainerConfig("priv", image, {"sleep", "1000"});
  priv.mutable_linux()->mutable_security_context()->set_privileged(true);
  std::string a = StartContainer(pod_id, pod, priv);
  ASSERT_EQ(Status(a).state(), v1::CONTAINER_RUNNING);
  // A privileged container may mount.
  EXPECT_EQ(Exec(a, {"/bin/sh", "-c", "mkdir -p /m && mount -t tmpfs none /m"}).exit_code(), 0);

  auto all = ContainerConfig("all", image, {"sleep", "1000"});
  all.mutable_linux()->mutable_security_context()->mutable_capabilities()->add_add_capabilities(
      "ALL");
  std::string b = StartContainer(pod_id, pod, all);
  ASSERT_EQ(Status(b).state(), v1::CONTAINER_RUNNING);
  auto caps = Exec(b, {"grep", "CapEff", "/proc/self/status"});
  auto mine = std::ifstream("/proc/self/status");
  std::string line, host_caps;
  while (std::getline(mine, line)) {
    if (line.rfind("CapBnd:", 0) == 0) {
      host_caps = line.substr(7);
    }
  }
  // ALL is everything this node can grant.
  EXPECT_NE(caps.stdout().find(host_caps.substr(host_caps.find_first_not_of("\t "))),
            std::string::npos)
      << caps.stdout() << " vs " << host_caps;
}

TEST_F(SecurityContextTest, LocalhostSeccompProfileIsReadAtCreate) {
  std::string image = PullBusybox();
  v1::PodSandboxConfig pod;
  std::string pod_id = RunPod("seccomp", &pod);
  std::string profile = cri_->dir() + "/block-chmod.json";
  std::ofstream(profile) << R"({"defaultAction":"SCMP_ACT_ALLOW",
      "syscalls":[{"names":["chmod","fchmodat","fchmodat2"],"action":"SCMP_ACT_ERRNO"}]})";
  auto cfg = ContainerConfig("c", image, {"sleep", "1000"});
  auto* sp = cfg.mutable_linux()->mutable_security_context()->mutable_seccomp();
  sp->set_profile_type(v1::SecurityProfile::Localhost);
  sp->set_localhost_ref(profile);
  std::string id = StartContainer(pod_id, pod, cfg);
  ASSERT_EQ(Status(id).state(), v1::CONTAINER_RUNNING);
  auto out = Exec(id, {"/bin/sh", "-c", "touch /tmp/f; chmod 600 /tmp/f; echo rc=$?"});
  EXPECT_NE(out.stdout().find("rc=1"), std::string::npos) << out.stdout() << out.stderr();
}

TEST_F(SecurityContextTest, RunAsGroupWithoutUserIsRefused) {
  std::string image = PullBusybox();
  v1::PodSandboxConfig pod;
  std::string pod_id = RunPod("group", &pod);
  auto cfg = ContainerConfig("c", image, {"true"});
  cfg.mutable_linux()->mutable_security_context()->mutable_run_as_group()->set_value(1000);
  v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod_id);
  *req.mutable_config() = cfg;
  v1::CreateContainerResponse resp;
  auto st = cri_->runtime().CreateContainer(Ctx().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(SecurityContextTest, RunsAsTheRequestedUserAndGroups) {
  std::string image = PullBusybox();
  v1::PodSandboxConfig pod;
  std::string pod_id = RunPod("users", &pod);
  auto cfg = ContainerConfig("c", image, {"sleep", "1000"});
  auto* sc = cfg.mutable_linux()->mutable_security_context();
  sc->set_run_as_username("app");  // uid 1000 in the test image's /etc/passwd
  sc->add_supplemental_groups(4242);
  std::string id = StartContainer(pod_id, pod, cfg);
  auto out = Exec(id, {"id"});
  EXPECT_NE(out.stdout().find("uid=1000(app) gid=1000(app)"), std::string::npos) << out.stdout();
  EXPECT_NE(out.stdout().find("4242"), std::string::npos) << out.stdout();
}

// Host-to-container and container-to-host propagation of a Bidirectional mount, as critest
// checks it: the host's mount point is a shared bind mount.
TEST_F(SecurityContextTest, BidirectionalMountPropagatesBothWays) {
  std::string image = PullBusybox();
  std::string src = cri_->dir() + "/shared";
  std::filesystem::create_directories(src + "/from-host");
  std::filesystem::create_directories(cri_->dir() + "/host-dir");
  std::ofstream(cri_->dir() + "/host-dir/flag") << "x";
  ASSERT_EQ(::mount(src.c_str(), src.c_str(), nullptr, MS_BIND | MS_REC, nullptr), 0);
  ASSERT_EQ(::mount("", src.c_str(), nullptr, MS_SHARED | MS_REC, nullptr), 0);

  auto pod = PrivilegedPod("prop", *cri_);
  std::string pod_id = RunPod(pod);
  auto cfg = ContainerConfig("c", image, {"sleep", "1000"});
  cfg.mutable_linux()->mutable_security_context()->set_privileged(true);
  auto* m = cfg.add_mounts();
  m->set_host_path(src);
  m->set_container_path("/shared");
  m->set_propagation(v1::PROPAGATION_BIDIRECTIONAL);
  std::string id = StartContainer(pod_id, pod, cfg);
  ASSERT_EQ(Status(id).state(), v1::CONTAINER_RUNNING);

  // Host -> container.
  std::string host_mount = src + "/from-host";
  ASSERT_EQ(
      ::mount((cri_->dir() + "/host-dir").c_str(), host_mount.c_str(), nullptr, MS_BIND, nullptr),
      0);
  EXPECT_EQ(Exec(id, {"ls", "/shared/from-host"}).stdout(), "flag\n");
  // Container -> host.
  EXPECT_EQ(Exec(id, {"/bin/sh", "-c",
                      "mkdir -p /shared/from-ctr && mount -t tmpfs t "
                      "/shared/from-ctr && touch /shared/from-ctr/made-inside"})
                .exit_code(),
            0);
  EXPECT_TRUE(std::filesystem::exists(src + "/from-ctr/made-inside"));
  // The CriDaemon's destructor unmounts everything under its directory.
}

}  // namespace
}  // namespace capstan::integration
