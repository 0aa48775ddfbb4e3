#include "integration/kubelet/kubelet_node.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "integration/cri/cri_test_env.h"
#include "integration/fixtures/leftovers.h"
#include "integration/fixtures/registry_fixture.h"

namespace capstan::integration::kubelet {

namespace {

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// The busybox fixture with "sleep forever" as its command: containerd's sandbox image.
// Pushed once per test binary.
std::string PauseImage() {
  static std::string ref = []() -> std::string {
    RegistryFixture* registry = TestRegistryFixture();
    if (registry == nullptr) {
      return "";
    }
    std::string out = std::string(kFixtureCacheDir) + "/pause-oci-" + std::to_string(::getpid());
    std::string derive = std::string(CAPSTAN_FIXTURES_DIR) + "/../critest/derive_image.py";
    std::string err;
    if (cni::Sh({"/usr/bin/python3", derive, registry->busybox().oci_dir, out, "--cmd",
                 R"(["sleep","2147483647"])"},
                &err) != 0) {
      ADD_FAILURE() << "deriving the pause image: " << err;
      return "";
    }
    auto pushed = registry->PushRaw(out, "pause:latest");
    std::error_code ec;
    std::filesystem::remove_all(out, ec);
    if (!pushed) {
      ADD_FAILURE() << "pushing the pause image: " << pushed.error().ToString();
      return "";
    }
    return registry->host() + "/pause:latest";
  }();
  return ref;
}

}  // namespace

std::string RuntimeName(RuntimeKind kind) {
  return kind == RuntimeKind::kCapstan ? "capstan" : "containerd";
}

std::string RuntimeMissing(RuntimeKind kind) {
  return kind == RuntimeKind::kContainerd ? ContainerdMissing() : "";
}

bool Eventually(const std::function<bool()>& pred, double seconds) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

void KubeletTest::SetUp() {
  CniTestBase::SetUp();
  if (IsSkipped()) {
    return;
  }
  if (std::string missing = RuntimeMissing(Runtime()); !missing.empty()) {
    GTEST_SKIP() << missing;
  }
  std::filesystem::create_directories(dir_ + "/manifests");
  std::filesystem::create_directories(dir_ + "/cni");
  std::filesystem::create_directories(HostDir());
  json list{{"cniVersion", "1.0.0"}, {"name", net_name_}, {"plugins", {BridgeConf()}}};
  list["plugins"][0].erase("cniVersion");
  list["plugins"][0].erase("name");
  std::ofstream(dir_ + "/cni/10-kit.conflist") << list.dump(2);

  std::string registry = TestRegistry();
  if (Runtime() == RuntimeKind::kCapstan) {
    cri_ = std::make_unique<CriDaemon>(
        "registry:\n  insecure: [\"" + registry + "\"]\ncni:\n  conf_dir: " + dir_ +
        "/cni\n  bin_dirs: [" + cni::CapstanCniDir() + "]\n  cache_dir: " + dir_ + "/cni-cache\n");
    ASSERT_TRUE(cri_->Start()) << "capstan-cri did not start; see " << cri_->dir() << "/cri.log";
    endpoint_ = "unix://" + cri_->socket();
    cgroup_root_ = cri_->cgroup_parent();
  } else {
    std::string pause = PauseImage();
    ASSERT_FALSE(pause.empty());
    containerd_ = std::make_unique<ContainerdDaemon>(ContainerdOptions{
        .dir = dir_ + "/containerd",
        .registry = registry,
        .pause_image = pause,
        .cni_bin_dir = cni::CapstanCniDir(),
        .cni_conf_dir = dir_ + "/cni",
    });
    std::string err = containerd_->Start();
    ASSERT_EQ(err, "");
    endpoint_ = "unix://" + containerd_->socket();
    cgroup_root_ = "/capstan-kit-" + tag_;
  }
  channel_ = grpc::CreateChannel(endpoint_, grpc::InsecureChannelCredentials());
  runtime_ = v1::RuntimeService::NewStub(channel_);

  read_only_port_ = FreePort();
  secure_port_ = FreePort();
  std::ofstream(dir_ + "/kubelet.yaml") << "apiVersion: kubelet.config.k8s.io/v1beta1\n"
                                        << "kind: KubeletConfiguration\n"
                                        << "staticPodPath: " << dir_ << "/manifests\n"
                                        << "cgroupRoot: " << cgroup_root_ << "\n"
                                        << "podLogsDir: " << dir_ << "/pod-logs\n"
                                        << "readOnlyPort: " << read_only_port_ << "\n"
                                        << "port: " << secure_port_ << "\n"
                                        << "address: 127.0.0.1\n"
                                        << "healthzPort: 0\n"
                                        << "resolvConf: \"\"\n"
                                        << ExtraKubeletConfig();
  BeforeKubelet();
  if (HasFatalFailure()) return;
  ASSERT_TRUE(StartKubelet()) << KubeletLog();
}

// A NOTIFY_SOCKET as systemd listens on it: the kubelet says READY=1 there once it runs pods.
int BindNotifySocket(const std::string& path) {
  ::unlink(path.c_str());
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{.tv_sec = 0, .tv_usec = 200 * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

bool KubeletTest::StartKubelet() {
  std::string bin = std::string(CAPSTAN_BIN_DIR) + "/capstan-kubelet";
  std::string log = dir_ + "/kubelet.log";
  std::string cfg = dir_ + "/kubelet.yaml";
  std::string root = dir_ + "/kubelet";
  std::string notify_path = dir_ + "/notify.sock";
  if (notify_fd_ >= 0) {
    ::close(notify_fd_);
  }
  notify_fd_ = BindNotifySocket(notify_path);
  if (notify_fd_ < 0) {
    ADD_FAILURE() << "cannot bind " << notify_path;
    return false;
  }
  // The whole command line before fork: the child only execs.
  std::vector<std::string> args = {bin,       "--config",    cfg,    "--container-runtime-endpoint",
                                   endpoint_, "--root-dir",  root,   "--hostname-override",
                                   kNodeName, "--log-level", "debug"};
  for (auto& a : ExtraKubeletArgs()) args.push_back(std::move(a));
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  kubelet_pid_ = ::fork();
  if (kubelet_pid_ == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::setenv("NOTIFY_SOCKET", notify_path.c_str(), 1);
    ::execv(bin.c_str(), argv.data());
    _exit(127);
  }
  // Ready means READY=1 over sd_notify, as systemd would see it.
  return !NextNotify("READY=1", 20).empty();
}

std::string KubeletTest::NextNotify(const std::string& prefix, double seconds) {
  std::string found;
  Eventually(
      [&] {
        char buf[4096];
        ssize_t n = ::recv(notify_fd_, buf, sizeof(buf), 0);
        if (n > 0 && std::string_view(buf, static_cast<size_t>(n)).starts_with(prefix)) {
          found.assign(buf, static_cast<size_t>(n));
        }
        return !found.empty();
      },
      seconds);
  return found;
}

void KubeletTest::KillKubelet9() {
  if (kubelet_pid_ > 0) {
    ::kill(kubelet_pid_, SIGKILL);
    ::waitpid(kubelet_pid_, nullptr, 0);
    kubelet_pid_ = -1;
  }
}

void KubeletTest::TearDown() {
  if (HasFailure() && !dir_.empty()) {
    std::string log = KubeletLog();
    std::cerr << "--- kubelet log (last 6000 bytes) ---\n"
              << (log.size() > 6000 ? log.substr(log.size() - 6000) : log) << "\n";
  }
  KillKubelet9();
  if (notify_fd_ >= 0) {
    ::close(notify_fd_);
    notify_fd_ = -1;
  }
  if (runtime_) {
    RemoveAllPodSandboxes(*runtime_);
  }
  runtime_.reset();
  channel_.reset();
  cri_.reset();
  containerd_.reset();
  if (!dir_.empty()) {
    KillMatching(dir_ + "/");
    UnmountUnder(dir_ + "/");
  }
  if (!cgroup_root_.empty()) {
    RemoveCgroupEverywhere(cgroup_root_);
  }
  CniTestBase::TearDown();
}

std::string KubeletTest::Image() const { return TestRegistry() + "/busybox:latest"; }

void KubeletTest::WriteManifest(const std::string& file, const std::string& text) {
  std::string tmp = dir_ + "/" + file + ".tmp";
  std::ofstream(tmp) << text;
  std::filesystem::rename(tmp, dir_ + "/manifests/" + file);
}

void KubeletTest::RemoveManifest(const std::string& file) {
  std::filesystem::remove(dir_ + "/manifests/" + file);
}

std::vector<v1::Container> KubeletTest::Containers(const std::string& pod_name) {
  v1::ListContainersRequest req;
  (*req.mutable_filter()->mutable_label_selector())["io.kubernetes.pod.name"] = pod_name;
  v1::ListContainersResponse resp;
  if (!runtime_->ListContainers(Ctx(10).get(), req, &resp).ok()) {
    return {};
  }
  return {resp.containers().begin(), resp.containers().end()};
}

std::vector<v1::Container> KubeletTest::Running(const std::string& pod_name) {
  std::vector<v1::Container> out;
  for (auto& c : Containers(pod_name)) {
    if (c.state() == v1::CONTAINER_RUNNING) {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<v1::PodSandbox> KubeletTest::Sandboxes(const std::string& pod_name) {
  v1::ListPodSandboxRequest req;
  (*req.mutable_filter()->mutable_label_selector())["io.kubernetes.pod.name"] = pod_name;
  v1::ListPodSandboxResponse resp;
  if (!runtime_->ListPodSandbox(Ctx(10).get(), req, &resp).ok()) {
    return {};
  }
  return {resp.items().begin(), resp.items().end()};
}

std::optional<v1::Container> KubeletTest::Latest(const std::string& pod_name,
                                                 const std::string& container) {
  std::optional<v1::Container> best;
  for (auto& c : Containers(pod_name)) {
    if (c.metadata().name() == container &&
        (!best || c.metadata().attempt() > best->metadata().attempt())) {
      best = c;
    }
  }
  return best;
}

v1::ContainerStatus KubeletTest::Status(const std::string& container_id) {
  v1::ContainerStatusRequest req;
  req.set_container_id(container_id);
  v1::ContainerStatusResponse resp;
  runtime_->ContainerStatus(Ctx(10).get(), req, &resp);
  return resp.status();
}

std::string KubeletTest::Exec(const std::string& container_id, std::vector<std::string> cmd) {
  v1::ExecSyncRequest req;
  req.set_container_id(container_id);
  for (auto& c : cmd) {
    req.add_cmd(c);
  }
  req.set_timeout(10);
  v1::ExecSyncResponse resp;
  if (!runtime_->ExecSync(Ctx(20).get(), req, &resp).ok() || resp.exit_code() != 0) {
    return "";
  }
  return resp.stdout();
}

std::string KubeletTest::Get(const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(read_only_port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{.tv_sec = 5, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "";
  }
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  (void)::write(fd, req.data(), req.size());
  std::string resp;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;) {
    resp.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  auto body = resp.find("\r\n\r\n");
  return body == std::string::npos ? "" : resp.substr(body + 4);
}

json KubeletTest::PodStatus(const std::string& pod_name) {
  json list = json::parse(Get("/pods"), nullptr, false);
  if (!list.is_object() || !list.contains("items")) {
    return nullptr;
  }
  for (const auto& p : list["items"]) {
    if (p["metadata"].value("name", "") == pod_name) {
      return p.value("status", json::object());
    }
  }
  return nullptr;
}

std::string KubeletTest::Condition(const json& status, const std::string& type) {
  if (!status.is_object()) {
    return "";
  }
  for (const auto& c : status.value("conditions", json::array())) {
    if (c.value("type", "") == type) {
      return c.value("status", "");
    }
  }
  return "";
}

json KubeletTest::ContainerStatusOf(const json& status, const std::string& container) {
  if (!status.is_object()) {
    return nullptr;
  }
  for (const char* key : {"containerStatuses", "initContainerStatuses"}) {
    for (const auto& c : status.value(key, json::array())) {
      if (c.value("name", "") == container) {
        return c;
      }
    }
  }
  return nullptr;
}

std::string KubeletTest::KubeletLog() const { return ReadWholeFile(dir_ + "/kubelet.log"); }

}  // namespace capstan::integration::kubelet
