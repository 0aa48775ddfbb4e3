// The list half of the strategic merge patch: mergeSlice, its in-list directives and the
// ordering rules of k8s.io/apimachinery/pkg/util/strategicpatch (normalizeElementOrder,
// mergeSortedSlice), reproduced so merged lists come out in upstream's order.

#include <algorithm>
#include <climits>

#include "api/k8s/patch/strategic_merge_internal.h"

namespace capstan::api::k8s::patch::smp {
namespace {

// What identifies an item: its merge key's value (null when missing) for objects, the item
// itself for primitives.
const Json& Identity(const Json& item, const std::string& merge_key) {
  static const Json kNull;
  if (merge_key.empty() || !item.is_object()) {
    return merge_key.empty() ? item : kNull;
  }
  auto it = item.find(merge_key);
  return it == item.end() ? kNull : *it;
}

int IndexIn(const Json& list, const Json& item, const std::string& merge_key) {
  const Json& id = Identity(item, merge_key);
  for (size_t i = 0; i < list.size(); ++i) {
    if (Identity(list[i], merge_key) == id) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

// findMapInSliceBasedOnKeyValue: the index of the first object whose `key` equals `value`.
Result<std::optional<size_t>> FindByKey(const Json& list, const std::string& key,
                                        const Json& value) {
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_object()) {
      return std::unexpected(Invalid(fmt::format("value for key {} is not a map", i)));
    }
    auto it = list[i].find(key);
    if (it != list[i].end() && *it == value) {
      return i;
    }
  }
  return std::nullopt;
}

Status RequireMergeKeys(const Json& list, const std::string& merge_key) {
  for (const Json& item : list) {
    if (!item.is_object()) {
      return std::unexpected(BadArgType("map[string]interface {}", item));
    }
    if (!item.contains(merge_key)) {
      return std::unexpected(NoMergeKey(item, merge_key));
    }
  }
  return Ok();
}

// Splits `merged` into the items found in `by` and the rest, keeping their order.
Result<std::pair<Json, Json>> Partition(const Json& merged, const Json& by,
                                        const std::string& merge_key) {
  std::pair<Json, Json> out{Json::array(), Json::array()};
  for (const Json& item : merged) {
    bool found;
    if (merge_key.empty()) {
      found = std::find(by.begin(), by.end(), item) != by.end();
    } else {
      if (!item.is_object()) {
        return std::unexpected(BadArgType("map[string]interface {}", item));
      }
      auto key = item.find(merge_key);
      if (key == item.end()) {
        return std::unexpected(NoMergeKey(item, merge_key));
      }
      CAPSTAN_ASSIGN_OR_RETURN(auto at, FindByKey(by, merge_key, *key));
      found = at.has_value();
    }
    (found ? out.first : out.second).push_back(item);
  }
  return out;
}

// normalizeSliceOrder: a stable sort of `items` by their position in `order`.
Result<Json> SortByOrder(Json items, const Json& order, const std::string& merge_key, Kind kind) {
  if (kind == Kind::kObject) {
    CAPSTAN_TRY(RequireMergeKeys(items, merge_key));
    CAPSTAN_TRY(RequireMergeKeys(order, merge_key));
  }
  std::vector<std::pair<int, Json>> keyed;
  for (Json& item : items) {
    int at = IndexIn(order, item, merge_key);
    keyed.emplace_back(at < 0 ? INT_MAX : at, std::move(item));
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  Json out = Json::array();
  for (auto& [at, item] : keyed) {
    out.push_back(std::move(item));
  }
  return out;
}

// normalizeElementOrder + mergeSortedSlice: patch items in `patch_order`, server-only items
// in `server_order`, then each server-only item goes before the next patch item only if it
// stood before it on the server.
Result<Json> NormalizeOrder(const Json& patch_items, const Json& server_only,
                            const Json& patch_order, const Json& server_order,
                            const std::string& merge_key, Kind kind) {
  CAPSTAN_ASSIGN_OR_RETURN(Json right, SortByOrder(patch_items, patch_order, merge_key, kind));
  CAPSTAN_ASSIGN_OR_RETURN(Json left, SortByOrder(server_only, server_order, merge_key, kind));
  Json out = Json::array();
  size_t i = 0, j = 0;
  while (i < left.size() && j < right.size()) {
    int li = IndexIn(server_order, left[i], merge_key);
    int ri = IndexIn(server_order, right[j], merge_key);
    if (li >= 0 && ri >= 0 && li < ri) {
      out.push_back(left[i++]);
    } else {
      out.push_back(right[j++]);
    }
  }
  for (; i < left.size(); ++i) {
    out.push_back(left[i]);
  }
  for (; j < right.size(); ++j) {
    out.push_back(right[j]);
  }
  return out;
}

struct SplitPatch {
  Json original;  // with $patch: delete items removed (or the replacement list)
  Json patch;     // without directive items
};

// mergeSliceWithSpecialElements: {"$patch": "delete", key: v} removes every original item
// with that key; {"$patch": "replace"} makes the list the patch's remaining items.
Result<SplitPatch> ApplyListDirectives(Json original, const Json& patch,
                                       const std::string& merge_key) {
  Json rest = Json::array();
  bool replace = false;
  for (const Json& item : patch) {
    auto directive = item.find(kDirective);
    if (directive == item.end()) {
      rest.push_back(item);
    } else if (*directive == "delete") {
      auto value = item.find(merge_key);
      if (value == item.end()) {
        return std::unexpected(NoMergeKey(item, merge_key));
      }
      while (true) {
        CAPSTAN_ASSIGN_OR_RETURN(auto at, FindByKey(original, merge_key, *value));
        if (!at) {
          break;
        }
        original.erase(*at);
      }
    } else if (*directive == "replace") {
      replace = true;
    } else if (*directive == "merge") {
      return std::unexpected(Invalid("merging lists cannot yet be specified in the patch"));
    } else {
      return std::unexpected(BadPatchType(*directive, item));
    }
  }
  if (replace) {
    return SplitPatch{Sanitize(rest).value_or(Json::array()), Json::array()};
  }
  return SplitPatch{std::move(original), std::move(rest)};
}

// mergeSlice.
Result<Json> MergeSlice(Json original, const Json& patch, const PatchMeta& item_type,
                        const std::string& merge_key, bool delete_list) {
  if (original.empty() && patch.empty()) {
    return original;
  }
  CAPSTAN_ASSIGN_OR_RETURN(std::optional<Kind> kind, ElementKind({&original, &patch}));
  Json merged;
  Json patch_order = patch;
  if (kind != Kind::kObject) {
    if (delete_list) {
      Json out = Json::array();
      for (const Json& v : original) {
        if (std::find(patch.begin(), patch.end(), v) == patch.end()) {
          out.push_back(v);
        }
      }
      return out;
    }
    merged = Json::array();
    for (const Json* list : std::initializer_list<const Json*>{&original, &patch}) {
      for (const Json& v : *list) {
        if (std::find(merged.begin(), merged.end(), v) == merged.end()) {
          merged.push_back(v);
        }
      }
    }
  } else {
    if (merge_key.empty()) {
      return std::unexpected(Invalid("cannot merge lists without merge key"));
    }
    CAPSTAN_ASSIGN_OR_RETURN(SplitPatch split,
                             ApplyListDirectives(std::move(original), patch, merge_key));
    original = std::move(split.original);
    patch_order = std::move(split.patch);
    merged = original;
    for (const Json& item : patch_order) {
      auto value = item.find(merge_key);
      if (value == item.end()) {
        return std::unexpected(NoMergeKey(item, merge_key));
      }
      CAPSTAN_ASSIGN_OR_RETURN(auto at, FindByKey(merged, merge_key, *value));
      if (at) {
        CAPSTAN_ASSIGN_OR_RETURN(merged[*at], MergeMap(std::move(merged[*at]), item, item_type));
      } else if (auto v = Sanitize(item)) {
        merged.push_back(std::move(*v));
      }
    }
  }
  CAPSTAN_ASSIGN_OR_RETURN(auto parts, Partition(merged, patch_order, merge_key));
  return NormalizeOrder(parts.first, parts.second, patch_order, original, merge_key,
                        kind.value_or(Kind::kNull));
}

}  // namespace

Result<std::optional<Kind>> ElementKind(std::initializer_list<const Json*> lists) {
  std::optional<Kind> kind;
  for (const Json* list : lists) {
    for (const Json& v : *list) {
      Kind k = KindOf(v);
      if (!kind) {
        if (k == Kind::kArray) {
          return std::unexpected(Invalid("lists of lists are not supported"));
        }
        kind = k;
      } else if (*kind != k) {
        return std::unexpected(Invalid("list element types are not identical"));
      }
    }
  }
  return kind;
}

Result<Json> MergeListField(Json original, const Json& patch, const FieldPatchMeta& field,
                            bool delete_list) {
  if (!field.merge && !delete_list) {
    return Sanitize(patch).value_or(Json::array());
  }
  const PatchMeta& item_type = field.type != nullptr ? *field.type : PatchMeta::Unknown();
  return MergeSlice(std::move(original), patch, item_type, field.merge_key, delete_list);
}

Status ValidateAgainstOrder(const Json& patch_list, const Json& order,
                            const std::string& merge_key) {
  if (order.empty() || patch_list.empty()) {
    return Ok();
  }
  Json items = Json::array();
  for (const Json& item : patch_list) {
    if (!merge_key.empty() && !item.is_object()) {
      return std::unexpected(BadArgType("map[string]interface {}", item));
    }
    // Items with a directive (deletions above all) need not appear in the order.
    if (!(item.is_object() && item.contains(kDirective))) {
      items.push_back(item);
    }
  }
  size_t p = 0, o = 0;
  while (p < items.size() && o < order.size()) {
    bool equal;
    if (merge_key.empty()) {
      equal = items[p] == order[o];
    } else {
      if (!order[o].is_object()) {
        return std::unexpected(BadArgType("map[string]interface {}", order[o]));
      }
      auto a = items[p].find(merge_key);
      auto b = order[o].find(merge_key);
      if (a == items[p].end()) {
        return std::unexpected(NoMergeKey(items[p], merge_key));
      }
      if (b == order[o].end()) {
        return std::unexpected(NoMergeKey(order[o], merge_key));
      }
      equal = *a == *b;
    }
    if (equal) {
      ++p;
    }
    ++o;
  }
  if (p < items.size()) {
    return std::unexpected(Invalid(
        fmt::format("the order in patch list:\n{}\n doesn't match $setElementOrder list:\n{}",
                    patch_list.dump(), order.dump())));
  }
  return Ok();
}

Result<Json> OrderBySetElementOrder(const Json& merged, const Json& order, const Json& server_order,
                                    const std::string& merge_key, std::optional<Kind> kind) {
  if (!kind) {
    return merged;  // nothing on either side to order
  }
  CAPSTAN_ASSIGN_OR_RETURN(auto parts, Partition(merged, order, merge_key));
  return NormalizeOrder(parts.first, parts.second, order, server_order, merge_key, *kind);
}

}  // namespace capstan::api::k8s::patch::smp
