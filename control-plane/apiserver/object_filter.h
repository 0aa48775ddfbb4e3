#pragma once
// ObjectFilter: a list's or watch's labelSelector and fieldSelector, checked against
// objects. Field selectors support metadata.name and metadata.namespace on every kind, plus
// what the kind's Strategy offers (spec.nodeName, status.phase, ...); any other field is
// rejected as kube-apiserver rejects it.

#include <memory>
#include <string>

#include "control-plane/apiserver/api_status.h"
#include "control-plane/apiserver/object_util.h"
#include "control-plane/apiserver/resource_info.h"

namespace capstan::control_plane::apiserver {

class ObjectFilter {
 public:
  // Code::kInvalidArgument-style ApiError (400) for an unparsable selector or an unsupported
  // field.
  static std::expected<ObjectFilter, ApiError> Make(const ResourceInfo& resource,
                                                    const std::string& label_selector,
                                                    const std::string& field_selector);
  bool Matches(const Json& obj) const;
  bool Empty() const;

  struct Impl;
  ~ObjectFilter();
  ObjectFilter(ObjectFilter&&) noexcept;
  ObjectFilter& operator=(ObjectFilter&&) noexcept;

 private:
  explicit ObjectFilter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace capstan::control_plane::apiserver
