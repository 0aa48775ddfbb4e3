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

void Reflector::AddEventHandler(EventHandler handler) { handlers_.push_back(std::move(handler)); }

void Reflector::ForEach(const std::function<void(const Json& object)>& visit) const {
  std::lock_guard lock(mu_);
  for (const auto& [key, object] : objects_) visit(object);
}

void Reflector::Deliver(const std::vector<Delivery>& deliveries) {
  for (const auto& d : deliveries) {
    for (const auto& h : handlers_) {
      try {
        if (d.kind == Delivery::kAdd && h.on_add) h.on_add(d.object);
        if (d.kind == Delivery::kUpdate && h.on_update) h.on_update(d.old_object, d.object);
        if (d.kind == Delivery::kDelete && h.on_delete) h.on_delete(d.object);
      } catch (const std::exception& e) {
        // One malformed object must not stop the others' delivery (nor the process).
        kLog.Warn("event handler failed", {{"resource", resource_.plural}, {"error", e.what()}});
      }
    }
  }
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

std::optional<Reflector::Delivery> Reflector::Apply(const std::string& type, const Json& object) {
  if (!object.is_object()) return std::nullopt;
  std::lock_guard lock(mu_);
  resource_version_ =
      object.value("metadata", Json::object()).value("resourceVersion", resource_version_);
  if (type == "BOOKMARK" || type == "ERROR") return std::nullopt;
  std::string key = KeyOf(object);
  auto it = objects_.find(key);
  if (type == "DELETED") {
    if (it == objects_.end()) return std::nullopt;
    Json last = std::move(it->second);
    objects_.erase(it);
    return Delivery{Delivery::kDelete, {}, std::move(last)};
  }
  if (it == objects_.end()) {
    objects_.emplace(key, object);
    return Delivery{Delivery::kAdd, {}, object};
  }
  Json old = std::exchange(it->second, object);
  return Delivery{Delivery::kUpdate, std::move(old), object};
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
    std::vector<Delivery> deliveries;
    {
      std::lock_guard lock(mu_);
      std::map<std::string, Json> listed;
      if (list.is_object() && list["items"].is_array()) {
        for (auto& item : list["items"]) {
          if (!item.is_object()) continue;
          std::string key = KeyOf(item);  // before the move: `=` evaluates its right first
          listed[key] = std::move(item);
        }
      }
      // What changed while nobody watched: the handlers hear it as events.
      for (const auto& [key, object] : objects_) {
        if (!listed.contains(key)) deliveries.push_back({Delivery::kDelete, {}, object});
      }
      for (const auto& [key, object] : listed) {
        auto old = objects_.find(key);
        if (old == objects_.end()) {
          deliveries.push_back({Delivery::kAdd, {}, object});
        } else if (old->second != object) {
          deliveries.push_back({Delivery::kUpdate, old->second, object});
        }
      }
      objects_ = std::move(listed);
      resource_version_ = list.value("metadata", Json::object()).value("resourceVersion", "");
      from = resource_version_;
      synced_ = true;
    }
    Deliver(deliveries);
    if (on_change_) on_change_();
  }
  options.resource_version = from;
  options.timeout = watch_timeout_;
  auto st = api_->Watch(resource_, ns_, options, [this](const WatchEvent& e) {
    if (auto delivery = Apply(e.type, e.object)) {
      Deliver({*delivery});
      if (on_change_) on_change_();
    }
    return !stopping_.load();
  });
  if (!st) {
    std::lock_guard lock(mu_);
    resource_version_.clear();  // too old, or broken: the next round lists again
  }
  return st;
}

}  // namespace capstan::api::k8s::client
