#pragma once
// Runs postStart and preStop handlers: exec through the runtime's ExecSync, httpGet through
// an HttpGetter, sleep by waiting. tcpSocket handlers are deprecated and, as upstream, not
// run. Thread-safe.

#include <chrono>
#include <functional>
#include <string>

#include "api/cri/runtime_service.h"
#include "api/k8s/pod.h"
#include "kubelet/util/net.h"

namespace capstan::kubelet::kuberuntime {

class HandlerRunner {
 public:
  using Sleeper = std::function<void(std::chrono::seconds)>;
  // `http` may be null (httpGet handlers then fail); `sleep` defaults to a real sleep.
  HandlerRunner(api::cri::RuntimeService* runtime, util::HttpGetter* http, Sleeper sleep = {});

  // Runs `h` against the container (runtime id) and returns why it failed: the command's
  // output for exec, the request error for httpGet. `timeout` bounds exec and httpGet (0 for
  // exec: no limit).
  Status Run(const std::string& container_id, const api::k8s::Pod& pod,
             const api::k8s::Container& c, const api::k8s::LifecycleHandler& h,
             const std::string& pod_ip, std::chrono::seconds timeout);

 private:
  api::cri::RuntimeService* runtime_;
  util::HttpGetter* http_;
  Sleeper sleep_;
};

}  // namespace capstan::kubelet::kuberuntime
