#pragma once
// Prober: runs one probe of one container (exec through the runtime's ExecSync, httpGet,
// tcpSocket and grpc through small seams) and says Success or Failure; an error means the
// probe could not run at all and its result does not count.

#include <chrono>
#include <functional>
#include <string>

#include "api/cri/runtime_service.h"
#include "api/k8s/pod.h"
#include "kubelet/events/recorder.h"
#include "kubelet/prober/results.h"
#include "kubelet/util/net.h"

namespace capstan::kubelet::prober {

// gRPC health checking (grpc.health.v1.Health/Check); true when SERVING.
class GrpcHealthChecker {
 public:
  virtual ~GrpcHealthChecker() = default;
  virtual Result<bool> Check(const std::string& host, int port, const std::string& service,
                             std::chrono::milliseconds timeout) = 0;
};

struct ProberDeps {
  api::cri::RuntimeService* runtime = nullptr;
  util::HttpGetter* http = nullptr;  // null: httpGet probes cannot run
  std::function<Status(const std::string&, int, std::chrono::milliseconds)> tcp_dial =
      util::TcpDial;
  GrpcHealthChecker* grpc = nullptr;  // null: grpc probes cannot run
  // Unhealthy events ("Liveness probe failed: ...") for failed probes (null: none).
  events::EventRecorder* recorder = nullptr;
};

class Prober {
 public:
  explicit Prober(ProberDeps deps) : deps_(std::move(deps)) {}

  // `container_id` is the runtime's id; `pod_ip` the address httpGet/tcp/grpc probes use
  // when the probe names no host.
  Result<ProbeResult> Probe(ProbeType type, const api::k8s::Pod& pod, const api::k8s::Container& c,
                            const std::string& container_id, const std::string& pod_ip);

 private:
  // `detail`: why it failed, in upstream's words (command output, "HTTP probe failed with
  // statuscode: 500", the dial error).
  Result<ProbeResult> RunOnce(const api::k8s::Probe& probe, const api::k8s::Container& c,
                              const std::string& container_id, const std::string& pod_ip,
                              std::string* detail);
  ProberDeps deps_;
};

}  // namespace capstan::kubelet::prober
