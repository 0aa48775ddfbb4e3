#include "api/k8s/client/event_recorder.h"

#include <fmt/format.h>
#include <unistd.h>

#include "common/log.h"

namespace capstan::api::k8s::client {
namespace {

const log::Logger kLog("events");

// "2026-12-04T10:00:00Z": events carry whole seconds, as the API's Time does.
std::string Timestamp(WallTime t) {
  std::string full = FormatRfc3339Nano(t);
  auto dot = full.find('.');
  return dot == std::string::npos ? full : full.substr(0, dot) + "Z";
}

}  // namespace

EventRecorder::EventRecorder(ApiClient* api, const Clock* clock, std::string component)
    : api_(api), clock_(clock), component_(std::move(component)) {
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  instance_ = component_ + "-" + host;
}

void EventRecorder::Record(const Json& object, const std::string& type, const std::string& reason,
                           const std::string& message) {
  const Json meta = object.value("metadata", Json::object());
  std::string ns = meta.value("namespace", "");
  if (ns.empty()) ns = "default";  // events about cluster-scoped objects
  std::string name = meta.value("name", "");
  std::string now = Timestamp(clock_->Now());
  std::string id = meta.value("uid", "") + "\n" + type + "\n" + reason + "\n" + message;

  std::lock_guard lock(mu_);                       // also keeps one object's events in order
  if (recorded_.size() > 4096) recorded_.clear();  // bounds what repeats are merged
  if (auto it = recorded_.find(id); it != recorded_.end()) {
    auto patched = api_->Patch(resources::kEvents, ns, it->second.name, PatchType::kMerge,
                               {{"count", it->second.count + 1}, {"lastTimestamp", now}}, "");
    if (patched) {
      ++it->second.count;
      return;
    }
    recorded_.erase(it);
  }
  std::string event_name = fmt::format("{}.{:016x}", name, rng_());
  Json event = {{"apiVersion", "v1"},
                {"kind", "Event"},
                {"metadata", {{"name", event_name}, {"namespace", ns}}},
                {"involvedObject",
                 {{"apiVersion", object.value("apiVersion", "")},
                  {"kind", object.value("kind", "")},
                  {"name", name},
                  {"uid", meta.value("uid", "")},
                  {"resourceVersion", meta.value("resourceVersion", "")}}},
                {"reason", reason},
                {"message", message},
                {"type", type},
                {"source", {{"component", component_}}},
                {"reportingComponent", component_},
                {"reportingInstance", instance_},
                {"firstTimestamp", now},
                {"lastTimestamp", now},
                {"count", 1}};
  if (!meta.value("namespace", "").empty()) {
    event["involvedObject"]["namespace"] = meta.value("namespace", "");
  }
  if (auto created = api_->Create(resources::kEvents, ns, event); !created) {
    kLog.Warn("recording an event", {{"reason", reason}, {"error", created.error().message()}});
    return;
  }
  recorded_[id] = {event_name, 1};
}

}  // namespace capstan::api::k8s::client
