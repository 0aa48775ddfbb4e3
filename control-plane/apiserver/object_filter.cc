#include "control-plane/apiserver/object_filter.h"

#include <fmt/format.h>

#include "api/k8s/fields.h"
#include "api/k8s/labels.h"
#include "control-plane/apiserver/strategy.h"

namespace capstan::control_plane::apiserver {

struct ObjectFilter::Impl {
  const Strategy* strategy = nullptr;
  api::k8s::LabelSelector labels;
  api::k8s::FieldSelector fields;
};

ObjectFilter::ObjectFilter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ObjectFilter::~ObjectFilter() = default;
ObjectFilter::ObjectFilter(ObjectFilter&&) noexcept = default;
ObjectFilter& ObjectFilter::operator=(ObjectFilter&&) noexcept = default;

std::expected<ObjectFilter, ApiError> ObjectFilter::Make(const ResourceInfo& resource,
                                                         const std::string& label_selector,
                                                         const std::string& field_selector) {
  auto impl = std::make_unique<Impl>();
  impl->strategy = &StrategyFor(resource);
  auto labels = api::k8s::LabelSelector::Parse(label_selector);
  if (!labels) return std::unexpected(BadRequestError(labels.error().message()));
  impl->labels = std::move(*labels);
  auto fields = api::k8s::FieldSelector::Parse(field_selector);
  if (!fields) return std::unexpected(BadRequestError(fields.error().message()));
  // Only fields this kind can select on are allowed, as upstream's field label conversion.
  Json probe = Json::object();
  auto known = impl->strategy->SelectableFields(probe);
  for (const auto& req : fields->requirements()) {
    if (req.field == "metadata.name" || req.field == "metadata.namespace" ||
        known.count(req.field) > 0) {
      continue;
    }
    return std::unexpected(BadRequestError(fmt::format(
        "Unable to find \"{}/{}, Resource={}\" that match label selector \"{}\", field selector "
        "\"{}\": field label not supported: {}",
        resource.group, resource.version, resource.plural, label_selector, field_selector,
        req.field)));
  }
  impl->fields = std::move(*fields);
  return ObjectFilter(std::move(impl));
}

bool ObjectFilter::Empty() const { return impl_->labels.Empty() && impl_->fields.Empty(); }

bool ObjectFilter::Matches(const Json& obj) const {
  if (!impl_->labels.Empty() && !impl_->labels.MatchesObject(obj)) return false;
  if (impl_->fields.Empty()) return true;
  auto values = impl_->strategy->SelectableFields(obj);
  values["metadata.name"] = MetaString(obj, "name");
  values["metadata.namespace"] = MetaString(obj, "namespace");
  return impl_->fields.Matches(values);
}

}  // namespace capstan::control_plane::apiserver
