#include "kubelet/sources/api/api_source.h"

#include "api/k8s/client/reflector.h"
#include "api/k8s/codec.h"
#include "common/log.h"

namespace capstan::kubelet::sources {
namespace {

const log::Logger kLog("api-source");
namespace res = api::k8s::client::resources;

}  // namespace

ApiSource::ApiSource(api::k8s::client::ApiClient* api, std::string node_name, PodConfig* sink,
                     std::chrono::seconds watch_timeout)
    : api_(api), node_name_(std::move(node_name)), sink_(sink), watch_timeout_(watch_timeout) {}

ApiSource::~ApiSource() { Stop(); }

void ApiSource::Start() {
  thread_ = std::thread([this] {
    api::k8s::client::RunListWatchLoop(
        stopping_, [this] { return ListAndWatch(); },
        [](const Error& e) {
          kLog.Warn("watching this node's pods", {{"error", e.message()}});
        });
  });
}

void ApiSource::Stop() {
  stopping_ = true;
  api_->CancelWatches();
  if (thread_.joinable()) thread_.join();
}

void ApiSource::Apply(const std::string& type, const api::k8s::client::Json& object) {
  std::lock_guard lock(mu_);
  if (object.is_object() && object.contains("metadata")) {
    resource_version_ = object["metadata"].value("resourceVersion", resource_version_);
  }
  if (type == "BOOKMARK") return;
  std::string uid = object.is_object() ? object["metadata"].value("uid", "") : "";
  // Mirror pods stand for static pods this kubelet runs from its manifests: never run twice.
  bool mirror = object.is_object() && object["metadata"].contains("annotations") &&
                object["metadata"]["annotations"].contains(kConfigMirrorAnnotation);
  if (type == "DELETED" || mirror) {
    pods_.erase(uid);
    return;
  }
  auto pod = api::k8s::DecodePod(object);
  if (!pod) {
    kLog.Warn("skipping a pod that does not decode",
              {{"pod", object["metadata"].value("namespace", "") + "/" +
                           object["metadata"].value("name", "")},
               {"error", pod.error().message()}});
    pods_.erase(uid);
    return;
  }
  pod->metadata.annotations[kConfigSourceAnnotation] = kApiSource;
  pods_[pod->metadata.uid] = std::move(*pod);
}

void ApiSource::Publish() {
  std::vector<api::k8s::Pod> pods;
  {
    std::lock_guard lock(mu_);
    for (const auto& [uid, pod] : pods_) pods.push_back(pod);
  }
  sink_->SetSourcePods(kApiSource, std::move(pods));
}

Status ApiSource::ListAndWatch() {
  api::k8s::client::ListOptions options;
  options.field_selector = "spec.nodeName=" + node_name_;
  std::string from;
  {
    std::lock_guard lock(mu_);
    from = resource_version_;
  }
  if (from.empty()) {
    CAPSTAN_ASSIGN_OR_RETURN(auto list, api_->List(res::kPods, "", options));
    {
      std::lock_guard lock(mu_);
      pods_.clear();
    }
    for (const auto& item : list.value("items", api::k8s::client::Json::array())) {
      Apply("ADDED", item);
    }
    {
      std::lock_guard lock(mu_);
      resource_version_ = list["metadata"].value("resourceVersion", "");
      from = resource_version_;
    }
    Publish();
  }
  options.resource_version = from;
  options.timeout = watch_timeout_;
  auto st = api_->Watch(res::kPods, "", options, [this](const api::k8s::client::WatchEvent& e) {
    Apply(e.type, e.object);
    if (e.type != "BOOKMARK") Publish();
    return !stopping_.load();
  });
  if (!st) {
    // Too old, or broken: the next round lists again.
    std::lock_guard lock(mu_);
    resource_version_.clear();
  }
  return st;
}

}  // namespace capstan::kubelet::sources
