#include "integration/cri/cri_daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "integration/fixtures/leftovers.h"

namespace capstan::integration {

std::unique_ptr<grpc::ClientContext> Ctx(int seconds) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

bool WaitFor(const std::function<bool()>& pred, double seconds) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

CriDaemon::CriDaemon(std::string extra_config) : extra_config_(std::move(extra_config)) {
  char tmpl[] = "/tmp/capstan-it-XXXXXX";
  dir_ = ::mkdtemp(tmpl);
  cgroup_parent_ = "/capstan-it-" + std::filesystem::path(dir_).filename().string();
  std::filesystem::create_directories(dir_ + "/logs");
}

bool CriDaemon::Start() {
  // The test's own (empty) CNI config dir and result cache, unless extra_config sets cni.
  std::string cni =
      extra_config_.find("cni:") == std::string::npos
          ? "cni:\n  conf_dir: " + dir_ + "/cni/net.d\n  cache_dir: " + dir_ + "/cni/cache\n"
          : "";
  std::ofstream(dir_ + "/config.yaml")
      << "root: " << root() << "\nstate: " << state() << "\nlisten: unix://" << socket() << "\n"
      << cni << extra_config_ << "\n";
  // A socket left by a killed daemon would look ready before the new one listens.
  ::unlink(socket().c_str());
  std::string bin = std::string(CAPSTAN_BIN_DIR) + "/capstan-cri";
  std::string log = dir_ + "/cri.log";
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::string cfg = dir_ + "/config.yaml";
    ::execl(bin.c_str(), bin.c_str(), "--config", cfg.c_str(), "--log-level", "debug", nullptr);
    _exit(127);
  }
  bool up = WaitFor([&] { return std::filesystem::exists(socket()); }, 10);
  if (!up) {
    return false;
  }
  Connect();
  v1::VersionRequest req;
  v1::VersionResponse resp;
  return WaitFor([&] { return runtime_->Version(Ctx(2).get(), req, &resp).ok(); }, 10);
}

void CriDaemon::Connect() {
  channel_ = grpc::CreateChannel("unix://" + socket(), grpc::InsecureChannelCredentials());
  runtime_ = v1::RuntimeService::NewStub(channel_);
  images_ = v1::ImageService::NewStub(channel_);
}

void CriDaemon::Kill9() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

void CriDaemon::Terminate() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

void RemoveAllPodSandboxes(v1::RuntimeService::Stub& runtime) {
  v1::ListPodSandboxResponse pods;
  if (!runtime.ListPodSandbox(Ctx(10).get(), {}, &pods).ok()) {
    return;
  }
  for (const auto& p : pods.items()) {
    v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(p.id());
    v1::StopPodSandboxResponse sr;
    runtime.StopPodSandbox(Ctx(30).get(), stop, &sr);
    v1::RemovePodSandboxRequest rm;
    rm.set_pod_sandbox_id(p.id());
    v1::RemovePodSandboxResponse rr;
    runtime.RemovePodSandbox(Ctx(30).get(), rm, &rr);
  }
}

void CriDaemon::RemoveEverything() {
  if (pid_ > 0 && runtime_) {
    RemoveAllPodSandboxes(*runtime_);
  }
}

CriDaemon::~CriDaemon() {
  RemoveEverything();
  Terminate();
  // Whatever a failed test left behind: processes, mounts, cgroups, files.
  KillMatching(dir_ + "/");
  UnmountUnder(dir_ + "/");
  RemoveCgroupEverywhere(cgroup_parent_);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

v1::PodSandboxConfig PodConfig(const std::string& name, const CriDaemon& d) {
  v1::PodSandboxConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_metadata()->set_namespace_("default");
  c.mutable_metadata()->set_uid(name + "-uid");
  c.set_hostname(name);
  c.set_log_directory(d.dir() + "/logs/" + name);
  c.mutable_linux()->set_cgroup_parent(d.cgroup_parent() + "/" + name);
  // A PID namespace per container, as the kubelet asks unless shareProcessNamespace (the
  // CRI default, POD, shares one per pod).
  c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      v1::CONTAINER);
  return c;
}

v1::ContainerConfig ContainerConfig(const std::string& name, const std::string& image,
                                    std::vector<std::string> command) {
  v1::ContainerConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_image()->set_image(image);
  for (auto& a : command) {
    c.add_command(a);
  }
  c.set_log_path(name + ".log");
  c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      v1::CONTAINER);
  return c;
}

}  // namespace capstan::integration
