#pragma once
// ApiStatusReporter: the status manager's other half, upstream's status_manager syncBatch:
// the status the kubelet computed for each pod from the API server is written to that pod
// (PATCH pods/<name>/status) whenever it changed, and a pod being deleted whose containers
// have all stopped is deleted for good (grace 0), which lets the API server drop the object.
// SyncOnce does one pass; the kubelet runs it on a thread of its own.

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/k8s/client/api_client.h"
#include "api/k8s/pod.h"

namespace capstan::kubelet::status {

// What the reporter reads from the kubelet.
struct PodStatusView {
  // The pods of the API source, and static pods (their status goes to their mirror pods).
  std::function<std::vector<api::k8s::Pod>()> pods;
  // The latest status and how many times it changed.
  std::function<std::optional<std::pair<api::k8s::PodStatus, uint64_t>>(const std::string& uid)>
      status;
  // Whether the pod worker finished the pod (no container runs, nothing more will).
  std::function<bool(const std::string& uid)> terminated;
};

class ApiStatusReporter {
 public:
  ApiStatusReporter(api::k8s::client::ApiClient* api, PodStatusView view);
  void SyncOnce();
  // Writes the pod's status again at the next pass (a new mirror pod has none yet).
  void Resend(const std::string& uid);

 private:
  api::k8s::client::ApiClient* api_;
  PodStatusView view_;
  std::mutex mu_;                             // SyncOnce and Resend may run on different threads
  std::map<std::string, uint64_t> reported_;  // uid -> generation written
  std::map<std::string, bool> deleted_;       // uid -> final delete sent
};

}  // namespace capstan::kubelet::status
