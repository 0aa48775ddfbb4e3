#include "api/k8s/client/fake_api_client.h"

#include <fmt/format.h>

#include <random>

#include "api/k8s/meta.h"
#include "api/k8s/patch/json_patch.h"
#include "api/k8s/patch/merge_patch.h"
#include "api/k8s/patch/patch_meta.h"
#include "api/k8s/patch/strategic_merge_patch.h"

namespace capstan::api::k8s::client {
namespace {

std::string Uid() {
  static std::mt19937_64 rng(std::random_device{}());
  uint64_t a = rng(), b = rng();
  return fmt::format("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", a >> 32, (a >> 16) & 0xffff,
                     a & 0xfff, b >> 52, b & 0xffffffffffffULL);
}

const Json& Path(const Json& obj, const std::string& dotted) {
  static const Json kNull;
  const Json* cur = &obj;
  size_t start = 0;
  while (start <= dotted.size()) {
    size_t end = std::min(dotted.find('.', start), dotted.size());
    std::string part = dotted.substr(start, end - start);
    if (!cur->is_object() || !cur->contains(part)) return kNull;
    cur = &(*cur)[part];
    start = end + 1;
  }
  return *cur;
}

std::string Text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

// k=v,k!=v: every term must hold. Labels look in metadata.labels; fields at their path.
bool Matches(const Json& obj, const std::string& selector, bool labels) {
  size_t start = 0;
  while (start < selector.size()) {
    size_t end = std::min(selector.find(',', start), selector.size());
    std::string term = selector.substr(start, end - start);
    start = end + 1;
    bool negate = term.find("!=") != std::string::npos;
    size_t op = negate ? term.find("!=") : term.find('=');
    if (op == std::string::npos) continue;
    std::string key = term.substr(0, op);
    std::string want = term.substr(op + (negate ? 2 : term.compare(op, 2, "==") == 0 ? 2 : 1));
    const Json& value = labels ? Path(obj, "metadata.labels").value(key, Json()) : Path(obj, key);
    if ((Text(value) == want) == negate) return false;
  }
  return true;
}

std::string NameOf(const Json& obj) { return Text(Path(obj, "metadata.name")); }

}  // namespace

std::string FakeApiClient::Key(const Resource& r, const std::string& ns, const std::string& name) {
  return r.group + "/" + r.plural + "/" + (r.namespaced ? ns : "") + "/" + name;
}

std::optional<Error> FakeApiClient::Injected(const std::string& verb) {
  auto it = failures_.find(verb);
  if (it == failures_.end()) return std::nullopt;
  Error e = it->second.first;
  if (--it->second.second <= 0) failures_.erase(it);
  return e;
}

void FakeApiClient::Record(const std::string& verb, const Resource& r, const std::string& ns,
                           const std::string& name, const std::string& sub) {
  std::string target = ns.empty() ? name : ns + "/" + name;
  if (!sub.empty()) target += "/" + sub;
  calls_.push_back(fmt::format("{} {} {}", verb, r.plural, target));
}

Result<Json> FakeApiClient::Store(const std::string& key, Json object, const char* event_type) {
  object["metadata"]["resourceVersion"] = std::to_string(++revision_);
  objects_[key] = {object, revision_};
  changes_.push_back({revision_, key, {event_type, object}});
  changed_.notify_all();
  return object;
}

Result<Json> FakeApiClient::StoreOrFinish(const std::string& key, Json object) {
  const Json& before = objects_.at(key).object;
  auto has_finalizers = [](const Json& o) {
    const Json& f = o["metadata"].value("finalizers", Json());
    return f.is_array() && !f.empty();
  };
  if (!object["metadata"].contains("deletionTimestamp") || !has_finalizers(before) ||
      has_finalizers(object)) {
    return Store(key, std::move(object), "MODIFIED");
  }
  objects_.erase(key);
  object["metadata"]["resourceVersion"] = std::to_string(++revision_);
  changes_.push_back({revision_, key, {"DELETED", object}});
  changed_.notify_all();
  return object;
}

Result<Json> FakeApiClient::Get(const Resource& r, const std::string& ns, const std::string& name) {
  std::lock_guard lock(mu_);
  Record("get", r, ns, name);
  if (auto e = Injected("get")) return std::unexpected(*e);
  auto it = objects_.find(Key(r, ns, name));
  if (it == objects_.end()) return Fail(Code::kNotFound, "{} \"{}\" not found", r.plural, name);
  return it->second.object;
}

Result<Json> FakeApiClient::List(const Resource& r, const std::string& ns,
                                 const ListOptions& options) {
  std::lock_guard lock(mu_);
  Record("list", r, ns, "");
  if (auto e = Injected("list")) return std::unexpected(*e);
  std::string prefix = r.group + "/" + r.plural + "/" + (ns.empty() ? "" : ns + "/");
  Json items = Json::array();
  for (const auto& [key, stored] : objects_) {
    if (key.rfind(prefix, 0) != 0) continue;
    if (!Matches(stored.object, options.label_selector, true) ||
        !Matches(stored.object, options.field_selector, false)) {
      continue;
    }
    items.push_back(stored.object);
  }
  return Json{{"kind", "List"},
              {"apiVersion", "v1"},
              {"metadata", {{"resourceVersion", std::to_string(revision_)}}},
              {"items", items}};
}

Result<Json> FakeApiClient::Create(const Resource& r, const std::string& ns, const Json& object) {
  std::lock_guard lock(mu_);
  Record("create", r, ns, NameOf(object));
  if (auto e = Injected("create")) return std::unexpected(*e);
  std::string name = NameOf(object);
  Json obj = object;
  // generateName: the prefix and a counter (the server adds 5 random characters).
  if (name.empty() && obj.contains("metadata") && obj["metadata"].is_object() &&
      obj["metadata"].value("generateName", "") != "") {
    name = obj["metadata"].value("generateName", "") + fmt::format("{:05d}", ++generated_);
    obj["metadata"]["name"] = name;
  }
  if (name.empty()) return Fail(Code::kInvalidArgument, "metadata.name: Required value");
  std::string key = Key(r, ns, name);
  if (objects_.count(key) != 0) {
    return Fail(Code::kAlreadyExists, "{} \"{}\" already exists", r.plural, name);
  }
  if (r.namespaced) obj["metadata"]["namespace"] = ns;
  obj["metadata"]["uid"] = Uid();
  if (!obj["metadata"].contains("generation")) obj["metadata"]["generation"] = 1;
  // A test may give an object its age; the server would stamp it.
  if (!obj["metadata"].contains("creationTimestamp")) {
    obj["metadata"]["creationTimestamp"] = FormatTime(WallNow());
  }
  return Store(key, std::move(obj), "ADDED");
}

Result<Json> FakeApiClient::CreateSubresource(const Resource& r, const std::string& ns,
                                              const std::string& name,
                                              const std::string& subresource, const Json& object) {
  SubresourceHandler handler;
  {
    std::lock_guard lock(mu_);
    Record("create", r, ns, name, subresource);
    if (auto e = Injected("create")) return std::unexpected(*e);
    auto it = subresource_handlers_.find(r.plural + "/" + subresource);
    if (it == subresource_handlers_.end()) {
      return Fail(Code::kUnimplemented, "the fake has no handler for {}/{}", r.plural, subresource);
    }
    handler = it->second;
  }
  return handler(ns, name, object);  // unlocked: a handler may call the fake
}

void FakeApiClient::HandleSubresource(const std::string& plural_and_subresource,
                                      SubresourceHandler handler) {
  std::lock_guard lock(mu_);
  subresource_handlers_[plural_and_subresource] = std::move(handler);
}

Result<Json> FakeApiClient::Update(const Resource& r, const std::string& ns,
                                   const std::string& name, const Json& object,
                                   const std::string& subresource) {
  std::lock_guard lock(mu_);
  Record("update", r, ns, name, subresource);
  if (auto e = Injected("update")) return std::unexpected(*e);
  std::string key = Key(r, ns, name);
  auto it = objects_.find(key);
  if (it == objects_.end()) return Fail(Code::kNotFound, "{} \"{}\" not found", r.plural, name);
  std::string wanted = Text(Path(object, "metadata.resourceVersion"));
  if (!wanted.empty() && wanted != std::to_string(it->second.revision)) {
    return Fail(Code::kFailedPrecondition,
                "Operation cannot be fulfilled on {} \"{}\": the object has been modified",
                r.plural, name);
  }
  Json next = it->second.object;
  if (subresource == "status") {
    next["status"] = object.value("status", Json());
  } else {
    Json meta = next["metadata"];
    next = object;
    for (const char* f : {"uid", "creationTimestamp", "namespace", "name"}) {
      if (meta.contains(f)) next["metadata"][f] = meta[f];
    }
    if (it->second.object.contains("status")) next["status"] = it->second.object["status"];
  }
  return StoreOrFinish(key, std::move(next));
}

Result<Json> FakeApiClient::Patch(const Resource& r, const std::string& ns, const std::string& name,
                                  PatchType type, const Json& patch,
                                  const std::string& subresource) {
  std::lock_guard lock(mu_);
  Record("patch", r, ns, name, subresource);
  if (auto e = Injected("patch")) return std::unexpected(*e);
  std::string key = Key(r, ns, name);
  auto it = objects_.find(key);
  if (it == objects_.end()) return Fail(Code::kNotFound, "{} \"{}\" not found", r.plural, name);
  const Json& current = it->second.object;
  Result<Json> patched = Json();
  switch (type) {
    case PatchType::kMerge: patched = patch::ApplyMergePatch(current, patch); break;
    case PatchType::kJson: patched = patch::ApplyJsonPatch(current, patch); break;
    case PatchType::kStrategic:
      patched = patch::ApplyStrategicMergePatch(
          current, patch,
          patch::PatchMetaFor(r.group, r.version, Text(current.value("kind", Json()))));
      break;
  }
  if (!patched) return std::unexpected(patched.error());
  Json next = std::move(*patched);
  if (subresource == "status") {
    Json only_status = current;
    only_status["status"] = next.value("status", Json());
    next = std::move(only_status);
  }
  next["metadata"]["uid"] = current["metadata"]["uid"];
  return StoreOrFinish(key, std::move(next));
}

Status FakeApiClient::Delete(const Resource& r, const std::string& ns, const std::string& name,
                             int64_t grace_seconds, const std::string& propagation) {
  std::lock_guard lock(mu_);
  Record("delete", r, ns, name);
  if (auto e = Injected("delete")) return std::unexpected(*e);
  std::string key = Key(r, ns, name);
  auto it = objects_.find(key);
  if (it == objects_.end()) return Fail(Code::kNotFound, "{} \"{}\" not found", r.plural, name);
  Json marked = it->second.object;
  if (!marked["metadata"]["finalizers"].is_array())
    marked["metadata"]["finalizers"] = Json::array();
  if (propagation == "Foreground") marked["metadata"]["finalizers"].push_back("foregroundDeletion");
  if (!marked["metadata"]["finalizers"].empty()) {
    // Finalizers hold it: marked as being deleted, it stays until the last one is removed.
    if (!marked["metadata"].contains("deletionTimestamp")) {
      marked["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
    }
    if (auto stored = Store(key, marked, "MODIFIED"); !stored) {
      return std::unexpected(stored.error());
    }
    return Ok();
  }
  Json last = it->second.object;
  objects_.erase(it);
  last["metadata"]["resourceVersion"] = std::to_string(++revision_);
  changes_.push_back({revision_, key, {"DELETED", last}});
  changed_.notify_all();
  return Ok();
}

Status FakeApiClient::Watch(const Resource& r, const std::string& ns, const ListOptions& options,
                            const std::function<bool(const WatchEvent&)>& on_event) {
  std::unique_lock lock(mu_);
  Record("watch", r, ns, "");
  if (auto e = Injected("watch")) return std::unexpected(*e);
  std::string prefix = r.group + "/" + r.plural + "/" + (ns.empty() ? "" : ns + "/");
  auto wanted = [&](const Json& obj) {
    return Matches(obj, options.label_selector, true) &&
           Matches(obj, options.field_selector, false);
  };
  int64_t after = 0;
  std::vector<WatchEvent> initial;
  if (options.resource_version.empty() || options.resource_version == "0") {
    for (const auto& [key, stored] : objects_) {
      if (key.rfind(prefix, 0) == 0 && wanted(stored.object)) {
        initial.push_back({"ADDED", stored.object});
      }
    }
    after = revision_;
  } else {
    after = std::stoll(options.resource_version);
  }
  for (const auto& e : initial) {
    lock.unlock();
    bool more = on_event(e);
    lock.lock();
    if (!more) return Ok();
  }
  while (!stopping_) {
    // What this pass has seen; changes made while a handler runs unlocked wake the next pass.
    int64_t scanned = revision_;
    std::vector<WatchEvent> pending;
    for (const auto& c : changes_) {
      if (c.revision > after && c.key.rfind(prefix, 0) == 0 && wanted(c.event.object)) {
        pending.push_back(c.event);
      }
      if (c.revision > after) after = std::max(after, c.revision);
    }
    for (const auto& e : pending) {
      lock.unlock();
      bool more = on_event(e);
      lock.lock();
      if (!more) return Ok();
    }
    changed_.wait(lock, [&] { return stopping_ || revision_ != scanned; });
  }
  return Ok();
}

void FakeApiClient::StopWatches() {
  std::lock_guard lock(mu_);
  stopping_ = true;
  changed_.notify_all();
}

void FakeApiClient::FailNext(const std::string& verb, Error error, int times) {
  std::lock_guard lock(mu_);
  failures_.insert_or_assign(verb, std::make_pair(std::move(error), times));
}

std::vector<std::string> FakeApiClient::Calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

void FakeApiClient::ClearCalls() {
  std::lock_guard lock(mu_);
  calls_.clear();
}

}  // namespace capstan::api::k8s::client
