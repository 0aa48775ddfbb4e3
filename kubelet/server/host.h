#pragma once
// HostInterface: what the kubelet's HTTP API needs from the kubelet (upstream's
// server.HostInterface), so the server knows nothing of the Kubelet class and its tests run
// against a fake. KubeletHost (kubelet/kubelet_server_host.h) is the real one.

#include <functional>
#include <string>
#include <vector>

#include "api/k8s/pod.h"
#include "cadvisor-lite/summary.h"
#include "common/error.h"

namespace capstan::kubelet::server {

// Where a container's log is and how to tell whether the container still writes to it.
struct LogTarget {
  std::string path;                  // the CRI log file (from the runtime, never from a URL)
  std::function<bool()> is_running;  // asked while following; null: not running
};

// An exec, attach or port-forward the API asked for (upstream's /exec, /attach, /portForward).
struct StreamRequest {
  enum class Kind { kExec, kAttach, kPortForward } kind = Kind::kExec;
  std::string ns, pod, uid;  // uid: empty unless the path named one
  std::string container;     // exec, attach
  std::vector<std::string> cmd;
  bool tty = false, stdin = false, stdout = false, stderr = false;
  std::vector<int32_t> ports;  // port-forward (may be empty: the client names ports per stream)
};

class HostInterface {
 public:
  virtual ~HostInterface() = default;

  // The pods this kubelet manages, each with its current status. Thread-safe.
  virtual std::vector<api::k8s::Pod> GetPods() = 0;
  // The pods the runtime runs (running sandboxes and containers), as minimal Pod objects:
  // metadata name/namespace/uid and spec.containers name+image. May call the runtime.
  virtual Result<std::vector<api::k8s::Pod>> GetRunningPods() = 0;
  // The log of container `container` of pod `ns`/`pod`; `previous`: the log of the instance
  // before the current one. Errors: NotFound (unknown pod or container; the message is shown
  // to the client), FailedPrecondition (no such instance yet, e.g. no previous one), others.
  // Names are already validated as Kubernetes names. May call the runtime.
  virtual Result<LogTarget> ContainerLog(const std::string& ns, const std::string& pod,
                                         const std::string& container, bool previous) = 0;
  // The stats of the node, its pods and their containers (/stats/summary and
  // /metrics/resource); `incomplete` is set when some could not be read.
  virtual Result<cadvisor::Summary> GetSummary(bool only_cpu_and_memory, bool* incomplete) {
    return Fail(Code::kUnimplemented, "stats are not available");
  }
  // The runtime's streaming URL for the request (CRI Exec, Attach, PortForward), which the
  // server proxies the client's upgraded connection to. Errors: NotFound (pod, container),
  // FailedPrecondition (not running), others from the runtime.
  virtual Result<std::string> GetStreamingUrl(const StreamRequest& request) {
    return Fail(Code::kUnimplemented, "streaming is not available");
  }
  // Runs `cmd` in the container to completion (POST /run): its stdout and stderr.
  virtual Result<std::string> RunInContainer(const std::string& ns, const std::string& pod,
                                             const std::string& uid, const std::string& container,
                                             const std::vector<std::string>& cmd) {
    return Fail(Code::kUnimplemented, "run is not available");
  }
};

}  // namespace capstan::kubelet::server
