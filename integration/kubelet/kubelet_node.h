#pragma once
// KubeletTest: one node of the test's own. A container runtime (capstan-cri, or Debian's
// containerd), a pod network on a bridge of the test's own (capstan's CNI plugins), and a
// capstan-kubelet process watching a manifest directory of the test's own. Tests write static
// pod manifests and watch what the runtime runs (CRI) and what the kubelet reports (its
// read-only port's /pods). Teardown kills the kubelet, removes every pod, mount and cgroup,
// also when the test failed.

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/cri/runtime/v1/api.grpc.pb.h"
#include "integration/cni/cni_it_util.h"
#include "integration/cri/cri_daemon.h"
#include "integration/kubelet/containerd_daemon.h"

namespace capstan::integration::kubelet {

namespace v1 = ::runtime::v1;
using nlohmann::json;

enum class RuntimeKind { kCapstan, kContainerd };
std::string RuntimeName(RuntimeKind kind);

inline constexpr const char* kNodeName = "it-node";

class KubeletTest : public cni::CniTestBase {
 protected:
  void SetUp() override;
  void TearDown() override;
  virtual RuntimeKind Runtime() const { return RuntimeKind::kCapstan; }
  // YAML appended to the KubeletConfiguration the fixture writes.
  virtual std::string ExtraKubeletConfig() const { return ""; }
  // Flags added to the kubelet's command line.
  virtual std::vector<std::string> ExtraKubeletArgs() const { return {}; }
  // Runs after the runtime started and before the kubelet does (an API server to join).
  virtual void BeforeKubelet() {}

  // Starts (or restarts) the kubelet process with a NOTIFY_SOCKET of the test's own; true once
  // it said READY=1 there, as systemd would see it.
  bool StartKubelet();
  void KillKubelet9();
  // The next sd_notify message starting with `prefix` ("" if none came in `seconds`).
  std::string NextNotify(const std::string& prefix, double seconds);

  // The busybox test image in the local registry.
  std::string Image() const;
  // Writes manifests/<file> atomically (as editors and config managers do: rename into place).
  void WriteManifest(const std::string& file, const std::string& text);
  void RemoveManifest(const std::string& file);
  // A directory for hostPath volumes of this test.
  std::string HostDir() const { return dir_ + "/host"; }

  v1::RuntimeService::Stub& runtime() { return *runtime_; }
  // The pod's containers as the runtime lists them (all states), by the kubelet's labels.
  std::vector<v1::Container> Containers(const std::string& pod_name);
  std::vector<v1::Container> Running(const std::string& pod_name);
  std::vector<v1::PodSandbox> Sandboxes(const std::string& pod_name);
  // The newest instance of one container of the pod, if any.
  std::optional<v1::Container> Latest(const std::string& pod_name, const std::string& container);
  v1::ContainerStatus Status(const std::string& container_id);
  // ExecSync in a container; returns stdout ("" on failure).
  std::string Exec(const std::string& container_id, std::vector<std::string> cmd);

  // GET http://127.0.0.1:<read-only port><path>; "" when unreachable.
  std::string Get(const std::string& path);
  // The pod's status as the kubelet reports it at /pods (null when not listed).
  json PodStatus(const std::string& pod_name);
  static std::string Condition(const json& status, const std::string& type);
  static json ContainerStatusOf(const json& status, const std::string& container);

  // The pod's name on this node (static pods get the node name as suffix).
  static std::string PodName(const std::string& name) { return name + "-" + kNodeName; }
  std::string KubeletLog() const;
  // Where the kubelet puts the pod cgroups (cgroupRoot).
  std::string CgroupRoot() const { return cgroup_root_; }

  int notify_fd_ = -1;
  int read_only_port_ = 0;
  int secure_port_ = 0;
  std::string cgroup_root_;
  std::string endpoint_;
  pid_t kubelet_pid_ = -1;
  std::unique_ptr<CriDaemon> cri_;
  std::unique_ptr<ContainerdDaemon> containerd_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::RuntimeService::Stub> runtime_;
};

// Skips unless the runtime can run here (containerd installed); empty when it can.
std::string RuntimeMissing(RuntimeKind kind);

// Polls `pred` every 50 ms for up to `seconds`.
bool Eventually(const std::function<bool()>& pred, double seconds);

}  // namespace capstan::integration::kubelet
