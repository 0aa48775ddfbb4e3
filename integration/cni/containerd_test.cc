// Interop: Debian's containerd, pointed at capstan's plugins instead of the reference ones,
// runs a pod that gets a working address. containerd needs a sandbox (pause) image: the
// busybox fixture, re-tagged to sleep, imported with ctr (as bench/run_cri_bench.sh does).
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/cri/runtime/v1/api.grpc.pb.h"
#include "integration/cni/cni_it_util.h"

namespace capstan::integration::cni {
namespace {

namespace v1 = ::runtime::v1;

// The tool's path ("" when not installed); RunCommand does not search PATH.
std::string Which(const std::string& tool) {
  for (const char* dir : {"/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/"}) {
    if (std::filesystem::exists(std::string(dir) + tool)) {
      return std::string(dir) + tool;
    }
  }
  return "";
}

std::unique_ptr<grpc::ClientContext> Deadline(int seconds) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

class ContainerdInterop : public CniTestBase {
 protected:
  void SetUp() override {
    CniTestBase::SetUp();
    if (IsSkipped()) {
      return;
    }
    for (const char* tool : {"containerd", "ctr", "umoci", "skopeo", "containerd-shim-runc-v2"}) {
      if (Which(tool).empty()) {
        GTEST_SKIP() << tool << " is not installed (apt install containerd umoci skopeo)";
      }
    }
  }

  void TearDown() override {
    if (stub_) {
      v1::ListPodSandboxResponse pods;
      if (stub_->ListPodSandbox(Deadline(10).get(), {}, &pods).ok()) {
        for (const auto& p : pods.items()) {
          v1::StopPodSandboxRequest stop;
          stop.set_pod_sandbox_id(p.id());
          v1::StopPodSandboxResponse sr;
          stub_->StopPodSandbox(Deadline(30).get(), stop, &sr);
          v1::RemovePodSandboxRequest rm;
          rm.set_pod_sandbox_id(p.id());
          v1::RemovePodSandboxResponse rr;
          stub_->RemovePodSandbox(Deadline(30).get(), rm, &rr);
        }
      }
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    // Whatever containerd left mounted under our directory.
    std::ifstream mi("/proc/self/mountinfo");
    std::vector<std::string> points;
    for (std::string line; std::getline(mi, line);) {
      std::istringstream f(line);
      std::string a, b, c, root, mp;
      f >> a >> b >> c >> root >> mp;
      if (!dir_.empty() && mp.rfind(dir_ + "/", 0) == 0) {
        points.push_back(mp);
      }
    }
    std::sort(points.rbegin(), points.rend());
    for (const auto& p : points) {
      ::umount2(p.c_str(), MNT_DETACH);
    }
    // The pods' cgroup parent, in every hierarchy (v1 controllers or the v2 tree).
    std::error_code ec;
    for (const auto& root : std::filesystem::directory_iterator("/sys/fs/cgroup", ec)) {
      for (const auto& base : {root.path(), std::filesystem::path("/sys/fs/cgroup")}) {
        RemoveTree(base / CgroupParent().substr(1));
      }
    }
    CniTestBase::TearDown();
  }

  // Builds the pause image and the containerd config; starts containerd.
  bool StartContainerd() {
    std::string out;
    std::string img = dir_ + "/image";
    if (Sh({"/bin/bash", std::string(CAPSTAN_FIXTURES_DIR) + "/build-busybox-image.sh", img},
           &out) != 0) {
      ADD_FAILURE() << "building the busybox image: " << out;
      return false;
    }
    // The fixture's applets are hard links whose tar headers say 0644, and containerd applies
    // a hard link's mode to the shared inode, so busybox loses its exec bit there. The pause
    // process is therefore a separate copy, /sleep, in a layer of its own (busybox picks the
    // applet from the name).
    if (Sh({Which("umoci"), "config", "--image", img + "/busybox-oci:latest", "--tag", "pause",
            "--config.cmd", "/sleep", "--config.cmd", "2147483647"},
           &out) != 0 ||
        Sh({Which("umoci"), "insert", "--image", img + "/busybox-oci:pause", "/bin/busybox",
            "/sleep"},
           &out) != 0 ||
        Sh({Which("skopeo"), "--insecure-policy", "copy", "-q", "oci:" + img + "/busybox-oci:pause",
            "docker-archive:" + dir_ + "/pause.tar:capstan.local/pause:latest"},
           &out) != 0) {
      ADD_FAILURE() << "making the pause image: " << out;
      return false;
    }
    std::filesystem::create_directories(dir_ + "/cni");
    json list{
        {"cniVersion", "1.0.0"},
        {"name", net_name_},
        {"plugins",
         {BridgeConf(), json{{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}}}}};
    list["plugins"][0].erase("cniVersion");
    list["plugins"][0].erase("name");
    std::ofstream(dir_ + "/cni/10-capstan.conflist") << list.dump(2);
    socket_ = dir_ + "/containerd.sock";
    std::ofstream(dir_ + "/config.toml")
        << "version = 2\n"
        << "root = \"" << dir_ << "/root\"\nstate = \"" << dir_ << "/state\"\n"
        << "[grpc]\n  address = \"" << socket_ << "\"\n"
        << "[ttrpc]\n  address = \"" << socket_ << ".ttrpc\"\n"
        << "[plugins.\"io.containerd.grpc.v1.cri\"]\n"
        << "  sandbox_image = \"capstan.local/pause:latest\"\n"
        // As bench/run_cri_bench.sh: the pause process's -998 is refused in some sandboxes.
        << "  restrict_oom_score_adj = true\n"
        << "  [plugins.\"io.containerd.grpc.v1.cri\".cni]\n"
        << "    bin_dir = \"" << CapstanCniDir() << "\"\n"
        << "    conf_dir = \"" << dir_ << "/cni\"\n"
        << "  [plugins.\"io.containerd.grpc.v1.cri\".containerd]\n"
        << "    snapshotter = \"overlayfs\"\n";
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string log = dir_ + "/containerd.log";
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::string cfg = dir_ + "/config.toml";
      ::execlp("containerd", "containerd", "--config", cfg.c_str(), nullptr);
      _exit(127);
    }
    for (int i = 0; i < 200 && !std::filesystem::exists(socket_); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!std::filesystem::exists(socket_)) {
      ADD_FAILURE() << "containerd did not start; see " << dir_ << "/containerd.log";
      return false;
    }
    if (Sh({Which("ctr"), "--address", socket_, "-n", "k8s.io", "images", "import",
            "--all-platforms", dir_ + "/pause.tar"},
           &out) != 0) {
      ADD_FAILURE() << "ctr import: " << out;
      return false;
    }
    auto channel = grpc::CreateChannel("unix://" + socket_, grpc::InsecureChannelCredentials());
    stub_ = v1::RuntimeService::NewStub(channel);
    return true;
  }

  std::string CgroupParent() const { return "/capstan-cni-it-" + tag_; }
  static void RemoveTree(const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      return;
    }
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (e.is_directory(ec)) {
        RemoveTree(e.path());
      }
    }
    ::rmdir(dir.c_str());
  }

  pid_t pid_ = -1;
  std::string socket_;
  std::unique_ptr<v1::RuntimeService::Stub> stub_;
};

TEST_F(ContainerdInterop, RunsAPodWithCapstansPlugins) {
  ASSERT_TRUE(StartContainerd());
  // The CRI plugin needs a moment after the socket appears.
  v1::StatusResponse status;
  bool ready = false;
  for (int i = 0; i < 100 && !ready; ++i) {
    v1::StatusRequest sreq;
    if (stub_->Status(Deadline(5).get(), sreq, &status).ok()) {
      for (const auto& c : status.status().conditions()) {
        ready = ready || (c.type() == "NetworkReady" && c.status());
      }
    }
    if (!ready) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ASSERT_TRUE(ready) << "containerd does not find capstan's plugins ready: "
                     << status.DebugString();

  v1::RunPodSandboxRequest run;
  auto* cfg = run.mutable_config();
  cfg->mutable_metadata()->set_name("interop");
  cfg->mutable_metadata()->set_namespace_("default");
  cfg->mutable_metadata()->set_uid("interop-" + tag_);
  cfg->set_hostname("interop");
  cfg->set_log_directory(dir_ + "/logs");
  cfg->mutable_linux()->set_cgroup_parent(CgroupParent());
  v1::RunPodSandboxResponse created;
  auto st = stub_->RunPodSandbox(Deadline(120).get(), run, &created);
  ASSERT_TRUE(st.ok()) << st.error_message() << "; see " << dir_ << "/containerd.log";

  v1::PodSandboxStatusRequest sreq;
  sreq.set_pod_sandbox_id(created.pod_sandbox_id());
  sreq.set_verbose(true);
  v1::PodSandboxStatusResponse sresp;
  ASSERT_TRUE(stub_->PodSandboxStatus(Deadline(10).get(), sreq, &sresp).ok());
  std::string ip = sresp.status().network().ip();
  EXPECT_EQ(ip.rfind(subnet_prefix_ + ".", 0), 0u) << ip;
  EXPECT_EQ(AllocationCount(), 1);

  // The pod's namespace, from containerd's verbose status, serves; the node reaches it.
  json info = json::parse(sresp.info().at("info"), nullptr, false);
  std::string netns;
  for (const auto& ns : info["runtimeSpec"]["linux"]["namespaces"]) {
    if (ns.value("type", "") == "network") {
      netns = ns.value("path", "");
    }
  }
  ASSERT_FALSE(netns.empty()) << sresp.info().at("info");
  TcpServer server(netns, ip, 8080, "via-containerd");
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(TcpRequest("", ip, 8080), "via-containerd");

  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(created.pod_sandbox_id());
  v1::StopPodSandboxResponse stopped;
  ASSERT_TRUE(stub_->StopPodSandbox(Deadline(60).get(), stop, &stopped).ok());
  EXPECT_EQ(AllocationCount(), 0);
}

}  // namespace
}  // namespace capstan::integration::cni
