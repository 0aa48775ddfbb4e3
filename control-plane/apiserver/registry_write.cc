// Registry: create, update and delete (the reads and watch are in registry_read.cc).

#include <fmt/format.h>

#include "api/k8s/validation.h"
#include "control-plane/apiserver/crds.h"
#include "control-plane/apiserver/metadata_validation.h"
#include "control-plane/apiserver/registry.h"
#include "control-plane/apiserver/strategy.h"

namespace capstan::control_plane::apiserver {
namespace {

constexpr int kMaxConflictRetries = 16;
constexpr int kMaxGenerateNameAttempts = 8;

// The parts of an object a generation bump looks at: everything but metadata and status.
Json SpecPart(const Json& obj) {
  Json out = obj;
  if (out.is_object()) {
    out.erase("metadata");
    out.erase("status");
  }
  return out;
}

// Metadata only the server sets on create.
void ResetServerOwnedMetadata(Json& meta) {
  for (const char* f : {"resourceVersion", "uid", "selfLink", "deletionTimestamp",
                        "deletionGracePeriodSeconds", "managedFields", "creationTimestamp"}) {
    meta.erase(f);
  }
}

bool HasFinalizer(const Json& obj, const std::string& name) {
  const Json& list = Lookup(obj, {"metadata", "finalizers"});
  if (!list.is_array()) return false;
  for (const auto& f : list) {
    if (f.is_string() && f.get<std::string>() == name) return true;
  }
  return false;
}

bool HasFinalizers(const Json& obj) {
  const Json& list = Lookup(obj, {"metadata", "finalizers"});
  return list.is_array() && !list.empty();
}

// A custom resource against its CRD's schema (metadata is the registry's own check).
std::vector<FieldCause> ValidateCustom(const ResourceInfo& r, const Json& obj) {
  if (!r.custom || !r.custom_schema) return {};
  Json body = obj;
  body.erase("metadata");
  body.erase("apiVersion");
  body.erase("kind");
  Json schema = *r.custom_schema;
  if (schema.contains("properties")) {
    for (const char* f : {"metadata", "apiVersion", "kind"}) schema["properties"].erase(f);
  }
  if (schema.contains("required")) {
    Json required = Json::array();
    for (const auto& f : schema["required"]) {
      if (f != "metadata" && f != "apiVersion" && f != "kind") required.push_back(f);
    }
    schema["required"] = required;
  }
  return ValidateAgainstSchema(schema, body, "");
}

}  // namespace

Registry::Registry(storage::Store* store, const Clock* clock) : store_(store), clock_(clock) {}

ApiResult<void> Registry::CheckNamespaceActive(const ResourceInfo& r, const std::string& ns) {
  if (!r.namespaced) return {};
  auto kv = store_->Get("/registry/core/namespaces/" + ns);
  if (!kv) {
    if (kv.error().code() == Code::kNotFound) {
      return std::unexpected(NotFoundError("", "namespaces", ns));
    }
    return std::unexpected(InternalError(kv.error().message()));
  }
  Json nsobj = Json::parse(kv->value, nullptr, false);
  if (!Lookup(nsobj, {"metadata", "deletionTimestamp"}).is_null()) {
    ApiError e = ForbiddenError(r.group, r.plural, "",
                                fmt::format("unable to create new content in namespace {} "
                                            "because it is being terminated",
                                            ns));
    e.message = fmt::format(
        "{} is forbidden: unable to create new content in namespace {} "
        "because it is being terminated",
        QualifiedResource(r.group, r.plural), ns);
    return std::unexpected(e);
  }
  return {};
}

ApiResult<Json> Registry::Store(const ResourceInfo& r, const std::string& key, const Json& obj,
                                int64_t expected_revision, const std::string& name) {
  Json stored = obj;
  stored["metadata"].erase("resourceVersion");
  auto kv = expected_revision == 0 ? store_->Create(key, stored.dump())
                                   : store_->Update(key, stored.dump(), expected_revision);
  if (!kv) return std::unexpected(FromStorageError(kv.error(), r.group, r.plural, name));
  Json out = Decode(r, *kv);
  Notify(r, out, false);
  return out;
}

ApiResult<Json> Registry::Create(const ResourceInfo& r, const std::string& ns, Json obj,
                                 bool dry_run) {
  if (!obj.is_object()) return std::unexpected(BadRequestError("the body must be an object"));
  if (auto st = CheckTypeMeta(r, obj); !st) return std::unexpected(st.error());
  Json& meta = obj["metadata"];
  if (!meta.is_object()) meta = Json::object();
  if (r.namespaced) {
    std::string body_ns = StringOr(meta.value("namespace", Json()));
    if (!body_ns.empty() && body_ns != ns) {
      return std::unexpected(BadRequestError(
          "the namespace of the provided object does not match the namespace sent on the "
          "request"));
    }
    meta["namespace"] = ns;
  } else {
    meta.erase("namespace");
  }
  ResetServerOwnedMetadata(meta);
  bool generated = StringOr(meta.value("name", Json())).empty() &&
                   !StringOr(meta.value("generateName", Json())).empty();
  if (auto st = CheckNamespaceActive(r, ns); !st) return std::unexpected(st.error());

  meta["uid"] = NewUid();
  meta["creationTimestamp"] = FormatApiTime(clock_->Now());
  if (obj.contains("spec") || r.custom) meta["generation"] = 1;
  const Strategy& strategy = StrategyFor(r);
  strategy.PrepareForCreate(obj);
  if (admission_) {
    if (auto admitted = admission_(r, obj); !admitted) return std::unexpected(admitted.error());
  }

  for (int attempt = 0;; ++attempt) {
    if (generated) {
      meta["name"] = StringOr(meta["generateName"]) + RandomNameSuffix();
    }
    std::string name = StringOr(meta.value("name", Json()));
    std::vector<FieldCause> causes = ValidateObjectMeta(r, obj);
    for (auto& c : strategy.Validate(obj)) causes.push_back(std::move(c));
    for (auto& c : ValidateCustom(r, obj)) causes.push_back(std::move(c));
    if (!causes.empty()) return std::unexpected(InvalidError(r.group, r.kind, name, causes));
    if (dry_run) return obj;
    auto stored = Store(r, r.StorageKey(ns, name), obj, 0, name);
    if (stored || !generated || stored.error().code != 409 ||
        attempt + 1 >= kMaxGenerateNameAttempts) {
      return stored;
    }
  }
}

ApiResult<Json> Registry::Update(const ResourceInfo& r, const std::string& ns,
                                 const std::string& name, Json obj, const std::string& subresource,
                                 bool dry_run) {
  if (!obj.is_object()) return std::unexpected(BadRequestError("the body must be an object"));
  std::string body_name = MetaString(obj, "name");
  if (!body_name.empty() && body_name != name) {
    return std::unexpected(BadRequestError(fmt::format(
        "the name of the object ({}) does not match the name on the URL ({})", body_name, name)));
  }
  std::string wanted_rv = MetaString(obj, "resourceVersion");
  // An update without a resourceVersion is unconditional, as upstream allows for every
  // built-in kind: it still cannot lose a concurrent write, as the retry re-reads.
  return GuaranteedUpdate(
      r, ns, name, subresource, dry_run, [&](const Json& current) -> ApiResult<Json> {
        Json next = obj;
        if (wanted_rv.empty()) {
          next["metadata"]["resourceVersion"] = MetaString(current, "resourceVersion");
        }
        return next;
      });
}

ApiResult<Json> Registry::GuaranteedUpdate(
    const ResourceInfo& r, const std::string& ns, const std::string& name,
    const std::string& subresource, bool dry_run,
    const std::function<ApiResult<Json>(const Json&)>& mutate) {
  const Strategy& strategy = StrategyFor(r);
  std::string key = r.StorageKey(ns, name);
  for (int attempt = 0; attempt < kMaxConflictRetries; ++attempt) {
    auto kv = store_->Get(key);
    if (!kv) return std::unexpected(FromStorageError(kv.error(), r.group, r.plural, name));
    Json current = Decode(r, *kv);
    auto mutated = mutate(current);
    if (!mutated) return mutated;
    Json obj = std::move(*mutated);
    if (!obj.is_object()) return std::unexpected(BadRequestError("the body must be an object"));
    if (auto st = CheckTypeMeta(r, obj); !st) return std::unexpected(st.error());

    // The caller's precondition: the resourceVersion it read.
    std::string wanted_rv = MetaString(obj, "resourceVersion");
    if (wanted_rv.empty()) {
      return std::unexpected(InvalidError(
          r.group, r.kind, name,
          {Invalid("metadata.resourceVersion", "", "must be specified for an update")}));
    }
    if (wanted_rv != std::to_string(kv->mod_revision)) {
      return std::unexpected(
          FromStorageError(Error(Code::kFailedPrecondition, "rv"), r.group, r.plural, name));
    }

    Json next;
    if (subresource == "approval") {
      // CSR approval (`kubectl certificate approve|deny`): only the conditions change.
      next = current;
      const Json& conditions = Lookup(obj, {"status", "conditions"});
      if (conditions.is_null()) {
        if (next["status"].is_object()) next["status"].erase("conditions");
      } else {
        next["status"]["conditions"] = conditions;
      }
    } else if (subresource == "binding") {
      // pods/binding: spec.nodeName and the PodScheduled condition, nothing else; it is not
      // a pod update, so the pod's update rules (nodeName is immutable) do not apply.
      next = current;
      next["spec"]["nodeName"] = Lookup(obj, {"spec", "nodeName"});
      next["status"]["conditions"] = Lookup(obj, {"status", "conditions"});
    } else if (subresource == "status") {
      // Only status changes through /status.
      next = current;
      if (obj.contains("status")) {
        next["status"] = obj["status"];
      } else {
        next.erase("status");
      }
    } else {
      next = std::move(obj);
      Json& meta = next["metadata"];
      if (!meta.is_object()) meta = Json::object();
      const Json& old_meta = current["metadata"];
      for (const char* f : {"uid", "creationTimestamp", "deletionTimestamp",
                            "deletionGracePeriodSeconds", "generation", "namespace", "name"}) {
        if (old_meta.contains(f)) {
          meta[f] = old_meta[f];
        } else {
          meta.erase(f);
        }
      }
      meta.erase("managedFields");
      meta.erase("selfLink");
      if (r.HasSubresource("status")) {
        if (current.contains("status")) {
          next["status"] = current["status"];
        } else {
          next.erase("status");
        }
      }
      strategy.PrepareForUpdate(next, current);
      if (SpecPart(next) != SpecPart(current) && old_meta.contains("generation")) {
        meta["generation"] = IntOr(old_meta["generation"], 1) + 1;
      }
    }
    next["metadata"]["resourceVersion"] = std::to_string(kv->mod_revision);

    std::vector<FieldCause> causes = ValidateObjectMeta(r, next);
    if (subresource != "binding") {
      for (auto& c : strategy.ValidateUpdate(next, current)) causes.push_back(std::move(c));
    }
    for (auto& c : ValidateCustom(r, next)) causes.push_back(std::move(c));
    if (!causes.empty()) return std::unexpected(InvalidError(r.group, r.kind, name, causes));

    // A terminating object whose last finalizer went is removed now (pods wait for their
    // kubelet's grace-0 delete).
    bool terminating = !Lookup(next, {"metadata", "deletionTimestamp"}).is_null();
    if (terminating && !HasFinalizers(next) && !strategy.FinalizedByServer() &&
        IntOr(Lookup(next, {"metadata", "deletionGracePeriodSeconds"}), 0) == 0) {
      if (dry_run) return next;
      auto removed = RemoveNow(r, key, next, name);
      if (!removed) {
        if (removed.error().code == 409) continue;
        return std::unexpected(removed.error());
      }
      return removed->object;
    }
    if (next == current) return current;  // nothing changed: no write, no new revision
    if (dry_run) return next;
    auto stored = Store(r, key, next, kv->mod_revision, name);
    if (!stored && stored.error().code == 409 && stored.error().reason == "Conflict") {
      continue;  // someone wrote between our read and write: apply the change again
    }
    return stored;
  }
  return std::unexpected(ConflictError(r.group, r.plural, name, "too many concurrent writers"));
}

ApiResult<DeleteResult> Registry::RemoveNow(const ResourceInfo& r, const std::string& key,
                                            const Json& current, const std::string& name) {
  int64_t rv = std::stoll(MetaString(current, "resourceVersion"));
  auto kv = store_->Delete(key, rv);
  if (!kv) return std::unexpected(FromStorageError(kv.error(), r.group, r.plural, name));
  Notify(r, current, true);
  DeleteResult out;
  out.object = current;
  out.removed = true;
  return out;
}

ApiResult<DeleteResult> Registry::Delete(const ResourceInfo& r, const std::string& ns,
                                         const std::string& name, const DeleteOptions& options) {
  const Strategy& strategy = StrategyFor(r);
  std::string key = r.StorageKey(ns, name);
  for (int attempt = 0; attempt < kMaxConflictRetries; ++attempt) {
    auto kv = store_->Get(key);
    if (!kv) return std::unexpected(FromStorageError(kv.error(), r.group, r.plural, name));
    Json current = Decode(r, *kv);
    std::string uid = MetaString(current, "uid");
    if (!options.precondition_uid.empty() && options.precondition_uid != uid) {
      return std::unexpected(ConflictError(
          r.group, r.plural, name,
          fmt::format("Precondition failed: UID in precondition: {}, UID in object meta: {}",
                      options.precondition_uid, uid)));
    }
    std::string rv = MetaString(current, "resourceVersion");
    if (!options.precondition_resource_version.empty() &&
        options.precondition_resource_version != rv) {
      return std::unexpected(
          ConflictError(r.group, r.plural, name,
                        fmt::format("Precondition failed: ResourceVersion in precondition: {}, "
                                    "ResourceVersion in object meta: {}",
                                    options.precondition_resource_version, rv)));
    }

    Json next = current;
    Json& meta = next["metadata"];
    bool terminating = !Lookup(current, {"metadata", "deletionTimestamp"}).is_null();
    // Only kinds with graceful deletion (pods) wait; for the rest any grace is 0.
    int64_t default_grace = strategy.DefaultGracePeriod(current);
    int64_t grace = default_grace < 0 ? 0 : options.grace_period_seconds.value_or(default_grace);

    if (terminating) {
      int64_t remaining = IntOr(meta.value("deletionGracePeriodSeconds", Json()), 0);
      if (strategy.FinalizedByServer()) {
        return DeleteResult{current, false};
      }
      if (grace == 0 && !HasFinalizers(current)) {
        // grace 0 ends a graceful deletion now: the kubelet's confirmation, or --force.
      } else if (options.grace_period_seconds && grace < remaining) {
        meta["deletionGracePeriodSeconds"] = grace;
        meta["deletionTimestamp"] = FormatApiTime(clock_->Now() + std::chrono::seconds(grace));
      } else {
        return DeleteResult{current, false};
      }
    } else {
      // Propagation: Orphan and Foreground are finalizers the garbage collector acts on.
      const std::string& policy = options.propagation_policy;
      if (policy == "Orphan" || policy == "Foreground") {
        std::string finalizer = policy == "Orphan" ? "orphan" : "foregroundDeletion";
        if (!HasFinalizer(next, finalizer)) {
          if (!meta["finalizers"].is_array()) meta["finalizers"] = Json::array();
          meta["finalizers"].push_back(finalizer);
        }
      }
      if (HasFinalizers(next) || grace > 0 || strategy.FinalizedByServer()) {
        meta["deletionTimestamp"] = FormatApiTime(clock_->Now() + std::chrono::seconds(grace));
        meta["deletionGracePeriodSeconds"] = grace;
        strategy.PrepareForDelete(next);
      }
    }
    if (next != current) {
      if (options.dry_run) return DeleteResult{next, false};
      auto stored = Store(r, key, next, kv->mod_revision, name);
      if (!stored) {
        if (stored.error().reason == "Conflict") continue;
        return std::unexpected(stored.error());
      }
      return DeleteResult{*stored, false};
    }
    if (options.dry_run) return DeleteResult{current, true};
    auto removed = RemoveNow(r, key, current, name);
    if (!removed && removed.error().code == 409 && removed.error().reason == "Conflict") {
      continue;
    }
    return removed;
  }
  return std::unexpected(ConflictError(r.group, r.plural, name, "too many concurrent writers"));
}

}  // namespace capstan::control_plane::apiserver
