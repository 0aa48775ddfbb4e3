#include "api/k8s/patch/json_patch.h"

#include <gtest/gtest.h>

#include "api/k8s/patch/merge_patch.h"

namespace capstan::api::k8s::patch {
namespace {

struct Case {
  std::string name;
  std::string doc;
  std::string patch;
  std::string want;  // the result, or the error message when `error`
  bool error = false;
};

void RunCases(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    auto got = ApplyJsonPatch(Json::parse(c.doc), Json::parse(c.patch));
    if (c.error) {
      ASSERT_FALSE(got) << c.name << " gave " << got->dump();
      EXPECT_EQ(got.error().code(), Code::kInvalidArgument) << c.name;
      EXPECT_EQ(got.error().message(), c.want) << c.name;
    } else {
      ASSERT_TRUE(got) << c.name << ": " << got.error().message();
      EXPECT_EQ(*got, Json::parse(c.want)) << c.name << " gave " << got->dump();
    }
  }
}

// RFC 6902 Appendix A (A.13, a document with a duplicate member, is a JSON parser matter).
TEST(JsonPatchTest, Rfc6902AppendixA) {
  RunCases({
      {"A.1 add object member", R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])",
       R"({"baz":"qux","foo":"bar"})"},
      {"A.2 add array element", R"({"foo":["bar","baz"]})",
       R"([{"op":"add","path":"/foo/1","value":"qux"}])", R"({"foo":["bar","qux","baz"]})"},
      {"A.3 remove object member", R"({"baz":"qux","foo":"bar"})",
       R"([{"op":"remove","path":"/baz"}])", R"({"foo":"bar"})"},
      {"A.4 remove array element", R"({"foo":["bar","qux","baz"]})",
       R"([{"op":"remove","path":"/foo/1"}])", R"({"foo":["bar","baz"]})"},
      {"A.5 replace", R"({"baz":"qux","foo":"bar"})",
       R"([{"op":"replace","path":"/baz","value":"boo"}])", R"({"baz":"boo","foo":"bar"})"},
      {"A.6 move value", R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
       R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])",
       R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"},
      {"A.7 move array element", R"({"foo":["all","grass","cows","eat"]})",
       R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])",
       R"({"foo":["all","cows","eat","grass"]})"},
      {"A.8 test success", R"({"baz":"qux","foo":["a",2,"c"]})",
       R"([{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}])",
       R"({"baz":"qux","foo":["a",2,"c"]})"},
      {"A.9 test failure", R"({"baz":"qux"})", R"([{"op":"test","path":"/baz","value":"bar"}])",
       "testing value /baz failed: test failed", true},
      {"A.10 add nested object", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])",
       R"({"foo":"bar","child":{"grandchild":{}}})"},
      {"A.11 unrecognized members ignored", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])", R"({"foo":"bar","baz":"qux"})"},
      {"A.12 add to nonexistent target", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/baz/bat","value":"qux"}])",
       "add operation does not apply: doc is missing path: \"/baz/bat\"", true},
      {"A.14 escape ordering", R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":10}])",
       R"({"/":9,"~1":10})"},
      {"A.15 strings are not numbers", R"({"/":9,"~1":10})",
       R"([{"op":"test","path":"/~01","value":"10"}])", "testing value /~01 failed: test failed",
       true},
      {"A.16 add array value", R"({"foo":["bar"]})",
       R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])",
       R"({"foo":["bar",["abc","def"]]})"},
  });
}

// The evanphx/json-patch behaviour kube-apiserver exposes beyond the RFC's examples.
TEST(JsonPatchTest, ApiServerSemantics) {
  RunCases({
      {"add replaces an existing member", R"({"a":1})", R"([{"op":"add","path":"/a","value":2}])",
       R"({"a":2})"},
      {"add at end index", R"({"a":[1]})", R"([{"op":"add","path":"/a/1","value":2}])",
       R"({"a":[1,2]})"},
      {"add past the end", R"({"a":[1]})", R"([{"op":"add","path":"/a/2","value":2}])",
       "error in add for path: '/a/2': Unable to access invalid index: 2: invalid index "
       "referenced",
       true},
      {"negative index inserts from the end", R"({"a":[1,2]})",
       R"([{"op":"add","path":"/a/-1","value":9}])", R"({"a":[1,2,9]})"},
      {"negative index removes from the end", R"({"a":[1,2,3]})",
       R"([{"op":"remove","path":"/a/-1"}])", R"({"a":[1,2]})"},
      {"remove missing member", R"({"a":1})", R"([{"op":"remove","path":"/b"}])",
       "error in remove for path: '/b': Unable to remove nonexistent key: b: missing value", true},
      {"remove under missing parent", R"({"a":1})", R"([{"op":"remove","path":"/b/c"}])",
       "remove operation does not apply: doc is missing path: \"/b/c\"", true},
      {"replace missing member", R"({"a":1})", R"([{"op":"replace","path":"/b","value":1}])",
       "replace operation does not apply: doc is missing key: /b: missing value", true},
      {"replace array element", R"({"a":[1,2]})", R"([{"op":"replace","path":"/a/0","value":7}])",
       R"({"a":[7,2]})"},
      {"copy", R"({"a":{"b":[1]}})", R"([{"op":"copy","from":"/a/b","path":"/c"}])",
       R"({"a":{"b":[1]},"c":[1]})"},
      {"copy from missing", R"({"a":1})", R"([{"op":"copy","from":"/x","path":"/c"}])",
       "error in copy for path: '/x': missing value", true},
      {"move into own child", R"({"a":{"b":1}})", R"([{"op":"move","from":"/a","path":"/a/c"}])",
       "move operation does not apply: doc is missing destination path: /a/c", true},
      {"test missing member against null", R"({"a":1})",
       R"([{"op":"test","path":"/b","value":null}])", R"({"a":1})"},
      {"test past the end of an array", R"({"a":[1]})",
       R"([{"op":"test","path":"/a/1","value":null}])",
       "error in test for path: '/a/1': Unable to access invalid index: 1: invalid index "
       "referenced",
       true},
      {"test objects deeply", R"({"a":{"x":[1,{"y":2}]}})",
       R"([{"op":"test","path":"/a","value":{"x":[1,{"y":2}]}}])", R"({"a":{"x":[1,{"y":2}]}})"},
      {"unknown op", R"({})", R"([{"op":"frobnicate","path":"/a"}])", "Unexpected kind: frobnicate",
       true},
      {"missing op", R"({})", R"([{"path":"/a"}])", "Unexpected kind: unknown", true},
      {"missing path", R"({})", R"([{"op":"add","value":1}])", "add operation, missing path field",
       true},
      {"missing value", R"({})", R"([{"op":"add","path":"/a"}])",
       "add operation for path '/a': missing value field", true},
      {"root is not a target", R"({"a":1})", R"([{"op":"replace","path":"","value":{}}])",
       "replace operation does not apply: doc is missing path: \"\"", true},
      {"pointer without slash", R"({"a":1})", R"([{"op":"remove","path":"a"}])",
       "remove operation: JSON pointer \"a\" does not start with '/'", true},
      {"traverse array", R"({"a":[{"b":1}]})", R"([{"op":"add","path":"/a/0/c","value":2}])",
       R"({"a":[{"b":1,"c":2}]})"},
      {"index into scalar", R"({"a":1})", R"([{"op":"add","path":"/a/b","value":2}])",
       "add operation does not apply: doc is missing path: \"/a/b\"", true},
      {"non-numeric index", R"({"a":[]})", R"([{"op":"add","path":"/a/x","value":2}])",
       "error in add for path: '/a/x': value was not a proper array index: 'x'", true},
      {"empty key", R"({"":1})", R"([{"op":"replace","path":"/","value":2}])", R"({"":2})"},
      {"operations apply in order", R"({})",
       R"([{"op":"add","path":"/a","value":{}},{"op":"add","path":"/a/b","value":1},
           {"op":"move","from":"/a/b","path":"/c"}])",
       R"({"a":{},"c":1})"},
      {"a failing operation leaves nothing behind", R"({"a":1})",
       R"([{"op":"add","path":"/b","value":1},{"op":"test","path":"/a","value":2}])",
       "testing value /a failed: test failed", true},
  });
  EXPECT_FALSE(ApplyJsonPatch(Json::object(), Json::object()));
  EXPECT_FALSE(ApplyJsonPatch(Json::object(), Json::parse("[1]")));
}

TEST(JsonPatchTest, Pointers) {
  EXPECT_EQ(*ParseJsonPointer(""), std::vector<std::string>{});
  EXPECT_EQ(*ParseJsonPointer("/"), std::vector<std::string>{""});
  EXPECT_EQ(*ParseJsonPointer("/a~1b/~0c/~01"), (std::vector<std::string>{"a/b", "~c", "~1"}));
  EXPECT_EQ(*ParseJsonPointer("/a//b"), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_FALSE(ParseJsonPointer("/a~2"));
  EXPECT_FALSE(ParseJsonPointer("/a~"));
  EXPECT_FALSE(ParseJsonPointer("a"));
}

// RFC 7386 Appendix A.
TEST(MergePatchTest, Rfc7386AppendixA) {
  const std::tuple<std::string, std::string, std::string> cases[] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", "null", "null"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const auto& [target, patch, want] : cases) {
    EXPECT_EQ(ApplyMergePatch(Json::parse(target), Json::parse(patch)), Json::parse(want))
        << target << " + " << patch;
  }
}

TEST(MergePatchTest, ObjectMetadata) {
  auto got = ApplyMergePatch(
      Json::parse(R"({"metadata":{"labels":{"a":"1","b":"2"},"finalizers":["x"]},"spec":{}})"),
      Json::parse(R"({"metadata":{"labels":{"a":null,"c":"3"},"finalizers":["y"]}})"));
  EXPECT_EQ(got, Json::parse(
                     R"({"metadata":{"labels":{"b":"2","c":"3"},"finalizers":["y"]},"spec":{}})"));
}

}  // namespace
}  // namespace capstan::api::k8s::patch
