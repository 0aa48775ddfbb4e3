#pragma once
// A HostInterface over fixed pods and log files, recording what it was asked.

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "kubelet/server/host.h"

namespace capstan::kubelet::server::testing {

class FakeHost : public HostInterface {
 public:
  std::vector<api::k8s::Pod> GetPods() override {
    std::lock_guard lock(mu_);
    return pods;
  }
  Result<std::vector<api::k8s::Pod>> GetRunningPods() override {
    std::lock_guard lock(mu_);
    if (running_error) {
      return Fail(*running_error);
    }
    return running;
  }
  Result<LogTarget> ContainerLog(const std::string& ns, const std::string& pod,
                                 const std::string& container, bool previous) override {
    std::lock_guard lock(mu_);
    log_requests.push_back(ns + "/" + pod + "/" + container + (previous ? "/previous" : ""));
    auto it = logs.find(ns + "/" + pod + "/" + container + (previous ? "/previous" : ""));
    if (it == logs.end()) {
      bool pod_known = false;
      for (const auto& p : pods) {
        pod_known |= p.metadata.namespace_ == ns && p.metadata.name == pod;
      }
      if (!pod_known) {
        return Fail(Code::kNotFound, "pod {:?} does not exist", pod);
      }
      if (previous) {
        return Fail(Code::kFailedPrecondition,
                    "previous terminated container {:?} in pod {:?} not found", container, pod);
      }
      return Fail(Code::kNotFound, "container {:?} not found in pod {:?}", container, pod);
    }
    LogTarget t;
    t.path = it->second;
    t.is_running = [this] { return running_flag.load(); };
    return t;
  }

  Result<cadvisor::Summary> GetSummary(bool only_cpu_and_memory, bool* incomplete) override {
    std::lock_guard lock(mu_);
    if (!summary) {
      return Fail(Code::kUnavailable, "no stats yet");
    }
    if (incomplete) {
      *incomplete = summary_incomplete;
    }
    return *summary;
  }

  std::vector<std::string> Requests() {
    std::lock_guard lock(mu_);
    return log_requests;
  }

  // Set before serving.
  std::vector<api::k8s::Pod> pods;
  std::vector<api::k8s::Pod> running;
  std::optional<Error> running_error;
  std::map<std::string, std::string> logs;  // "ns/pod/container[/previous]" -> path
  std::atomic<bool> running_flag{true};
  std::optional<cadvisor::Summary> summary;
  bool summary_incomplete = false;

 private:
  std::mutex mu_;
  std::vector<std::string> log_requests;
};

}  // namespace capstan::kubelet::server::testing
