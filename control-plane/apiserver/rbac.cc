#include "control-plane/apiserver/rbac.h"

#include <algorithm>

#include "common/log.h"

namespace capstan::control_plane::apiserver {
namespace {

const log::Logger kLog("rbac");
const std::string kPrefix = "/registry/rbac.authorization.k8s.io/";

std::vector<std::string> Strings(const Json& list) {
  std::vector<std::string> out;
  if (!list.is_array()) return out;
  for (const auto& v : list) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

bool Has(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

bool HasOrStar(const std::vector<std::string>& list, const std::string& v) {
  return Has(list, "*") || Has(list, v);
}

bool ResourceMatches(const std::vector<std::string>& resources, const Attributes& a) {
  std::string combined = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
  for (const auto& r : resources) {
    if (r == "*" || r == combined) return true;
    if (!a.subresource.empty() && r == "*/" + a.subresource) return true;
  }
  return false;
}

bool UrlMatches(const std::vector<std::string>& urls, const std::string& path) {
  for (const auto& u : urls) {
    if (u == "*" || u == path) return true;
    if (!u.empty() && u.back() == '*' && path.rfind(u.substr(0, u.size() - 1), 0) == 0) {
      return true;
    }
  }
  return false;
}

std::vector<Json> ListAll(storage::Store* store, const std::string& plural) {
  std::vector<Json> out;
  auto list = store->List(kPrefix + plural + "/", {});
  if (!list) return out;
  for (const auto& kv : list->items) {
    Json obj = Json::parse(kv.value, nullptr, false);
    if (obj.is_object()) out.push_back(std::move(obj));
  }
  return out;
}

}  // namespace

std::vector<PolicyRule> ParseRules(const Json& rules) {
  std::vector<PolicyRule> out;
  if (!rules.is_array()) return out;
  for (const auto& r : rules) {
    if (!r.is_object()) continue;
    out.push_back({Strings(r.value("verbs", Json())), Strings(r.value("apiGroups", Json())),
                   Strings(r.value("resources", Json())), Strings(r.value("resourceNames", Json())),
                   Strings(r.value("nonResourceURLs", Json()))});
  }
  return out;
}

bool RuleAllows(const PolicyRule& rule, const Attributes& a) {
  if (!HasOrStar(rule.verbs, a.verb)) return false;
  if (!a.resource_request) return UrlMatches(rule.non_resource_urls, a.path);
  if (!HasOrStar(rule.api_groups, a.api_group)) return false;
  if (!ResourceMatches(rule.resources, a)) return false;
  return rule.resource_names.empty() || Has(rule.resource_names, a.name);
}

bool SubjectMatches(const Json& subject, const UserInfo& user, const std::string& binding_ns) {
  std::string kind = StringOr(subject.value("kind", Json()));
  std::string name = StringOr(subject.value("name", Json()));
  if (kind == "User") return user.name == name;
  if (kind == "Group") return user.InGroup(name);
  if (kind == "ServiceAccount") {
    std::string ns = StringOr(subject.value("namespace", Json()), binding_ns);
    return user.name == "system:serviceaccount:" + ns + ":" + name;
  }
  return false;
}

RbacSnapshot BuildSnapshot(const std::vector<Json>& cluster_roles, const std::vector<Json>& roles,
                           const std::vector<Json>& cluster_role_bindings,
                           const std::vector<Json>& role_bindings) {
  auto find_rules = [](const std::vector<Json>& list, const std::string& ns,
                       const std::string& name) -> std::vector<PolicyRule> {
    for (const auto& r : list) {
      if (MetaString(r, "name") == name && MetaString(r, "namespace") == ns) {
        return ParseRules(r.value("rules", Json()));
      }
    }
    return {};
  };
  RbacSnapshot s;
  for (const auto& b : cluster_role_bindings) {
    if (StringOr(Lookup(b, {"roleRef", "kind"})) != "ClusterRole") continue;
    s.bindings.push_back({"", b.value("subjects", Json::array()),
                          find_rules(cluster_roles, "", StringOr(Lookup(b, {"roleRef", "name"})))});
  }
  for (const auto& b : role_bindings) {
    std::string ns = MetaString(b, "namespace");
    std::string kind = StringOr(Lookup(b, {"roleRef", "kind"}));
    std::string name = StringOr(Lookup(b, {"roleRef", "name"}));
    std::vector<PolicyRule> rules = kind == "ClusterRole" ? find_rules(cluster_roles, "", name)
                                    : kind == "Role"      ? find_rules(roles, ns, name)
                                                          : std::vector<PolicyRule>{};
    s.bindings.push_back({ns, b.value("subjects", Json::array()), std::move(rules)});
  }
  return s;
}

Decision Evaluate(const RbacSnapshot& snapshot, const Attributes& a, std::string* reason) {
  for (const auto& b : snapshot.bindings) {
    // A RoleBinding grants within its namespace only.
    if (!b.namespace_.empty() && (!a.resource_request || b.namespace_ != a.namespace_)) continue;
    bool subject = false;
    for (const auto& s : b.subjects) subject = subject || SubjectMatches(s, a.user, b.namespace_);
    if (!subject) continue;
    for (const auto& rule : b.rules) {
      if (RuleAllows(rule, a)) {
        if (reason) *reason = "RBAC: allowed";
        return Decision::kAllow;
      }
    }
  }
  return Decision::kNoOpinion;
}

std::vector<PolicyRule> RulesOf(const RbacSnapshot& snapshot, const UserInfo& user,
                                const std::string& namespace_) {
  std::vector<PolicyRule> out;
  for (const auto& b : snapshot.bindings) {
    if (!b.namespace_.empty() && b.namespace_ != namespace_) continue;
    bool subject = false;
    for (const auto& s : b.subjects) subject = subject || SubjectMatches(s, user, b.namespace_);
    if (subject) out.insert(out.end(), b.rules.begin(), b.rules.end());
  }
  return out;
}

RbacAuthorizer::RbacAuthorizer(storage::Store* store) : store_(store) {
  watcher_ = std::thread([this] { WatchLoop(); });
}

RbacAuthorizer::~RbacAuthorizer() {
  stopping_ = true;
  if (watcher_.joinable()) watcher_.join();
}

void RbacAuthorizer::WatchLoop() {
  while (!stopping_) {
    auto rev = store_->CurrentRevision();
    auto watch = rev ? store_->WatchPrefix(kPrefix, *rev)
                     : decltype(store_->WatchPrefix("", 0))(std::unexpected(rev.error()));
    {
      std::lock_guard lock(mu_);
      cached_.reset();  // anything may have changed before the watch began
    }
    if (!watch) {
      // Retry in a second, waking often enough that the destructor does not wait for it.
      for (int i = 0; i < 20 && !stopping_; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      continue;
    }
    while (!stopping_) {
      auto events = (*watch)->Next(std::chrono::milliseconds(200));
      if (!events) break;
      if (!events->empty()) {
        std::lock_guard lock(mu_);
        cached_.reset();
      }
    }
  }
}

std::shared_ptr<const RbacSnapshot> RbacAuthorizer::Snapshot() const {
  std::lock_guard lock(mu_);
  if (!cached_) {
    cached_ = std::make_shared<const RbacSnapshot>(
        BuildSnapshot(ListAll(store_, "clusterroles"), ListAll(store_, "roles"),
                      ListAll(store_, "clusterrolebindings"), ListAll(store_, "rolebindings")));
  }
  return cached_;
}

std::vector<PolicyRule> RbacAuthorizer::RulesFor(const UserInfo& user,
                                                 const std::string& namespace_) const {
  return RulesOf(*Snapshot(), user, namespace_);
}

Decision RbacAuthorizer::Authorize(const Attributes& attributes, std::string* reason) const {
  return Evaluate(*Snapshot(), attributes, reason);
}

}  // namespace capstan::control_plane::apiserver
