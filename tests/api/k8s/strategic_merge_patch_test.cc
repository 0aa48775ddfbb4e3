// Strategic merge patch against upstream's own cases
// (k8s.io/apimachinery/pkg/util/strategicpatch/patch_test.go), with a PatchMeta equivalent
// to its MergeItem test struct.

#include "api/k8s/patch/strategic_merge_patch.h"

#include <gtest/gtest.h>

namespace capstan::api::k8s::patch {
namespace {

using F = FieldPatchMeta;

// RetainKeysMergeItem in patch_test.go. (Its mergingList holds MergeItems; no case here
// reaches inside them, and pointing back at MergeItem would make the two statics' first
// initialisations recurse.)
const PatchMeta& RetainKeysMergeItem() {
  static const PatchMeta m{
      {"mergingIntList", F::MergeList()},
      {"mergingList", F::MergeList("name")},
  };
  return m;
}

// MergeItem in patch_test.go: its struct tags, one field per entry.
const PatchMeta& MergeItem() {
  static const PatchMeta m{
      {"mergingList", F::MergeList("name", &m)},
      {"mergingIntList", F::MergeList()},
      {"mergeItemPtr", F::MergeList("name", &m)},
      {"replacingItem", F::Replace()},
      {"retainKeysMap", F::RetainKeys(&RetainKeysMergeItem())},
      {"retainKeysMergingList", F::MergeList("name", &m).WithRetainKeys()},
  };
  return m;
}

struct Case {
  std::string name;
  std::string original;
  std::string patch;
  std::string want;  // the result, or a substring of the error when `error`
  bool error = false;
};

void RunCases(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Json original = Json::parse(c.original);
    Json patch = Json::parse(c.patch);
    auto got = ApplyStrategicMergePatch(original, patch, MergeItem());
    if (c.error) {
      ASSERT_FALSE(got) << got->dump();
      EXPECT_EQ(got.error().code(), Code::kInvalidArgument);
      EXPECT_NE(got.error().message().find(c.want), std::string::npos) << got.error().message();
      continue;
    }
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_EQ(*got, Json::parse(c.want)) << got->dump();
    // The inputs are left alone.
    EXPECT_EQ(original, Json::parse(c.original));
    EXPECT_EQ(patch, Json::parse(c.patch));
  }
}

TEST(StrategicMergePatchTest, UpstreamCustomCases) {
  RunCases({
      {"unique scalars when merging lists", R"({"mergingIntList":[1,2]})",
       R"({"mergingIntList":[2,3]})", R"({"mergingIntList":[1,2,3]})"},
      {"delete map from nested map", R"({"simpleMap":{"key1":1,"key2":1}})",
       R"({"simpleMap":{"$patch":"delete"}})", R"({"simpleMap":{}})"},
      {"delete all items from merging list", R"({"mergingList":[{"name":1},{"name":2}]})",
       R"({"mergingList":[{"$patch":"replace"}]})", R"({"mergingList":[]})"},
      {"merge empty merging lists", R"({"mergingList":[]})", R"({"mergingList":[]})",
       R"({"mergingList":[]})"},
      {"delete all keys from map", R"({"name":1,"value":1})", R"({"$patch":"replace"})", "{}"},
      {"add key and delete all keys from map", R"({"name":1,"value":1})",
       R"({"other":"a","$patch":"replace"})", R"({"other":"a"})"},
      {"delete all duplicate entries in a merging list",
       R"({"mergingList":[{"name":1},{"name":1},{"name":2,"value":"a"},{"name":3},{"name":3}]})",
       R"({"mergingList":[{"name":1,"$patch":"delete"},{"name":3,"$patch":"delete"}]})",
       R"({"mergingList":[{"name":2,"value":"a"}]})"},
      {"retainKeys map can add a field without the directive",
       R"({"retainKeysMap":{"name":"foo"}})", R"({"retainKeysMap":{"value":"bar"}})",
       R"({"retainKeysMap":{"name":"foo","value":"bar"}})"},
      {"retainKeys map can delete a field without the directive",
       R"({"retainKeysMap":{"name":"foo","value":"a"}})", R"({"retainKeysMap":{"value":null}})",
       R"({"retainKeysMap":{"name":"foo"}})"},
      {"retainKeys map merge an empty map", R"({"retainKeysMap":{"name":"foo","value":"a"}})",
       R"({"retainKeysMap":{}})", R"({"retainKeysMap":{"name":"foo","value":"a"}})"},
      {"retainKeys list can add a field without the directive",
       R"({"retainKeysMergingList":[{"name":"bar"},{"name":"foo"}]})",
       R"({"retainKeysMergingList":[{"name":"foo","value":"a"}]})",
       R"({"retainKeysMergingList":[{"name":"bar"},{"name":"foo","value":"a"}]})"},
      {"preserve the order from the patch in a merging list",
       R"({"mergingList":[{"name":1},{"name":2,"value":"b"},{"name":3}]})",
       R"({"mergingList":[{"name":3,"value":"c"},{"name":1,"value":"a"},{"name":2,"other":"x"}]})",
       R"({"mergingList":[{"name":3,"value":"c"},{"name":1,"value":"a"},
                          {"name":2,"value":"b","other":"x"}]})"},
      {"preserve the order from the patch in a merging list 2",
       R"({"mergingList":[{"name":1},{"name":2,"value":"b"},{"name":3}]})",
       R"({"mergingList":[{"name":3,"value":"c"},{"name":1,"value":"a"}]})",
       R"({"mergingList":[{"name":2,"value":"b"},{"name":3,"value":"c"},{"name":1,"value":"a"}]})"},
      {"preserve the order from the patch in a merging int list", R"({"mergingIntList":[1,2,3]})",
       R"({"mergingIntList":[3,1,2]})", R"({"mergingIntList":[3,1,2]})"},
      {"preserve the order from the patch in a merging int list 2", R"({"mergingIntList":[1,2,3]})",
       R"({"mergingIntList":[3,1]})", R"({"mergingIntList":[2,3,1]})"},
      {"$setElementOrder names an item missing from the list",
       R"({"mergingList":[{"name":1},{"name":3}]})",
       R"({"$setElementOrder/mergingList":[{"name":3},{"name":2},{"name":1}],
           "mergingList":[{"name":3,"value":3},{"name":1,"value":1}]})",
       R"({"mergingList":[{"name":3,"value":3},{"name":1,"value":1}]})"},
      {"$setElementOrder names an item missing from the int list", R"({"mergingIntList":[1,3]})",
       R"({"$setElementOrder/mergingIntList":[3,2,1]})", R"({"mergingIntList":[3,1]})"},
      {"order in $setElementOrder and the patch list must match",
       R"({"mergingList":[{"name":1},{"name":3},{"name":2}]})",
       R"({"$setElementOrder/mergingList":[{"name":1},{"name":2},{"name":3}],
           "mergingList":[{"name":3,"value":3},{"name":1,"value":1}]})",
       "doesn't match", true},
      {"order in $setElementOrder and the patch int list must match",
       R"({"mergingIntList":[1,3,2]})",
       R"({"$setElementOrder/mergingIntList":[1,2,3],"mergingIntList":[3,1]})", "doesn't match",
       true},
      {"missing merge key", R"({"mergingList":[{"name":1,"value":"a"}]})",
       R"({"mergingList":[{"value":"b"}]})", "does not contain declared merge key: name", true},
  });
}

// Upstream's raw cases: the three-way patch applied to the current object.
TEST(StrategicMergePatchTest, UpstreamRawCases) {
  RunCases({
      {"delete items in lists of scalars", R"({"mergingIntList":[1,2,3,4]})",
       R"({"$setElementOrder/mergingIntList":[1,2],"$deleteFromPrimitiveList/mergingIntList":[3]})",
       R"({"mergingIntList":[1,2,4]})"},
      {"delete all duplicate items in lists of scalars", R"({"mergingIntList":[1,2,3,3,4]})",
       R"({"$setElementOrder/mergingIntList":[1,2],"$deleteFromPrimitiveList/mergingIntList":[3]})",
       R"({"mergingIntList":[1,2,4]})"},
      {"add and delete items in lists of scalars", R"({"mergingIntList":[1,2,3]})",
       R"({"$setElementOrder/mergingIntList":[1,2,4],"$deleteFromPrimitiveList/mergingIntList":[3],
           "mergingIntList":[4]})",
       R"({"mergingIntList":[1,2,4]})"},
      {"merge lists of maps",
       R"({"mergingList":[{"name":1,"other":"a"},{"name":2,"value":2,"other":"b"}]})",
       R"({"$setElementOrder/mergingList":[{"name":4},{"name":1},{"name":2},{"name":3}],
           "mergingList":[{"name":4,"value":4},{"name":3,"value":3}]})",
       R"({"mergingList":[{"name":4,"value":4},{"name":1,"other":"a"},
                          {"name":2,"value":2,"other":"b"},{"name":3,"value":3}]})"},
      {"add an item in a list and preserve order",
       R"({"mergingList":[{"name":1,"other":"a"},{"name":2,"value":2,"other":"b"}]})",
       R"({"$setElementOrder/mergingList":[{"name":3},{"name":1},{"name":2}],
           "mergingList":[{"name":3,"value":3}]})",
       R"({"mergingList":[{"name":3,"value":3},{"name":1,"other":"a"},
                          {"name":2,"value":2,"other":"b"}]})"},
      {"set elements order in a list with server-only items 2",
       R"({"mergingList":[{"name":1,"other":"a"},{"name":2,"value":2},{"name":9},
                          {"name":3,"value":3},{"name":4,"value":4}]})",
       R"({"$setElementOrder/mergingList":[{"name":2},{"name":1},{"name":4},{"name":3}]})",
       R"({"mergingList":[{"name":2,"value":2},{"name":1,"other":"a"},{"name":9},
                          {"name":4,"value":4},{"name":3,"value":3}]})"},
      {"set elements order in a int list with server-only items 3",
       R"({"mergingIntList":[1,2,7,9,8,3,4]})", R"({"$setElementOrder/mergingIntList":[2,1,4,3]})",
       R"({"mergingIntList":[2,1,7,9,8,4,3]})"},
      {"set element order for a merging list with duplicates",
       R"({"mergingList":[{"name":1},{"name":2,"value":"dup1"},{"name":3},
                          {"name":2,"value":"dup2"},{"name":4}]})",
       R"({"$setElementOrder/mergingList":[{"name":2},{"name":1},{"name":4},{"name":3},
                                           {"name":2}]})",
       R"({"mergingList":[{"name":2,"value":"dup1"},{"name":2,"value":"dup2"},{"name":1},
                          {"name":4},{"name":3}]})"},
      {"nested patch merge with empty list (three-way)",
       R"({"name":"hi","mergingList":[{"name":"hello2"}]})",
       R"({"$setElementOrder/mergingList":[{"name":"hello"},{"name":"doesntexist"}],
           "mergingList":[{"name":"hello"}]})",
       R"({"name":"hi","mergingList":[{"name":"hello"},{"name":"hello2"}]})"},
      {"nested patch merge with empty list (two-way)", R"({"name":"hi"})",
       R"({"mergingList":[{"name":"hello"},{"$patch":"delete","name":"doesntexist"}]})",
       R"({"name":"hi","mergingList":[{"name":"hello"}]})"},
      {"retainKeys map should clear defaulted field", R"({"retainKeysMap":{"value":"foo"}})",
       R"({"retainKeysMap":{"$retainKeys":["other"],"other":"bar"}})",
       R"({"retainKeysMap":{"other":"bar"}})"},
      {"retainKeys list of maps deletes a field",
       R"({"retainKeysMergingList":[{"name":"bar"},{"name":"foo","value":"a","other":"x"}]})",
       R"({"$setElementOrder/retainKeysMergingList":[{"name":"bar"},{"name":"foo"}],
           "retainKeysMergingList":[{"$retainKeys":["name"],"name":"foo","value":null}]})",
       R"({"retainKeysMergingList":[{"name":"bar"},{"name":"foo"}]})"},
      {"delete and reorder in one list, reorder in another",
       R"({"mergingList":[{"name":"a","value":"a"},{"name":"b","value":"b"}],
           "mergeItemPtr":[{"name":"c","value":"c"},{"name":"d","value":"d"}]})",
       R"({"$setElementOrder/mergingList":[{"name":"b"}],
           "$setElementOrder/mergeItemPtr":[{"name":"d"},{"name":"c"}],
           "mergingList":[{"$patch":"delete","name":"a"}]})",
       R"({"mergingList":[{"name":"b","value":"b"}],
           "mergeItemPtr":[{"name":"d","value":"d"},{"name":"c","value":"c"}]})"},
      {"$deleteFromPrimitiveList on a list without merge strategy",
       R"({"nonMergingIntList":[1,2,3]})", R"({"$deleteFromPrimitiveList/nonMergingIntList":[2]})",
       R"({"nonMergingIntList":[1,3]})"},
      {"$deleteFromPrimitiveList on a missing list adds nothing", R"({})",
       R"({"$deleteFromPrimitiveList/mergingIntList":[1]})", "{}"},
      {"$deleteFromPrimitiveList on an empty list", R"({"mergingIntList":[]})",
       R"({"$deleteFromPrimitiveList/mergingIntList":[1]})", R"({"mergingIntList":[]})"},
      {"$deleteFromPrimitiveList of a missing item", R"({"mergingIntList":[1,2]})",
       R"({"$deleteFromPrimitiveList/mergingIntList":[3]})", R"({"mergingIntList":[1,2]})"},
      {"replace strategy replaces a map whole",
       R"({"replacingItem":{"a":1,"b":{"c":2}},"mergingList":[{"name":1}]})",
       R"({"replacingItem":{"b":{"d":3}},"mergingList":[{"name":2}]})",
       R"({"replacingItem":{"b":{"d":3}},"mergingList":[{"name":2},{"name":1}]})"},
      {"non-merging list nested in merging list is replaced",
       R"({"mergingList":[{"name":1,"nonMergingList":[{"name":1},{"name":2}]}]})",
       R"({"mergingList":[{"name":1,"nonMergingList":[{"name":3}]}]})",
       R"({"mergingList":[{"name":1,"nonMergingList":[{"name":3}]}]})"},
      {"merging list nested in merging list",
       R"({"mergingList":[{"name":1,"mergingList":[{"name":1,"value":1},{"name":2}]}]})",
       R"({"mergingList":[{"name":1,"mergingList":[{"name":1,"value":null},
                                                   {"name":2,"$patch":"delete"}]}]})",
       R"({"mergingList":[{"name":1,"mergingList":[{"name":1}]}]})"},
      {"type change replaces", R"({"simpleMap":{"a":1},"value":"x"})",
       R"({"simpleMap":"flat","value":{"now":"a map","gone":null}})",
       R"({"simpleMap":"flat","value":{"now":"a map"}})"},
  });
}

TEST(StrategicMergePatchTest, DirectiveErrors) {
  RunCases({
      {"unknown $patch in a map", R"({"simpleMap":{"a":1}})",
       R"({"simpleMap":{"$patch":"frobnicate"}})", "unknown patch type: frobnicate in map", true},
      {"$patch: merge in a list", R"({"mergingList":[{"name":1}]})",
       R"({"mergingList":[{"$patch":"merge","name":1}]})",
       "merging lists cannot yet be specified in the patch", true},
      {"$patch: delete without the merge key", R"({"mergingList":[{"name":1}]})",
       R"({"mergingList":[{"$patch":"delete"}]})", "does not contain declared merge key", true},
      {"$retainKeys must list every patched key", R"({"retainKeysMap":{"name":"a"}})",
       R"({"retainKeysMap":{"$retainKeys":["name"],"value":"b"}})",
       "invalid patch format of retainKeys", true},
      {"$retainKeys must be a list", R"({"retainKeysMap":{"name":"a"}})",
       R"({"retainKeysMap":{"$retainKeys":"name"}})", "invalid patch format of retainKeys", true},
      {"malformed $setElementOrder key", R"({"mergingIntList":[1]})",
       R"({"$setElementOrderX/mergingIntList":[1]})",
       "invalid patch format of setElementOrder list", true},
      {"malformed $deleteFromPrimitiveList key", R"({"mergingIntList":[1]})",
       R"({"$deleteFromPrimitiveList":[1]})", "invalid patch format of primitive list", true},
      {"lists of lists", R"({"mergingIntList":[[1]]})", R"({"mergingIntList":[[2]]})",
       "lists of lists are not supported", true},
      {"mixed element types", R"({"mergingIntList":[1]})", R"({"mergingIntList":["a"]})",
       "list element types are not identical", true},
      {"merging a list of maps without a merge key", R"({"nonMergingIntList":[{"a":1}]})",
       R"({"$deleteFromPrimitiveList/nonMergingIntList":[{"a":1}]})",
       "cannot merge lists without merge key", true},
  });
  EXPECT_FALSE(ApplyStrategicMergePatch(Json::array(), Json::object(), MergeItem()));
  EXPECT_FALSE(ApplyStrategicMergePatch(Json::object(), Json("x"), MergeItem()));
}

}  // namespace
}  // namespace capstan::api::k8s::patch
