#pragma once
// ResourceInfo: what the API server knows of one served resource (a kind at a group/version),
// the facts discovery, routing, storage and printing need. The built-in table is in
// builtin_resources.cc; CustomResourceDefinitions add entries at run time.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace capstan::control_plane::apiserver {

struct PrinterColumn {
  std::string name;
  std::string type;       // string, integer, date, ...
  std::string json_path;  // ".spec.replicas"
  int priority = 0;       // 0: always; 1: -o wide
  std::string description;
};

struct ResourceInfo {
  std::string group;  // "" for the core group
  std::string version;
  std::string kind;
  std::string plural;
  std::string singular;
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  std::vector<std::string> verbs;         // as discovery lists them
  std::vector<std::string> subresources;  // "status", "scale", "binding", "eviction", "log", ...
  // Create-only review kinds (SelfSubjectAccessReview, TokenReview): never stored.
  bool virtual_only = false;
  // Served from a CustomResourceDefinition.
  bool custom = false;
  std::vector<PrinterColumn> custom_columns;            // a CRD's additionalPrinterColumns
  std::shared_ptr<const nlohmann::json> custom_schema;  // a CRD's openAPIV3Schema

  std::string GroupVersion() const { return group.empty() ? version : group + "/" + version; }
  bool HasSubresource(const std::string& name) const;
  // The key prefix of every object of this resource: "/registry/<group>/<plural>/".
  std::string StoragePrefix() const;
  // The key of one object ("" namespace for cluster-scoped resources).
  std::string StorageKey(const std::string& ns, const std::string& name) const;
};

// The served resources, looked up by the URL's parts. Thread-safe: CRDs come and go.
class ResourceRegistry {
 public:
  ResourceRegistry();  // with the built-in resources

  std::shared_ptr<const ResourceInfo> Find(const std::string& group, const std::string& version,
                                           const std::string& plural) const;
  // Every served resource, built-ins in table order, then custom ones.
  std::vector<std::shared_ptr<const ResourceInfo>> All() const;
  // Group names with their versions, preferred first, in discovery order ("" first).
  std::vector<std::pair<std::string, std::vector<std::string>>> Groups() const;

  void AddCustom(ResourceInfo info);
  void RemoveCustom(const std::string& group, const std::string& plural);

 private:
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<const ResourceInfo>> resources_;
};

// The built-in table (builtin_resources.cc).
std::vector<ResourceInfo> BuiltinResources();

}  // namespace capstan::control_plane::apiserver
