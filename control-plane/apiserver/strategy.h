#pragma once
// Strategy: what differs between kinds on the way to storage, as kube-apiserver's
// rest.RESTCreateStrategy / RESTUpdateStrategy: defaults, the fields the server resets,
// validation, and the field selector values. A kind adds a strategy, not a handler; kinds
// without one get the default (no defaults, no extra validation beyond metadata).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "control-plane/apiserver/api_status.h"
#include "control-plane/apiserver/object_util.h"
#include "control-plane/apiserver/resource_info.h"

namespace capstan::control_plane::apiserver {

class Strategy {
 public:
  virtual ~Strategy() = default;

  // Defaults and server-owned fields of a new object (status reset, ...).
  virtual void PrepareForCreate(Json& obj) const {}
  // Defaults on an update of the main resource; `old` is the stored object.
  virtual void PrepareForUpdate(Json& obj, const Json& old) const {}
  // The kind's own validation (metadata is checked by the registry).
  virtual std::vector<FieldCause> Validate(const Json& obj) const { return {}; }
  virtual std::vector<FieldCause> ValidateUpdate(const Json& obj, const Json& old) const {
    return Validate(obj);
  }
  // Field selector values beyond metadata.name and metadata.namespace.
  virtual std::map<std::string, std::string> SelectableFields(const Json& obj) const { return {}; }
  // Pods are deleted gracefully: the grace period a delete without one uses, or -1 when the
  // object goes at once.
  virtual int64_t DefaultGracePeriod(const Json& obj) const { return -1; }
  // Kinds whose deletion a controller of the server finishes (namespaces: emptied by the
  // NamespaceCleaner, then removed). Their delete marks them terminating and keeps them.
  virtual bool FinalizedByServer() const { return false; }
  // Called on the object a delete marks terminating (namespaces: phase Terminating).
  virtual void PrepareForDelete(Json& obj) const {}
};

// The strategy for a resource (the default one when the kind has none of its own).
const Strategy& StrategyFor(const ResourceInfo& resource);

}  // namespace capstan::control_plane::apiserver
