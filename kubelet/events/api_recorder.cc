#include "kubelet/events/api_recorder.h"

#include <fmt/format.h>

#include "api/k8s/meta.h"
#include "common/log.h"

namespace capstan::kubelet::events {
namespace {

const log::Logger kLog("events");
namespace res = api::k8s::client::resources;
using Json = api::k8s::client::Json;

constexpr size_t kMaxQueue = 1000;
constexpr auto kAggregationWindow = std::chrono::minutes(10);

}  // namespace

std::string ContainerFieldPath(const api::k8s::Pod& pod, const std::string& container) {
  for (const auto& c : pod.spec.init_containers) {
    if (c.name == container) return "spec.initContainers{" + container + "}";
  }
  return "spec.containers{" + container + "}";
}

ApiEventRecorder::ApiEventRecorder(api::k8s::client::ApiClient* api, std::string node_name,
                                   const Clock* clock)
    : api_(api), node_(std::move(node_name)), clock_(clock) {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_ && queue_.empty()) return;
      Pending p = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
      lock.unlock();
      Send(p);
      lock.lock();
      busy_ = false;
      cv_.notify_all();
    }
  });
}

ApiEventRecorder::~ApiEventRecorder() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ApiEventRecorder::Enqueue(Pending p) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= kMaxQueue) return;
    queue_.push_back(std::move(p));
  }
  cv_.notify_all();
}

void ApiEventRecorder::PodEvent(const api::k8s::Pod& pod, const std::string& field_path,
                                const std::string& type, const std::string& reason,
                                const std::string& message) {
  Json involved = {{"kind", "Pod"},
                   {"namespace", pod.metadata.namespace_},
                   {"name", pod.metadata.name},
                   {"uid", pod.metadata.uid},
                   {"apiVersion", "v1"}};
  if (!field_path.empty()) involved["fieldPath"] = field_path;
  Enqueue({involved, type, reason, message, clock_->Now()});
}

void ApiEventRecorder::NodeEvent(const std::string& type, const std::string& reason,
                                 const std::string& message) {
  // Upstream names the node by its name as uid too.
  Json involved = {{"kind", "Node"}, {"name", node_}, {"uid", node_}, {"apiVersion", "v1"}};
  Enqueue({involved, type, reason, message, clock_->Now()});
}

void ApiEventRecorder::Flush() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void ApiEventRecorder::Send(const Pending& p) {
  std::lock_guard send_lock(send_mu_);
  std::string ns = p.involved.value("namespace", "default");
  std::string key = fmt::format("{}|{}|{}|{}|{}", p.involved.value("uid", ""),
                                p.involved.value("fieldPath", ""), p.reason, p.message, p.type);
  std::string stamp = api::k8s::FormatTime(p.at);
  auto it = sent_.find(key);
  if (it != sent_.end() && p.at - it->second.last < kAggregationWindow) {
    Sent& s = it->second;
    Json patch = {{"count", s.count + 1}, {"lastTimestamp", stamp}};
    if (api_->Patch(res::kEvents, s.ns, s.name, api::k8s::client::PatchType::kMerge, patch, "")) {
      ++s.count;
      s.last = p.at;
      return;
    }
    sent_.erase(it);  // gone (expired or deleted): record it anew
  }
  auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(p.at.time_since_epoch()).count();
  std::string name = fmt::format("{}.{:x}", p.involved.value("name", "event"), nanos);
  Json event = {{"apiVersion", "v1"},
                {"kind", "Event"},
                {"metadata", {{"name", name}, {"namespace", ns}}},
                {"involvedObject", p.involved},
                {"reason", p.reason},
                {"message", p.message},
                {"type", p.type},
                {"source", {{"component", "kubelet"}, {"host", node_}}},
                {"firstTimestamp", stamp},
                {"lastTimestamp", stamp},
                {"count", 1},
                {"reportingComponent", "kubelet"},
                {"reportingInstance", node_}};
  auto created = api_->Create(res::kEvents, ns, event);
  if (!created) {
    kLog.Debug("event dropped", {{"reason", p.reason}, {"error", created.error().message()}});
    return;
  }
  if (sent_.size() > 4096) sent_.clear();  // bounded memory; an old series just starts anew
  sent_[key] = {ns, name, 1, p.at};
}

}  // namespace capstan::kubelet::events
