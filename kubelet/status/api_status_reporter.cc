#include "kubelet/status/api_status_reporter.h"

#include <set>

#include "api/k8s/codec.h"
#include "common/log.h"

namespace capstan::kubelet::status {
namespace {

const log::Logger kLog("status-reporter");
namespace res = api::k8s::client::resources;

}  // namespace

ApiStatusReporter::ApiStatusReporter(api::k8s::client::ApiClient* api, PodStatusView view)
    : api_(api), view_(std::move(view)) {}

void ApiStatusReporter::Resend(const std::string& uid) {
  std::lock_guard lock(mu_);
  reported_.erase(uid);
}

void ApiStatusReporter::SyncOnce() {
  std::lock_guard lock(mu_);
  std::set<std::string> current;
  for (const auto& pod : view_.pods()) {
    const std::string& uid = pod.metadata.uid;
    current.insert(uid);
    std::string name = pod.metadata.namespace_ + "/" + pod.metadata.name;
    auto status = view_.status(uid);
    if (status && reported_[uid] < status->second) {
      // A static pod's status goes to its mirror pod, which has a uid of its own.
      bool is_static = pod.metadata.annotations.count("kubernetes.io/config.source") &&
                       pod.metadata.annotations.at("kubernetes.io/config.source") == "file";
      api::k8s::Json patch = {{"status", api::k8s::EncodePodStatus(status->first)}};
      if (!is_static) patch["metadata"] = {{"uid", uid}};
      auto patched = api_->Patch(res::kPods, pod.metadata.namespace_, pod.metadata.name,
                                 api::k8s::client::PatchType::kMerge, patch, "status");
      if (patched) {
        reported_[uid] = status->second;
      } else if (patched.error().code() != Code::kNotFound) {
        kLog.Warn("reporting pod status", {{"pod", name}, {"error", patched.error().message()}});
      }
    }
    // A pod being deleted goes from the API once it stopped and its last status was written.
    bool status_written = !status || reported_[uid] >= status->second;
    if (pod.metadata.deletion_timestamp && view_.terminated(uid) && status_written &&
        !deleted_[uid]) {
      auto st = api_->Delete(res::kPods, pod.metadata.namespace_, pod.metadata.name, 0);
      if (st || st.error().code() == Code::kNotFound) {
        deleted_[uid] = true;
        kLog.Info("pod deleted from the API", {{"pod", name}});
      } else {
        kLog.Warn("deleting pod", {{"pod", name}, {"error", st.error().message()}});
      }
    }
  }
  std::erase_if(reported_, [&](const auto& e) { return !current.contains(e.first); });
  std::erase_if(deleted_, [&](const auto& e) { return !current.contains(e.first); });
}

}  // namespace capstan::kubelet::status
