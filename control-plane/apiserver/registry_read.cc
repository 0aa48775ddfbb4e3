// Registry: get, list (selectors, pages), delete of collections and watch.

#include <fmt/format.h>

#include "common/pki/base64.h"
#include "control-plane/apiserver/object_filter.h"
#include "control-plane/apiserver/registry.h"

namespace capstan::control_plane::apiserver {
namespace {

constexpr int64_t kListPageFromStore = 500;
constexpr auto kBookmarkInterval = std::chrono::seconds(60);

// The continue token: where the next page starts and the revision the list is read at.
std::string EncodeContinue(int64_t revision, const std::string& last_key) {
  return pki::Base64Encode(
      Json{{"v", "meta.k8s.io/v1"}, {"rv", revision}, {"start", last_key}}.dump());
}

std::optional<std::pair<int64_t, std::string>> DecodeContinue(const std::string& token,
                                                              const std::string& prefix) {
  if (token.size() > 16384) return std::nullopt;
  auto raw = pki::Base64Decode(token);
  if (!raw) return std::nullopt;
  Json j = Json::parse(*raw, nullptr, false);
  if (!j.is_object() || !j["rv"].is_number_integer() || !j["start"].is_string()) {
    return std::nullopt;
  }
  std::string start = j["start"];
  if (start.rfind(prefix, 0) != 0) return std::nullopt;  // a token of another list
  return std::make_pair(j["rv"].get<int64_t>(), start);
}

std::optional<int64_t> ParseRevision(const std::string& rv) {
  if (rv.empty()) return 0;
  try {
    size_t used = 0;
    int64_t v = std::stoll(rv, &used);
    if (used != rv.size() || v < 0) return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

std::string ListPrefix(const ResourceInfo& r, const std::string& ns) {
  return r.namespaced && !ns.empty() ? r.StoragePrefix() + ns + "/" : r.StoragePrefix();
}

}  // namespace

Json Registry::Decode(const ResourceInfo& r, const storage::KeyValue& kv) const {
  Json obj = Json::parse(kv.value, nullptr, false);
  if (!obj.is_object()) obj = Json::object();
  obj["apiVersion"] = r.GroupVersion();
  obj["kind"] = r.kind;
  obj["metadata"]["resourceVersion"] = std::to_string(kv.mod_revision);
  return obj;
}

ApiResult<Json> Registry::Get(const ResourceInfo& r, const std::string& ns,
                              const std::string& name) {
  auto kv = store_->Get(r.StorageKey(ns, name));
  if (!kv) return std::unexpected(FromStorageError(kv.error(), r.group, r.plural, name));
  return Decode(r, *kv);
}

ApiResult<Json> Registry::List(const ResourceInfo& r, const ListQuery& query) {
  auto filter = ObjectFilter::Make(r, query.label_selector, query.field_selector);
  if (!filter) return std::unexpected(filter.error());
  std::string prefix = ListPrefix(r, query.namespace_);
  storage::ListOptions opts;
  if (!query.continue_token.empty()) {
    auto token = DecodeContinue(query.continue_token, prefix);
    if (!token) return std::unexpected(BadRequestError("continue key is not valid"));
    opts.revision = token->first;
    opts.start_after = token->second;
  }
  Json items = Json::array();
  std::string last_key;
  bool more = false;
  int64_t revision = 0;
  while (true) {
    opts.limit = query.limit > 0 ? std::max<int64_t>(query.limit, kListPageFromStore) : 0;
    auto page = store_->List(prefix, opts);
    if (!page) {
      if (page.error().code() == Code::kOutOfRange) {
        ApiError e = GoneError(
            "The provided continue parameter is too old to display a consistent list result. "
            "You can start a new list without the continue parameter, or use the continue "
            "token in this response to retrieve the remainder of the results. Continuing "
            "with the provided token results in an inconsistent list - objects that were "
            "created, modified, or deleted between the time the first chunk was returned and "
            "now may show up in the list.");
        return std::unexpected(e);
      }
      return std::unexpected(InternalError(page.error().message()));
    }
    revision = page->revision;
    opts.revision = revision;  // later pages read the same snapshot
    for (auto& kv : page->items) {
      last_key = kv.key;
      Json obj = Decode(r, kv);
      if (!filter->Matches(obj)) continue;
      items.push_back(std::move(obj));
      if (query.limit > 0 && static_cast<int64_t>(items.size()) >= query.limit) {
        more = &kv != &page->items.back() || page->more;
        break;
      }
    }
    if (more || !page->more ||
        (query.limit > 0 && static_cast<int64_t>(items.size()) >= query.limit)) {
      break;
    }
    opts.start_after = last_key;
  }
  Json list = {{"apiVersion", r.GroupVersion()},
               {"kind", r.kind + "List"},
               {"metadata", {{"resourceVersion", std::to_string(revision)}}},
               {"items", std::move(items)}};
  if (more) list["metadata"]["continue"] = EncodeContinue(revision, last_key);
  return list;
}

ApiResult<Json> Registry::DeleteCollection(const ResourceInfo& r, const ListQuery& query,
                                           const DeleteOptions& options) {
  ListQuery all = query;
  all.limit = 0;
  all.continue_token.clear();
  auto list = List(r, all);
  if (!list) return list;
  Json deleted = Json::array();
  for (const auto& item : (*list)["items"]) {
    auto result = Delete(r, MetaString(item, "namespace"), MetaString(item, "name"), options);
    if (!result) {
      if (result.error().code == 404) continue;  // gone meanwhile
      return std::unexpected(result.error());
    }
    deleted.push_back(result->object);
  }
  (*list)["items"] = std::move(deleted);
  return list;
}

ApiResult<void> Registry::Watch(const ResourceInfo& r, const WatchQuery& query,
                                const std::function<bool(const WatchEventOut&)>& sink,
                                const std::function<bool()>& stop,
                                const std::function<void()>& established) {
  std::string field_selector = query.field_selector;
  if (!query.name.empty()) {
    field_selector +=
        (field_selector.empty() ? "" : ",") + std::string("metadata.name=") + query.name;
  }
  auto filter = ObjectFilter::Make(r, query.label_selector, field_selector);
  if (!filter) return std::unexpected(filter.error());
  auto start = ParseRevision(query.resource_version);
  if (!start) {
    return std::unexpected(
        BadRequestError(fmt::format("invalid resource version: {}", query.resource_version)));
  }
  std::string prefix = ListPrefix(r, query.namespace_);
  int64_t from = *start;
  if (from == 0) {
    // No resourceVersion: the current objects first, as ADDED, then what follows.
    auto page = store_->List(prefix, {});
    if (!page) return std::unexpected(InternalError(page.error().message()));
    from = page->revision;
    for (const auto& kv : page->items) {
      Json obj = Decode(r, kv);
      if (filter->Matches(obj) && !sink({"ADDED", std::move(obj)})) return {};
    }
  }
  auto watch = store_->WatchPrefix(prefix, from);
  auto too_old = [&](int64_t rv) {
    ApiError e = GoneError(
        fmt::format("too old resource version: {} ({})", rv, store_->CompactedRevision() + 1));
    sink({"ERROR", e.ToStatus()});
  };
  if (!watch) {
    if (watch.error().code() == Code::kOutOfRange) {
      too_old(from);
      return {};
    }
    return std::unexpected(InternalError(watch.error().message()));
  }
  if (established) established();
  auto deadline = std::chrono::steady_clock::now() + query.timeout;
  auto next_bookmark = std::chrono::steady_clock::now() + kBookmarkInterval;
  int64_t last_revision = from;
  while (!stop() && std::chrono::steady_clock::now() < deadline) {
    auto events = (*watch)->Next(std::chrono::milliseconds(500));
    if (!events) {
      if (events.error().code() == Code::kOutOfRange) too_old(last_revision);
      return {};
    }
    for (auto& ev : *events) {
      last_revision = ev.revision;
      Json obj = Decode(r, ev.kv);
      bool now_matches = ev.type != storage::EventType::kDeleted && filter->Matches(obj);
      bool matched_before = false;
      if (ev.prev) {
        Json prev = Decode(r, *ev.prev);
        matched_before = filter->Matches(prev);
      }
      std::string type;
      if (ev.type == storage::EventType::kDeleted) {
        if (!matched_before && !filter->Matches(obj)) continue;
        type = "DELETED";
      } else if (now_matches) {
        type = matched_before ? "MODIFIED" : "ADDED";
      } else if (matched_before) {
        type = "DELETED";  // it left the selection
      } else {
        continue;
      }
      if (!sink({type, std::move(obj)})) return {};
    }
    if (query.allow_bookmarks && std::chrono::steady_clock::now() >= next_bookmark) {
      next_bookmark = std::chrono::steady_clock::now() + kBookmarkInterval;
      Json bookmark = {{"apiVersion", r.GroupVersion()},
                       {"kind", r.kind},
                       {"metadata", {{"resourceVersion", std::to_string(last_revision)}}}};
      if (!sink({"BOOKMARK", std::move(bookmark)})) return {};
    }
  }
  return {};
}

}  // namespace capstan::control_plane::apiserver
