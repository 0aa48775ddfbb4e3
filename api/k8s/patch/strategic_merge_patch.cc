// The map half of the strategic merge patch: mergeMap and its directives ($patch in maps,
// $retainKeys, $setElementOrder, $deleteFromPrimitiveList) from
// k8s.io/apimachinery/pkg/util/strategicpatch/patch.go. Lists are in strategic_merge_list.cc.

#include <algorithm>
#include <vector>

#include "api/k8s/patch/strategic_merge_internal.h"

namespace capstan::api::k8s::patch {
namespace smp {
namespace {

// Splits "$setElementOrder/containers" into "containers"; the prefix must be exact.
Result<std::string> ExtractKey(std::string_view key, std::string_view prefix,
                               std::string_view format_error) {
  size_t slash = key.find('/');
  if (slash == key.npos || key.substr(0, slash) != prefix) {
    return std::unexpected(Invalid(std::string(format_error)));
  }
  return std::string(key.substr(slash + 1));
}

// $retainKeys: every key the patch sets must be listed, and the original loses the keys
// that are not. Applied wherever the directive appears, whatever the field's strategy.
Status ApplyRetainKeys(Json& original, Json& patch) {
  auto it = patch.find(kRetainKeys);
  if (it == patch.end()) {
    return Ok();
  }
  Json keep = std::move(*it);
  patch.erase(it);
  const Error bad = Invalid("invalid patch format of retainKeys");
  if (!keep.is_array()) {
    return std::unexpected(bad);
  }
  auto listed = [&](const std::string& k) {
    return std::find(keep.begin(), keep.end(), Json(k)) != keep.end();
  };
  for (const auto& [k, v] : patch.items()) {
    if (v.is_null() || k.starts_with(kDeleteFromPrimitiveList) || k.starts_with(kSetElementOrder)) {
      continue;
    }
    if (!listed(k)) {
      return std::unexpected(bad);
    }
  }
  std::vector<std::string> drop;
  for (const auto& [k, v] : original.items()) {
    if (!listed(k)) {
      drop.push_back(k);
    }
  }
  for (const auto& k : drop) {
    original.erase(k);
  }
  return Ok();
}

// $setElementOrder/<field>: merges the patch's list for that field (if any) into the
// original's and orders the result; the patch's list is consumed.
Status ApplySetElementOrders(Json& original, Json& patch, const PatchMeta& type) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : patch.items()) {
    if (k.starts_with(kSetElementOrder)) {
      keys.push_back(k);
    }
  }
  for (const auto& key : keys) {
    Json order = std::move(patch[key]);
    patch.erase(key);
    if (!order.is_array()) {
      return std::unexpected(BadArgType("[]interface {}", order));
    }
    CAPSTAN_ASSIGN_OR_RETURN(
        std::string field_key,
        ExtractKey(key, kSetElementOrder, "invalid patch format of setElementOrder list"));
    auto orig_it = original.find(field_key);
    auto patch_it = patch.find(field_key);
    bool in_original = orig_it != original.end();
    bool in_patch = patch_it != patch.end();
    if (in_original && !orig_it->is_array()) {
      return std::unexpected(BadArgType("[]interface {}", *orig_it));
    }
    if (in_patch && !patch_it->is_array()) {
      return std::unexpected(BadArgType("[]interface {}", *patch_it));
    }
    const Json empty = Json::array();
    const Json& original_list = in_original ? *orig_it : empty;
    const Json& patch_list = in_patch ? *patch_it : empty;
    const FieldPatchMeta& field = type.Field(field_key);
    CAPSTAN_TRY(ValidateAgainstOrder(patch_list, order, field.merge_key));

    Json merged;
    if (in_original && in_patch) {
      CAPSTAN_ASSIGN_OR_RETURN(merged, MergeListField(original_list, patch_list, field, false));
    } else if (in_original) {
      merged = original_list;
    } else if (in_patch) {
      merged = Sanitize(patch_list).value_or(Json::array());
    } else {
      continue;
    }
    CAPSTAN_ASSIGN_OR_RETURN(std::optional<Kind> kind, ElementKind({&original_list, &patch_list}));
    CAPSTAN_ASSIGN_OR_RETURN(
        Json ordered, OrderBySetElementOrder(merged, order, original_list, field.merge_key, kind));
    original[field_key] = std::move(ordered);
    patch.erase(field_key);
  }
  return Ok();
}

}  // namespace

Kind KindOf(const Json& j) {
  switch (j.type()) {
    case Json::value_t::object: return Kind::kObject;
    case Json::value_t::array: return Kind::kArray;
    case Json::value_t::string: return Kind::kString;
    case Json::value_t::boolean: return Kind::kBool;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return Kind::kNumber;
    default: return Kind::kNull;
  }
}

std::optional<Json> Sanitize(const Json& value) {
  if (value.is_object()) {
    if (value.contains(kDirective)) {
      return std::nullopt;
    }
    Json out = Json::object();
    for (const auto& [k, v] : value.items()) {
      if (v.is_null() || k == kRetainKeys || k.starts_with(kSetElementOrder) ||
          k.starts_with(kDeleteFromPrimitiveList)) {
        continue;
      }
      if (auto s = Sanitize(v)) {
        out[k] = std::move(*s);
      }
    }
    return out;
  }
  if (value.is_array()) {
    Json out = Json::array();
    for (const Json& v : value) {
      if (auto s = Sanitize(v)) {
        out.push_back(std::move(*s));
      }
    }
    return out;
  }
  return value;
}

Result<Json> MergeMap(Json original, Json patch, const PatchMeta& type) {
  if (auto it = patch.find(kDirective); it != patch.end()) {
    if (*it == "replace") {
      patch.erase(it);
      return Sanitize(patch).value_or(Json::object());
    }
    if (*it == "delete") {
      return Json::object();
    }
    return std::unexpected(BadPatchType(*it, patch));
  }
  if (!original.is_object()) {
    original = Json::object();
  }
  CAPSTAN_TRY(ApplyRetainKeys(original, patch));
  CAPSTAN_TRY(ApplySetElementOrders(original, patch, type));

  // Upstream walks a Go map in random order; walking the keys sorted puts
  // "$deleteFromPrimitiveList/f" before "f", which yields the same list either way.
  for (const auto& [patch_key, value] : patch.items()) {
    std::string key = patch_key;
    bool delete_list = false;
    if (key.starts_with(kDeleteFromPrimitiveList)) {
      CAPSTAN_ASSIGN_OR_RETURN(
          key, ExtractKey(key, kDeleteFromPrimitiveList, "invalid patch format of primitive list"));
      delete_list = true;
    }
    if (value.is_null()) {
      original.erase(key);
      continue;
    }
    auto it = original.find(key);
    if (it == original.end() || KindOf(*it) != KindOf(value)) {
      // Nothing to merge with: take the patch's value (a deletion list has nothing to do).
      if (!delete_list) {
        if (auto v = Sanitize(value)) {
          original[key] = std::move(*v);
        } else {
          original.erase(key);
        }
      }
      continue;
    }
    const FieldPatchMeta& field = type.Field(key);
    if (value.is_object()) {
      if (field.replace) {
        original[key] = Sanitize(value).value_or(Json::object());
      } else {
        CAPSTAN_ASSIGN_OR_RETURN(*it, MergeMap(std::move(*it), value, type.FieldType(key)));
      }
    } else if (value.is_array()) {
      CAPSTAN_ASSIGN_OR_RETURN(*it, MergeListField(std::move(*it), value, field, delete_list));
    } else {
      *it = value;
    }
  }
  return original;
}

Error NoMergeKey(const Json& item, std::string_view key) {
  return Invalid(fmt::format("map: {} does not contain declared merge key: {}", item.dump(), key));
}

Error BadArgType(std::string_view want, const Json& got) {
  std::string_view have;
  switch (KindOf(got)) {
    case Kind::kObject: have = "map[string]interface {}"; break;
    case Kind::kArray: have = "[]interface {}"; break;
    case Kind::kString: have = "string"; break;
    case Kind::kNumber: have = "float64"; break;
    case Kind::kBool: have = "bool"; break;
    case Kind::kNull: have = "<nil>"; break;
  }
  return Invalid(fmt::format("expected a {}, but received a {}", want, have));
}

Error BadPatchType(const Json& directive, const Json& map) {
  std::string d = directive.is_string() ? directive.get<std::string>() : directive.dump();
  return Invalid(fmt::format("unknown patch type: {} in map: {}", d, map.dump()));
}

Error Invalid(std::string message) { return Error(Code::kInvalidArgument, std::move(message)); }

}  // namespace smp

Result<Json> ApplyStrategicMergePatch(const Json& original, const Json& patch,
                                      const PatchMeta& meta) {
  if (!original.is_object() || !patch.is_object()) {
    return std::unexpected(smp::Invalid("invalid JSON document"));
  }
  return smp::MergeMap(original, patch, meta);
}

}  // namespace capstan::api::k8s::patch
