#pragma once
// KubeletServerHost: the kubelet API's view of the Kubelet (server::HostInterface), so
// kubelet/server/ stays independent of the Kubelet class.

#include "api/cri/runtime_service.h"
#include "kubelet/kubelet.h"
#include "kubelet/server/host.h"
#include "kubelet/stats/summary_provider.h"

namespace capstan::kubelet {

class KubeletServerHost : public server::HostInterface {
 public:
  // Both must outlive this. `runtime` is the CRI the kubelet talks to (for log paths).
  // `stats` may be null (no stats endpoints).
  KubeletServerHost(Kubelet* kubelet, api::cri::RuntimeService* runtime,
                    stats::SummaryProvider* stats = nullptr)
      : kubelet_(kubelet), runtime_(runtime), stats_(stats) {}

  std::vector<api::k8s::Pod> GetPods() override;
  Result<std::vector<api::k8s::Pod>> GetRunningPods() override;
  Result<server::LogTarget> ContainerLog(const std::string& ns, const std::string& pod,
                                         const std::string& container, bool previous) override;
  Result<cadvisor::Summary> GetSummary(bool only_cpu_and_memory, bool* incomplete) override;
  Result<std::string> GetStreamingUrl(const server::StreamRequest& request) override;
  Result<std::string> RunInContainer(const std::string& ns, const std::string& pod,
                                     const std::string& uid, const std::string& container,
                                     const std::vector<std::string>& cmd) override;

 private:
  // The pod `ns`/`name` (with `uid` when not empty) the kubelet runs, and its runtime status.
  Result<std::pair<api::k8s::Pod, container::PodStatus>> FindPod(const std::string& ns,
                                                                 const std::string& name,
                                                                 const std::string& uid);
  // The running container `name` of that pod: its runtime id.
  Result<std::string> RunningContainer(const std::string& ns, const std::string& pod,
                                       const std::string& uid, const std::string& name);

  Kubelet* kubelet_;
  api::cri::RuntimeService* runtime_;
  stats::SummaryProvider* stats_;
};

}  // namespace capstan::kubelet
