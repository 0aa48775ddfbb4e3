#include "integration/cri/cri_test_env.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "integration/fixtures/registry_fixture.h"

namespace capstan::integration {

namespace {
// One registry per test binary, started by the first test that needs it and stopped at exit
// (its watcher also stops it if the binary crashes).
std::unique_ptr<RegistryFixture>& Registry() {
  static std::unique_ptr<RegistryFixture> registry;
  return registry;
}
}  // namespace

const std::string& TestRegistry() {
  static std::string host = [] {
    auto r = RegistryFixture::Start();
    if (!r) {
      ADD_FAILURE() << "local registry: " << r.error().ToString();
      return std::string("127.0.0.1:1");
    }
    Registry() = std::move(*r);
    std::atexit([] { Registry().reset(); });
    return Registry()->host();
  }();
  return host;
}

RegistryFixture* TestRegistryFixture() {
  (void)TestRegistry();
  return Registry().get();
}

void CriTest::SetUp() {
  CAPSTAN_REQUIRE_ROOT();
  cri_ = std::make_unique<CriDaemon>("registry:\n  insecure: [\"" + TestRegistry() + "\"]\n" +
                                     ExtraConfig());
  ASSERT_TRUE(cri_->Start()) << "capstan-cri did not start; see " << cri_->dir() << "/cri.log";
}

std::string CriTest::PullBusybox() {
  v1::PullImageRequest req;
  req.mutable_image()->set_image(TestRegistry() + "/busybox:latest");
  v1::PullImageResponse resp;
  auto st = cri_->images().PullImage(Ctx(120).get(), req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  image_ = req.image().image();
  return image_;
}

std::string CriTest::RunPod(const std::string& name, v1::PodSandboxConfig* config_out) {
  v1::PodSandboxConfig config = PodConfig(name, *cri_);
  if (config_out != nullptr) {
    *config_out = config;
  }
  return RunPod(config);
}

std::string CriTest::RunPod(const v1::PodSandboxConfig& config) {
  v1::RunPodSandboxRequest req;
  *req.mutable_config() = config;
  v1::RunPodSandboxResponse resp;
  auto st = cri_->runtime().RunPodSandbox(Ctx().get(), req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return resp.pod_sandbox_id();
}

std::string CriTest::StartContainer(const std::string& pod_id, const v1::PodSandboxConfig& pod,
                                    const v1::ContainerConfig& config) {
  v1::CreateContainerRequest create;
  create.set_pod_sandbox_id(pod_id);
  *create.mutable_config() = config;
  *create.mutable_sandbox_config() = pod;
  v1::CreateContainerResponse created;
  auto st = cri_->runtime().CreateContainer(Ctx().get(), create, &created);
  EXPECT_TRUE(st.ok()) << st.error_message();
  if (!st.ok()) {
    return "";
  }
  v1::StartContainerRequest start;
  start.set_container_id(created.container_id());
  v1::StartContainerResponse started;
  st = cri_->runtime().StartContainer(Ctx().get(), start, &started);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return created.container_id();
}

v1::ContainerStatus CriTest::Status(const std::string& id) {
  v1::ContainerStatusRequest req;
  req.set_container_id(id);
  req.set_verbose(true);
  v1::ContainerStatusResponse resp;
  auto st = cri_->runtime().ContainerStatus(Ctx().get(), req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return resp.status();
}

v1::ExecSyncResponse CriTest::Exec(const std::string& id, std::vector<std::string> cmd,
                                   int timeout) {
  v1::ExecSyncRequest req;
  req.set_container_id(id);
  for (auto& c : cmd) {
    req.add_cmd(c);
  }
  req.set_timeout(timeout);
  v1::ExecSyncResponse resp;
  auto st = cri_->runtime().ExecSync(Ctx(timeout + 10).get(), req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return resp;
}

bool CriTest::WaitExited(const std::string& id, double seconds) {
  return WaitFor([&] { return Status(id).state() == v1::CONTAINER_EXITED; }, seconds);
}

std::string CriTest::ReadLog(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace capstan::integration
