#include "api/k8s/client/reflector.h"

#include "common/log.h"

namespace capstan::api::k8s::client {
namespace {

const log::Logger kLog("reflector");

std::string KeyOf(const Json& object) {
  const Json& meta = object.value("metadata", Json::object());
  return meta.value("namespace", "") + "/" + meta.value("name", "");
}

}  // namespace

Reflector::Reflector(ApiClient* api, Resource resource, std::string ns, ListOptions options,
                     std::function<void()> on_change, std::chrono::seconds watch_timeout)
    : api_(api),
      resource_(std::move(resource)),
      ns_(std::move(ns)),
      options_(std::move(options)),
      on_change_(std::move(on_change)),
      watch_timeout_(watch_timeout) {}

Reflector::~Reflector() { Stop(); }

void RunListWatchLoop(const std::atomic<bool>& stopping, const std::function<Status()>& round,
                      const std::function<void(const Error&)>& on_error) {
  auto backoff = std::chrono::milliseconds(500);
  while (!stopping) {
    auto started = std::chrono::steady_clock::now();
    auto st = round();
    if (st || stopping) {
      backoff = std::chrono::milliseconds(500);
      // A round that ends at once (watches cancelled under it) must not spin.
      if (std::chrono::steady_clock::now() - started < std::chrono::milliseconds(100)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      continue;
    }
    on_error(st.error());
    for (auto slept = std::chrono::milliseconds(0); slept < backoff && !stopping;
         slept += std::chrono::milliseconds(100)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    backoff = std::min(backoff * 2, std::chrono::milliseconds(10000));
  }
}

void Reflector::Start() {
  thread_ = std::thread([this] {
    RunListWatchLoop(
        stopping_, [this] { return ListAndWatch(); },
        [this](const Error& e) {
          kLog.Warn("list and watch", {{"resource", resource_.plural}, {"error", e.message()}});
        });
  });
}

void Reflector::Stop() {
  if (stopping_.exchange(true)) return;
  api_->CancelWatches();
  if (thread_.joinable()) thread_.join();
}

bool Reflector::Synced() const {
  std::lock_guard lock(mu_);
  return synced_;
}

std::optional<Json> Reflector::Get(const std::string& ns, const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = objects_.find(ns + "/" + name);
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

std::vector<Json> Reflector::List() const {
  std::lock_guard lock(mu_);
  std::vector<Json> out;
  for (const auto& [key, object] : objects_) out.push_back(object);
  return out;
}

void Reflector::Apply(const std::string& type, const Json& object) {
  if (!object.is_object()) return;
  std::lock_guard lock(mu_);
  resource_version_ =
      object.value("metadata", Json::object()).value("resourceVersion", resource_version_);
  if (type == "BOOKMARK") return;
  if (type == "DELETED") {
    objects_.erase(KeyOf(object));
  } else {
    objects_[KeyOf(object)] = object;
  }
}

Status Reflector::ListAndWatch() {
  ListOptions options = options_;
  std::string from;
  {
    std::lock_guard lock(mu_);
    from = resource_version_;
  }
  if (from.empty()) {
    CAPSTAN_ASSIGN_OR_RETURN(Json list, api_->List(resource_, ns_, options));
    {
      std::lock_guard lock(mu_);
      objects_.clear();
      for (const auto& item : list.value("items", Json::array())) objects_[KeyOf(item)] = item;
      resource_version_ = list.value("metadata", Json::object()).value("resourceVersion", "");
      from = resource_version_;
      synced_ = true;
    }
    if (on_change_) on_change_();
  }
  options.resource_version = from;
  options.timeout = watch_timeout_;
  auto st = api_->Watch(resource_, ns_, options, [this](const WatchEvent& e) {
    Apply(e.type, e.object);
    if (e.type != "BOOKMARK" && on_change_) on_change_();
    return !stopping_.load();
  });
  if (!st) {
    std::lock_guard lock(mu_);
    resource_version_.clear();  // too old, or broken: the next round lists again
  }
  return st;
}

}  // namespace capstan::api::k8s::client
