#include "api/k8s/fields.h"

#include <gtest/gtest.h>

namespace capstan::api::k8s {
namespace {

// From upstream's fields/selector_test.go: valid selectors print back unchanged.
TEST(FieldSelectorTest, ParsesAndPrintsBack) {
  for (std::string s : {"x=a,y=b,z=c", "", "x!=a,y=b", R"(x=a||y\=b)", R"(x=a\=\=b)"}) {
    auto sel = FieldSelector::Parse(s);
    ASSERT_TRUE(sel) << s << ": " << sel.error().message();
    EXPECT_EQ(sel->ToString(), s);
  }
  // "==" means "=", empty terms are skipped, terms are sorted by their text.
  auto sel = FieldSelector::Parse("spec.nodeName==n1,,metadata.name!=a,");
  ASSERT_TRUE(sel);
  EXPECT_EQ(sel->ToString(), "metadata.name!=a,spec.nodeName=n1");
  ASSERT_EQ(sel->requirements().size(), 2u);
  EXPECT_EQ(sel->requirements()[0].field, "metadata.name");
  EXPECT_FALSE(sel->requirements()[0].equals);
  EXPECT_EQ(sel->requirements()[1].field, "spec.nodeName");
  EXPECT_TRUE(sel->requirements()[1].equals);
  EXPECT_EQ(sel->requirements()[1].value, "n1");
  EXPECT_EQ(FieldSelector::Parse("x=a,a=x")->ToString(),
            FieldSelector::Parse("a=x,x=a")->ToString());
}

TEST(FieldSelectorTest, EscapedValues) {
  auto sel = FieldSelector::Parse(R"(k=\,\=\\,k2=v2)");
  ASSERT_TRUE(sel);
  ASSERT_EQ(sel->requirements().size(), 2u);  // sorted: "k2=v2" < "k=\\,..."
  EXPECT_EQ(sel->requirements()[0].value, "v2");
  EXPECT_EQ(sel->requirements()[1].value, R"(,=\)");
  // Field names are not unescaped or trimmed.
  auto spaced = FieldSelector::Parse(" a = b");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->requirements()[0].field, " a ");
  EXPECT_EQ(spaced->requirements()[0].value, " b");
  auto multibyte = FieldSelector::Parse("함=수,목=록");
  ASSERT_TRUE(multibyte);
  EXPECT_TRUE(multibyte->Matches({{"함", "수"}, {"목", "록"}}));
}

TEST(FieldSelectorTest, RejectsInvalidSelectors) {
  const std::pair<std::string, std::string> cases[] = {
      {"x=a||y=b", "invalid field selector: unescaped character in value: 61"},
      {"x==a==b", "invalid field selector: unescaped character in value: 61"},
      {"x=a,b", "invalid selector: 'x=a,b'; can't understand 'b'"},
      {"x in (a)", "invalid selector: 'x in (a)'; can't understand 'x in (a)'"},
      {"x in (a,b,c)", "invalid selector: 'x in (a,b,c)'; can't understand 'b'"},
      {"x", "invalid selector: 'x'; can't understand 'x'"},
      {R"(k=\a)", R"(invalid field selector: invalid escape sequence: \a)"},
      {R"(k=\)", R"(invalid field selector: invalid escape sequence: \)"},
      {R"(k=\\\)", R"(invalid field selector: invalid escape sequence: \)"},
  };
  for (const auto& [in, message] : cases) {
    auto sel = FieldSelector::Parse(in);
    ASSERT_FALSE(sel) << in;
    EXPECT_EQ(sel.error().code(), Code::kInvalidArgument);
    EXPECT_EQ(sel.error().message(), message) << in;
  }
}

TEST(FieldSelectorTest, Matches) {
  const StringMap fields = {{"foo", "bar"}, {"baz", "blah"}, {"complex", R"(=value\,\)"}};
  const std::pair<std::string, bool> cases[] = {
      {"", true},
      {"foo=bar", true},
      {"baz=blah", true},
      {"foo=bar,baz=blah", true},
      {R"(foo=bar,baz=blah,complex=\=value\\\,\\)", true},
      {"foo=blah", false},
      {"baz=bar", false},
      {"foo=bar,foobar=bar,baz=blah", false},
      {"foo!=blah", true},
      {"foo!=bar", false},
      {"missing=", true},  // an absent field has the empty value
      {"missing!=x", true},
      {"missing=x", false},
  };
  for (const auto& [selector, match] : cases) {
    auto sel = FieldSelector::Parse(selector);
    ASSERT_TRUE(sel) << selector;
    EXPECT_EQ(sel->Matches(fields), match) << selector;
  }
  EXPECT_TRUE(FieldSelector().Empty());
  EXPECT_TRUE(FieldSelector::FromSet({{"foo", "bar"}}).Matches(fields));
  EXPECT_FALSE(FieldSelector::FromSet({{"foo", "baz"}}).Matches(fields));
}

TEST(FieldSelectorTest, RequiresExactMatch) {
  auto sel = FieldSelector::Parse("spec.nodeName=n1,metadata.name!=x");
  ASSERT_TRUE(sel);
  EXPECT_EQ(sel->RequiresExactMatch("spec.nodeName"), "n1");
  EXPECT_EQ(sel->RequiresExactMatch("metadata.name"), std::nullopt);
}

TEST(FieldSelectorTest, EscapeRoundTrip) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},       {"a", "a"},        {"=", R"(\=)"},
      {",", R"(\,)"}, {R"(\)", R"(\\)"}, {R"(\=\,\)", R"(\\\=\\\,\\)"},
  };
  for (const auto& [raw, escaped] : cases) {
    EXPECT_EQ(EscapeFieldValue(raw), escaped);
    auto back = UnescapeFieldValue(escaped);
    ASSERT_TRUE(back) << escaped;
    EXPECT_EQ(*back, raw);
  }
  EXPECT_FALSE(UnescapeFieldValue("a,b"));
  EXPECT_FALSE(UnescapeFieldValue(R"(\é)"));
}

}  // namespace
}  // namespace capstan::api::k8s
