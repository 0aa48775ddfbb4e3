#include "api/k8s/labels.h"

#include <gtest/gtest.h>

namespace capstan::api::k8s {
namespace {

struct ParseCase {
  std::string in;
  std::string canonical;  // ToString() of the parsed selector
};

// From upstream's TestSelectorParse and TestSetSelectorParser (labels/selector_test.go).
TEST(LabelSelectorTest, ParsesValidSelectors) {
  const ParseCase cases[] = {
      {"", ""},
      {"x=a,y=b,z=c", "x=a,y=b,z=c"},
      {"x!=a,y=b", "x!=a,y=b"},
      {"x=", "x="},
      {"x= ", "x="},
      {"x=,z= ", "x=,z="},
      {"x= ,z= ", "x=,z="},
      {"!x", "!x"},
      {"x>1", "x>1"},
      {"x>1,z<5", "x>1,z<5"},
      {"x==a", "x==a"},
      {"\rx", "x"},
      {"this-is-a-dns.domain.com/key-with-dash", "this-is-a-dns.domain.com/key-with-dash"},
      {"this-is-another-dns.domain.com/key-with-dash in (so,what)",
       "this-is-another-dns.domain.com/key-with-dash in (so,what)"},
      {"0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
       "0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)"},
      {"foo  in\t (abc)", "foo in (abc)"},
      {"x notin\n (abc)", "x notin (abc)"},
      {"x  notin\t\t\t(abc,def)", "x notin (abc,def)"},
      {"x in (abc,)", "x in (,abc)"},
      {"x in (abc,abc)", "x in (abc)"},
      {"x in ()", "x in ()"},
      {"x in (a,,)", "x in (,a)"},
      {"x in (a,,,,,,)", "x in (,a)"},
      {"x in (a,,a,,a,,a,,)", "x in (,a)"},
      {"x notin (abc,,def),bar,z in (),w", "bar,w,x notin (,abc,def),z in ()"},
      {"x,y in (a)", "x,y in (a)"},
      {"x=a,y!=b,z in (h,i,j)", "x=a,y!=b,z in (h,i,j)"},
      {"x notin ( )", "x notin ()"},
      {"x notin (, a)", "x notin (,a)"},
      {"a ", "a"},
      {"a in (x,y,notin, z,in)", "a in (in,notin,x,y,z)"},
      {"notin=in", "notin=in"},
      {"in in (in)", "in in (in)"},
      {"x=a\0garbage", "x=a"},  // Go's lexer stops at NUL
  };
  for (const auto& c : cases) {
    auto s = LabelSelector::Parse(c.in);
    ASSERT_TRUE(s) << c.in << ": " << s.error().message();
    EXPECT_EQ(s->ToString(), c.canonical) << c.in;
  }
}

struct ErrorCase {
  std::string in;
  std::string message;
};

TEST(LabelSelectorTest, RejectsInvalidSelectorsWithUpstreamMessages) {
  const std::string value_regex =
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
      "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
      "'my_value',  or '12345', regex used for validation is "
      "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
  const ErrorCase cases[] = {
      // The value is checked before what follows it.
      {"x=a||y=b",
       "unable to parse requirement: values[0][x]: Invalid value: \"a||y\": " + value_regex},
      {"x=a,y=b=c", "found '=', expected: ',' or 'end of string'"},
      {"x==a==b", "found '==', expected: ',' or 'end of string'"},
      {"!x=a", "found '=', expected: ',' or 'end of string'"},
      {"x<a",
       "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' "
       "operators, the value must be an integer"},
      {"x,,y", "found ',', expected: identifier after ','"},
      {",x,y", "found ',', expected: !, identifier, or 'end of string'"},
      {"x nott in (y)",
       "unable to parse requirement: found 'nott', expected: in, notin, =, ==, !=, gt, lt"},
      {"a in (xyz),", "found '', expected: identifier after ','"},
      {"a in (xyz)b notin ()", "found 'b', expected: ',' or 'end of string'"},
      {"a in (xyz abc)", "unable to parse requirement: found 'abc', expected: ',' or ')'"},
      {"a notin(", "unable to parse requirement: found '', expected: ',', ')' or identifier"},
      {"a (", "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"},
      {"(", "found '(', expected: !, identifier, or 'end of string'"},
      {"x in", "unable to parse requirement: found '' expected: '('"},
      {"x in (a", "unable to parse requirement: found '', expected: ',' or ')'"},
      {"x in (a,=)", "unable to parse requirement: found '=', expected: ',', or identifier"},
      {"x=(", "unable to parse requirement: found '(', expected: identifier"},
      {"!", "unable to parse requirement: found '', expected: identifier"},
      {"x=a b", "found 'b', expected: ',' or 'end of string'"},
      {"x=a$", "unable to parse requirement: values[0][x]: Invalid value: \"a$\": " + value_regex},
      {"a b=c", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"},
      {"-x",
       "unable to parse requirement: <nil>: Invalid value: \"-x\": name part must consist of "
       "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
       "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
       "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"},
      {"a/b/c=d",
       "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a valid label key must "
       "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
       "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
       "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS "
       "subdomain prefix and '/' (e.g. 'example.com/MyName')"},
  };
  for (const auto& c : cases) {
    auto s = LabelSelector::Parse(c.in);
    ASSERT_FALSE(s) << c.in << " parsed as " << s->ToString();
    EXPECT_EQ(s.error().code(), Code::kInvalidArgument) << c.in;
    EXPECT_EQ(s.error().message(), c.message) << c.in;
  }
}

TEST(LabelSelectorTest, ParseIsDeterministic) {
  EXPECT_EQ(LabelSelector::Parse("x=a,a=x")->ToString(),
            LabelSelector::Parse("a=x,x=a")->ToString());
}

struct MatchCase {
  std::string selector;
  StringMap labels;
  bool match;
};

TEST(LabelSelectorTest, Matches) {
  const StringMap set = {{"foo", "bar"}, {"baz", "blah"}};
  const MatchCase cases[] = {
      {"", {{"x", "y"}}, true},
      {"x=y", {{"x", "y"}}, true},
      {"x=y,z=w", {{"x", "y"}, {"z", "w"}}, true},
      {"x!=y,z!=w", {{"x", "z"}, {"z", "a"}}, true},
      {"notin=in", {{"notin", "in"}}, true},
      {"x", {{"x", "z"}}, true},
      {"!x", {{"y", "z"}}, true},
      {"x>1", {{"x", "2"}}, true},
      {"x<1", {{"x", "0"}}, true},
      {"x=z", {}, false},
      {"x=y", {{"x", "z"}}, false},
      {"x=y,z=w", {{"x", "w"}, {"z", "w"}}, false},
      {"x!=y,z!=w", {{"x", "z"}, {"z", "w"}}, false},
      {"x", {{"y", "z"}}, false},
      {"!x", {{"x", "z"}}, false},
      {"x>1", {{"x", "0"}}, false},
      {"x<1", {{"x", "2"}}, false},
      {"x>1", {{"x", "v2"}}, false},
      {"x>1", {}, false},
      {"foo=bar,baz=blah", set, true},
      {"foo=bar,foobar=bar,baz=blah", set, false},
      {"x in (foo),y notin (alpha)", {{"x", "foo"}, {"y", "baz"}}, true},
      {"x in (foo),y in (alpha)", {{"x", "foo"}, {"y", "baz"}}, false},
      {"x notin (),y", {{"y", ""}}, true},
      {"!x,y", {{"y", ""}}, true},
      {"x notin (),!y", {{"y", ""}}, false},
      {"x in ()", {{"y", "baz"}}, false},
      {"x in ()", {{"x", ""}}, true},
      {"x=", {{"x", ""}}, true},
      {"x notin (a)", {}, true},
      {"x!=a", {}, true},
  };
  for (const auto& c : cases) {
    auto s = LabelSelector::Parse(c.selector);
    ASSERT_TRUE(s) << c.selector << ": " << s.error().message();
    EXPECT_EQ(s->Matches(c.labels), c.match) << c.selector;
  }
}

TEST(LabelSelectorTest, EverythingNothingAndSets) {
  EXPECT_TRUE(LabelSelector::Everything().Matches({{"x", "y"}}));
  EXPECT_TRUE(LabelSelector::Everything().Empty());
  EXPECT_FALSE(LabelSelector::Nothing().Matches({}));
  EXPECT_FALSE(LabelSelector::Nothing().Empty());
  EXPECT_TRUE(LabelSelector::Nothing().IsNothing());
  const StringMap set = {{"foo", "bar"}, {"baz", "blah"}};
  EXPECT_TRUE(LabelSelector::FromSet({}).Matches(set));
  EXPECT_TRUE(LabelSelector::FromSet({{"foo", "bar"}}).Matches(set));
  EXPECT_TRUE(LabelSelector::FromSet(set).Matches(set));
  EXPECT_FALSE(LabelSelector::FromSet({{"foo", "baz"}}).Matches(set));
  EXPECT_EQ(LabelSelector::FromSet(set).ToString(), "baz=blah,foo=bar");
}

TEST(LabelSelectorTest, RequiresExactMatch) {
  auto s = LabelSelector::Parse("a=1,b in (2),c in (3,4),d!=5,e==6");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->RequiresExactMatch("a"), "1");
  EXPECT_EQ(s->RequiresExactMatch("b"), "2");
  EXPECT_EQ(s->RequiresExactMatch("c"), std::nullopt);
  EXPECT_EQ(s->RequiresExactMatch("d"), std::nullopt);
  EXPECT_EQ(s->RequiresExactMatch("e"), "6");
  EXPECT_EQ(s->RequiresExactMatch("z"), std::nullopt);
}

TEST(LabelSelectorTest, FromLabelSelectorJson) {
  struct Case {
    std::string json;
    StringMap labels;
    bool match;
  };
  const Case cases[] = {
      {"null", {{"a", "b"}}, false},  // nil selector selects nothing
      {"{}", {{"a", "b"}}, true},     // empty selector selects everything
      {R"({"matchLabels":{"app":"web"}})", {{"app", "web"}, {"x", "y"}}, true},
      {R"({"matchLabels":{"app":"web"}})", {{"app", "db"}}, false},
      {R"({"matchExpressions":[{"key":"tier","operator":"In","values":["a","b"]}]})",
       {{"tier", "b"}},
       true},
      {R"({"matchExpressions":[{"key":"tier","operator":"NotIn","values":["a"]}]})", {}, true},
      {R"({"matchExpressions":[{"key":"tier","operator":"Exists"}]})", {}, false},
      {R"({"matchExpressions":[{"key":"tier","operator":"DoesNotExist"}]})", {}, true},
      {R"({"matchLabels":{"app":"web"},
           "matchExpressions":[{"key":"canary","operator":"DoesNotExist"}]})",
       {{"app", "web"}, {"canary", "1"}},
       false},
  };
  for (const auto& c : cases) {
    auto s = LabelSelector::FromJson(Json::parse(c.json));
    ASSERT_TRUE(s) << c.json << ": " << s.error().message();
    EXPECT_EQ(s->Matches(c.labels), c.match) << c.json;
  }
  auto s = LabelSelector::FromJson(Json::parse(R"({"matchLabels":{"b":"1"},
      "matchExpressions":[{"key":"a","operator":"In","values":["y","x"]}]})"));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->ToString(), "a in (x,y),b=1");
}

TEST(LabelSelectorTest, FromLabelSelectorJsonErrors) {
  const ErrorCase cases[] = {
      {R"({"matchExpressions":[{"key":"a","operator":"Gt","values":["1"]}]})",
       "\"Gt\" is not a valid label selector operator"},
      {R"({"matchExpressions":[{"key":"a","operator":"In"}]})",
       "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be "
       "empty"},
      {R"({"matchExpressions":[{"key":"a","operator":"Exists","values":["x"]}]})",
       "values: Invalid value: []string{\"x\"}: values set must be empty for exists and does "
       "not exist"},
      {R"({"matchLabels":{"a":"b c"}})",
       "values[0][a]: Invalid value: \"b c\": a valid label must be an empty string or consist "
       "of alphanumeric characters, '-', '_' or '.', and must start and end with an "
       "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
       "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"},
  };
  for (const auto& c : cases) {
    auto s = LabelSelector::FromJson(Json::parse(c.in));
    ASSERT_FALSE(s) << c.in;
    EXPECT_EQ(s.error().code(), Code::kInvalidArgument);
    EXPECT_EQ(s.error().message(), c.message) << c.in;
  }
  EXPECT_FALSE(LabelSelector::FromJson(Json::parse(R"({"matchLabels":["a"]})")));
  EXPECT_FALSE(LabelSelector::FromJson(Json::parse(R"({"matchExpressions":{}})")));
}

TEST(LabelSelectorTest, MatchesJsonLabels) {
  auto s = LabelSelector::Parse("app=web,!canary");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->MatchesObject(Json::parse(R"({"metadata":{"labels":{"app":"web"}}})")));
  EXPECT_FALSE(
      s->MatchesObject(Json::parse(R"({"metadata":{"labels":{"app":"web","canary":"y"}}})")));
  EXPECT_FALSE(s->MatchesObject(Json::parse(R"({"metadata":{}})")));
  EXPECT_TRUE(s->MatchesLabelsJson(Json::parse(R"({"app":"web","n":1})")));
  EXPECT_TRUE(LabelSelector::Parse("!a")->MatchesObject(Json::parse("{}")));
}

TEST(LabelRequirementTest, ConstructorErrors) {
  struct Case {
    std::string key;
    SelectorOperator op;
    std::vector<std::string> values;
    std::string message;  // "" for success
  };
  const Case cases[] = {
      {"x1",
       SelectorOperator::kIn,
       {},
       "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be "
       "empty"},
      {"x3", SelectorOperator::kIn, {"foo"}, ""},
      {"x5",
       SelectorOperator::kEquals,
       {"bar", "foo"},
       "values: Invalid value: []string{\"bar\", \"foo\"}: exact-match compatibility requires "
       "one single value"},
      {"x6", SelectorOperator::kExists, {}, ""},
      {"x11", SelectorOperator::kGreaterThan, {"1"}, ""},
      {"x13",
       SelectorOperator::kGreaterThan,
       {},
       "values: Invalid value: []string{}: for 'Gt', 'Lt' operators, exactly one value is "
       "required"},
      {std::string(254, 'a'),
       SelectorOperator::kExists,
       {},
       "key: Invalid value: \"" + std::string(254, 'a') +
           "\": name part must be no more than 63 bytes"},
      {"x16",
       SelectorOperator::kEquals,
       {std::string(64, 'a')},
       "values[0][x16]: Invalid value: \"" + std::string(64, 'a') +
           "\": must be no more than 63 bytes"},
  };
  for (const auto& c : cases) {
    auto r = MakeLabelRequirement(c.key, c.op, c.values);
    if (c.message.empty()) {
      EXPECT_TRUE(r) << c.key << ": " << r.error().message();
    } else {
      ASSERT_FALSE(r) << c.key;
      EXPECT_EQ(r.error().message(), c.message) << c.key;
    }
  }
  // Several problems are reported together, as an aggregate.
  auto r = MakeLabelRequirement("-k", SelectorOperator::kExists, {"v"});
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().message().starts_with("[key: Invalid value: \"-k\": name part must"))
      << r.error().message();
  EXPECT_NE(r.error().message().find(", values: Invalid value: []string{\"v\"}"),
            std::string::npos);
}

TEST(LabelValidationTest, KeysAndValues) {
  EXPECT_TRUE(LabelKeyErrors("app").empty());
  EXPECT_TRUE(LabelKeyErrors("example.com/My_Name-1.x").empty());
  EXPECT_TRUE(LabelKeyErrors("a").empty());
  EXPECT_TRUE(LabelKeyErrors(std::string(63, 'a')).empty());
  EXPECT_TRUE(LabelKeyErrors(std::string(253, 'a') + "/" + std::string(63, 'b')).empty());
  EXPECT_EQ(LabelKeyErrors(std::string(64, 'a')),
            std::vector<std::string>{"name part must be no more than 63 bytes"});
  EXPECT_EQ(LabelKeyErrors(std::string(254, 'a') + "/x"),
            std::vector<std::string>{"prefix part must be no more than 253 bytes"});
  auto empty_name = LabelKeyErrors("example.com/");
  ASSERT_EQ(empty_name.size(), 2u);
  EXPECT_EQ(empty_name[0], "name part must be non-empty");
  EXPECT_EQ(LabelKeyErrors("/a"), std::vector<std::string>{"prefix part must be non-empty"});
  auto upper_prefix = LabelKeyErrors("Example.com/a");
  ASSERT_EQ(upper_prefix.size(), 1u);
  EXPECT_TRUE(upper_prefix[0].starts_with("prefix part a lowercase RFC 1123 subdomain must"));
  EXPECT_FALSE(LabelKeyErrors("a..b/c").empty());
  EXPECT_FALSE(LabelKeyErrors("a_").empty());

  EXPECT_TRUE(LabelValueErrors("").empty());
  EXPECT_TRUE(LabelValueErrors("a-b_c.D9").empty());
  EXPECT_FALSE(LabelValueErrors("-a").empty());
  EXPECT_FALSE(LabelValueErrors("a b").empty());
  EXPECT_EQ(LabelValueErrors(std::string(64, 'a')).size(), 1u);

  EXPECT_TRUE(ValidateLabelKey("app"));
  auto bad = ValidateLabelValue("x y", "metadata.labels");
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error().message().starts_with(
      "metadata.labels: Invalid value: \"x y\": a valid label must be"));
  EXPECT_TRUE(ValidateLabels({{"app", "web"}, {"example.com/tier", ""}}, "metadata.labels"));
  auto bad_key = ValidateLabels({{"bad key", "v"}}, "metadata.labels");
  ASSERT_FALSE(bad_key);
  EXPECT_EQ(bad_key.error().code(), Code::kInvalidArgument);
  EXPECT_TRUE(bad_key.error().message().starts_with(
      "metadata.labels: Invalid value: \"bad key\": name part must consist of"));
}

TEST(LabelValidationTest, GoQuote) {
  EXPECT_EQ(GoQuote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\x01\"");
}

}  // namespace
}  // namespace capstan::api::k8s
