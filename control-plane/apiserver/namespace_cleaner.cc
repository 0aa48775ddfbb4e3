#include "control-plane/apiserver/namespace_cleaner.h"

#include "common/log.h"

namespace capstan::control_plane::apiserver {
namespace {
const log::Logger kLog("namespace-cleaner");
}

NamespaceCleaner::NamespaceCleaner(Registry* registry, const ResourceRegistry* resources,
                                   std::chrono::milliseconds period)
    : registry_(registry), resources_(resources), period_(period) {}

NamespaceCleaner::~NamespaceCleaner() { Stop(); }

void NamespaceCleaner::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      SyncOnce();
      lock.lock();
      cv_.wait_for(lock, period_, [this] { return stopping_; });
    }
  });
}

void NamespaceCleaner::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void NamespaceCleaner::SyncOnce() {
  auto namespaces = resources_->Find("", "v1", "namespaces");
  if (!namespaces) return;
  auto list = registry_->List(*namespaces, {});
  if (!list) return;
  for (const auto& ns : (*list)["items"]) {
    if (Lookup(ns, {"metadata", "deletionTimestamp"}).is_null()) continue;
    Clean(ns);
  }
}

bool NamespaceCleaner::Clean(const Json& ns) {
  std::string name = MetaString(ns, "name");
  bool empty = true;
  for (const auto& r : resources_->All()) {
    if (!r->namespaced || r->virtual_only) continue;
    ListQuery query;
    query.namespace_ = name;
    auto items = registry_->List(*r, query);
    if (!items) continue;
    for (const auto& item : (*items)["items"]) {
      empty = false;
      if (!Lookup(item, {"metadata", "deletionTimestamp"}).is_null()) continue;
      DeleteOptions options;
      options.propagation_policy = "Background";
      auto deleted = registry_->Delete(*r, name, MetaString(item, "name"), options);
      if (!deleted && deleted.error().code != 404) {
        kLog.Warn("deleting namespace content", {{"namespace", name},
                                                 {"object", MetaString(item, "name")},
                                                 {"error", deleted.error().message}});
      }
    }
  }
  const Json& finalizers = Lookup(ns, {"metadata", "finalizers"});
  if (!empty || (finalizers.is_array() && !finalizers.empty())) return false;
  auto namespaces = resources_->Find("", "v1", "namespaces");
  int64_t rv = std::stoll(MetaString(ns, "resourceVersion"));
  auto removed = registry_->store()->Delete(namespaces->StorageKey("", name), rv);
  if (removed) kLog.Info("namespace removed", {{"namespace", name}});
  return static_cast<bool>(removed);
}

}  // namespace capstan::control_plane::apiserver
