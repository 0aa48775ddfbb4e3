#include "integration/kubelet/containerd_daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "integration/cri/cri_daemon.h"

namespace capstan::integration::kubelet {

namespace {

bool Installed(const std::string& tool) {
  for (const char* dir : {"/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/"}) {
    if (std::filesystem::exists(std::string(dir) + tool)) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string ContainerdMissing() {
  for (const char* tool : {"containerd", "containerd-shim-runc-v2", "runc"}) {
    if (!Installed(tool)) {
      return std::string(tool) + " is not installed (apt install containerd runc)";
    }
  }
  return "";
}

std::string ContainerdDaemon::Start() {
  const auto& o = options_;
  std::filesystem::create_directories(o.dir);
  std::string cri = "[plugins.\"io.containerd.grpc.v1.cri\"]\n";
  std::ofstream(o.dir + "/config.toml")
      << "version = 2\n"
      << "root = \"" << o.dir << "/root\"\nstate = \"" << o.dir << "/state\"\n"
      << "[grpc]\n  address = \"" << socket() << "\"\n"
      << "[ttrpc]\n  address = \"" << socket() << ".ttrpc\"\n"
      << cri << "  sandbox_image = \"" << o.pause_image
      << "\"\n"
      // The pause process's -998 is refused without CAP_SYS_RESOURCE.
      << "  restrict_oom_score_adj = true\n"
      << "  [plugins.\"io.containerd.grpc.v1.cri\".cni]\n"
      << "    bin_dir = \"" << o.cni_bin_dir << "\"\n"
      << "    conf_dir = \"" << o.cni_conf_dir << "\"\n"
      << "  [plugins.\"io.containerd.grpc.v1.cri\".containerd]\n"
      << "    snapshotter = \"overlayfs\"\n"
      << "  [plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"" << o.registry << "\"]\n"
      << "    endpoint = [\"http://" << o.registry << "\"]\n";
  ::unlink(socket().c_str());
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(log().c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::string cfg = o.dir + "/config.toml";
    ::execlp("containerd", "containerd", "--config", cfg.c_str(), nullptr);
    _exit(127);
  }
  if (!WaitFor([&] { return std::filesystem::exists(socket()); }, 20)) {
    return "containerd did not create its socket; see " + log();
  }
  auto channel = grpc::CreateChannel("unix://" + socket(), grpc::InsecureChannelCredentials());
  auto stub = v1::RuntimeService::NewStub(channel);
  // The CRI plugin needs a moment after the socket appears, and reads the CNI config.
  bool ready = WaitFor(
      [&] {
        v1::StatusResponse status;
        if (!stub->Status(Ctx(5).get(), {}, &status).ok()) {
          return false;
        }
        for (const auto& c : status.status().conditions()) {
          if (c.type() == "NetworkReady" && c.status()) {
            return true;
          }
        }
        return false;
      },
      30);
  return ready ? "" : "containerd's CRI did not become ready; see " + log();
}

void ContainerdDaemon::Stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

ContainerdDaemon::~ContainerdDaemon() { Stop(); }

}  // namespace capstan::integration::kubelet
