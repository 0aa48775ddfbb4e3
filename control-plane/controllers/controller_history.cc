#include "control-plane/controllers/controller_history.h"

#include <algorithm>

#include "control-plane/controllers/deployment_util.h"
#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {
namespace {

namespace client = api::k8s::client;
using client::resources::kControllerRevisions;

// What a revision stores: the patch that restores the template whole.
Json DataFor(const Json& owner) {
  Json template_ = WithoutNulls(Field(owner, {"spec", "template"}));
  if (!template_.is_object()) template_ = Json::object();
  template_["$patch"] = "replace";
  return {{"spec", {{"template", template_}}}};
}

Json NewRevision(const Json& owner, const Json& data, const std::string& hash, int64_t number) {
  Json labels = Field(owner, {"spec", "template", "metadata", "labels"});
  if (!labels.is_object()) labels = Json::object();
  labels[kControllerRevisionHashLabel] = hash;
  Json meta = {{"name", StringOf(Field(owner, {"metadata", "name"})) + "-" + hash},
               {"namespace", Field(owner, {"metadata", "namespace"})},
               {"labels", labels},
               {"ownerReferences", Json::array({ControllerRefTo(owner)})}};
  const Json& annotations = Field(owner, {"metadata", "annotations"});
  if (annotations.is_object()) {
    Json copied = annotations;
    copied.erase("kubectl.kubernetes.io/last-applied-configuration");
    if (!copied.empty()) meta["annotations"] = copied;
  }
  return {{"apiVersion", "apps/v1"},
          {"kind", "ControllerRevision"},
          {"metadata", meta},
          {"data", data},
          {"revision", number}};
}

}  // namespace

int64_t RevisionNumber(const Json& revision) { return IntField(revision, {"revision"}, 0); }

std::vector<Json> OwnedRevisions(const client::Reflector& revisions, const Json& owner) {
  std::string ns = StringOf(Field(owner, {"metadata", "namespace"}));
  std::string uid = StringOf(Field(owner, {"metadata", "uid"}));
  std::vector<Json> out;
  revisions.ForEach([&](const Json& r) {
    auto ref = ControllerRefOf(r);
    if (Field(r, {"metadata", "namespace"}) == ns && ref && ref->uid == uid) out.push_back(r);
  });
  std::stable_sort(out.begin(), out.end(), [](const Json& a, const Json& b) {
    return RevisionNumber(a) < RevisionNumber(b);
  });
  return out;
}

Result<Json> EnsureCurrentRevision(client::ApiClient* api, const client::Resource& owner_resource,
                                   const Json& owner, std::vector<Json>& revisions) {
  std::string ns = StringOf(Field(owner, {"metadata", "namespace"}));
  Json data = DataFor(owner);
  int64_t newest = revisions.empty() ? 0 : RevisionNumber(revisions.back());
  // The newest revision with this data, should there be more than one.
  for (auto it = revisions.rbegin(); it != revisions.rend(); ++it) {
    Json& r = *it;
    if (Field(r, {"data"}) != data) continue;
    if (RevisionNumber(r) == newest) return r;
    // Back to an older template: that revision becomes the newest, as upstream renumbers.
    Json renumbered = r;
    renumbered["revision"] = newest + 1;
    CAPSTAN_ASSIGN_OR_RETURN(
        auto stored, api->Update(kControllerRevisions, ns, StringOf(Field(r, {"metadata", "name"})),
                                 renumbered, ""));
    r = stored;
    std::stable_sort(revisions.begin(), revisions.end(), [](const Json& a, const Json& b) {
      return RevisionNumber(a) < RevisionNumber(b);
    });
    return stored;
  }
  int64_t collisions = IntField(owner, {"status", "collisionCount"}, 0);
  std::string hash = PodTemplateHash(Field(owner, {"spec", "template"}), collisions);
  Json revision = NewRevision(owner, data, hash, newest + 1);
  auto made = api->Create(kControllerRevisions, ns, revision);
  if (made) {
    revisions.push_back(*made);
    return *made;
  }
  if (made.error().code() != Code::kAlreadyExists) return Fail(made.error());
  // Made by an earlier sync the cache has not shown yet, or a true collision.
  std::string name = StringOf(Field(revision, {"metadata", "name"}));
  CAPSTAN_ASSIGN_OR_RETURN(auto existing, api->Get(kControllerRevisions, ns, name));
  auto ref = ControllerRefOf(existing);
  if (Field(existing, {"data"}) == data && ref &&
      ref->uid == StringOf(Field(owner, {"metadata", "uid"}))) {
    revisions.push_back(existing);
    return existing;
  }
  if (Field(existing, {"data"}) == data && !ref) {
    // Left behind by an owner deleted with --cascade=orphan: this owner takes it back, so
    // its adopted pods keep counting as up to date.
    Json adopted = existing;
    adopted["metadata"]["ownerReferences"] = Json::array({ControllerRefTo(owner)});
    adopted["revision"] = newest + 1;
    CAPSTAN_ASSIGN_OR_RETURN(auto stored, api->Update(kControllerRevisions, ns, name, adopted, ""));
    revisions.push_back(stored);
    return stored;
  }
  Json status = Field(owner, {"status"}).is_object() ? Field(owner, {"status"}) : Json::object();
  status["collisionCount"] = collisions + 1;
  CAPSTAN_TRY(PutStatus(api, owner_resource, owner, status));
  return Fail(Code::kFailedPrecondition, "controller revision {} is taken by another template",
              name);
}

Status TruncateHistory(client::ApiClient* api, const std::vector<Json>& revisions,
                       const std::set<std::string>& live, int64_t limit) {
  std::vector<const Json*> old;
  for (const auto& r : revisions) {
    if (!live.contains(StringOf(Field(r, {"metadata", "name"})))) old.push_back(&r);
  }
  int64_t excess = static_cast<int64_t>(old.size()) - std::max<int64_t>(limit, 0);
  for (int64_t i = 0; i < excess; ++i) {  // oldest first: `revisions` is in number order
    auto st = api->Delete(kControllerRevisions, StringOf(Field(*old[i], {"metadata", "namespace"})),
                          StringOf(Field(*old[i], {"metadata", "name"})));
    if (!st && st.error().code() != Code::kNotFound) return st;
  }
  return Ok();
}

Json TemplateOf(const Json& revision) {
  Json t = Field(revision, {"data", "spec", "template"});
  if (t.is_object()) t.erase("$patch");
  return t;
}

}  // namespace capstan::control_plane::controllers
