#include "control-plane/apiserver/resource_info.h"

#include <algorithm>

namespace capstan::control_plane::apiserver {

bool ResourceInfo::HasSubresource(const std::string& name) const {
  return std::find(subresources.begin(), subresources.end(), name) != subresources.end();
}

std::string ResourceInfo::StoragePrefix() const {
  return "/registry/" + (group.empty() ? std::string("core") : group) + "/" + plural + "/";
}

std::string ResourceInfo::StorageKey(const std::string& ns, const std::string& name) const {
  return namespaced ? StoragePrefix() + ns + "/" + name : StoragePrefix() + name;
}

ResourceRegistry::ResourceRegistry() {
  for (auto& r : BuiltinResources()) {
    resources_.push_back(std::make_shared<const ResourceInfo>(std::move(r)));
  }
}

std::shared_ptr<const ResourceInfo> ResourceRegistry::Find(const std::string& group,
                                                           const std::string& version,
                                                           const std::string& plural) const {
  std::lock_guard lock(mu_);
  for (const auto& r : resources_) {
    if (r->group == group && r->version == version && r->plural == plural) {
      return r;
    }
  }
  return nullptr;
}

std::vector<std::shared_ptr<const ResourceInfo>> ResourceRegistry::All() const {
  std::lock_guard lock(mu_);
  return resources_;
}

std::vector<std::pair<std::string, std::vector<std::string>>> ResourceRegistry::Groups() const {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto& r : resources_) {
    auto it =
        std::find_if(out.begin(), out.end(), [&](const auto& g) { return g.first == r->group; });
    if (it == out.end()) {
      out.push_back({r->group, {r->version}});
    } else if (std::find(it->second.begin(), it->second.end(), r->version) == it->second.end()) {
      it->second.push_back(r->version);
    }
  }
  return out;
}

void ResourceRegistry::AddCustom(ResourceInfo info) {
  info.custom = true;
  std::lock_guard lock(mu_);
  std::erase_if(resources_, [&](const auto& r) {
    return r->custom && r->group == info.group && r->plural == info.plural &&
           r->version == info.version;
  });
  resources_.push_back(std::make_shared<const ResourceInfo>(std::move(info)));
}

void ResourceRegistry::RemoveCustom(const std::string& group, const std::string& plural) {
  std::lock_guard lock(mu_);
  std::erase_if(resources_, [&](const auto& r) {
    return r->custom && r->group == group && r->plural == plural;
  });
}

}  // namespace capstan::control_plane::apiserver
