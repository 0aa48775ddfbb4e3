#pragma once
// Field selectors (?fieldSelector=) as kube-apiserver parses them
// (k8s.io/apimachinery/pkg/fields): comma-separated "field=value", "field==value" or
// "field!=value" terms, ANDed. Values may escape ',', '=' and '\' with a backslash; field
// names are taken as written. Which fields a kind supports (metadata.name, spec.nodeName,
// status.phase, ...) is the caller's business: it inspects requirements(), rejects unknown
// ones, and computes the field values of each object for Matches().

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/k8s/meta.h"
#include "common/error.h"

namespace capstan::api::k8s {

struct FieldRequirement {
  std::string field;
  bool equals = true;  // "=" and "=="; false for "!="
  std::string value;   // unescaped

  // A field absent from `fields` has the value "", as upstream's fields.Set does.
  bool Matches(const StringMap& fields) const;
};

class FieldSelector {
 public:
  FieldSelector() = default;  // matches everything

  // fields.ParseSelector: "" (or only commas) is Everything(). Terms are kept in the sorted
  // order of their raw text, as upstream sorts them before parsing.
  static Result<FieldSelector> Parse(std::string_view selector);
  // fields.SelectorFromSet: field=value for each entry.
  static FieldSelector FromSet(const StringMap& fields);

  bool Matches(const StringMap& fields) const;
  bool Empty() const { return requirements_.empty(); }
  const std::vector<FieldRequirement>& requirements() const { return requirements_; }
  // The value `field` must equal, if some "=" term names it (a "!=" term does not count).
  std::optional<std::string> RequiresExactMatch(std::string_view field) const;
  // Upstream's String(): terms joined by ',', values printed escaped.
  std::string ToString() const;

 private:
  std::vector<FieldRequirement> requirements_;
};

// fields.EscapeValue / UnescapeValue: '\' ',' '=' are escaped with a backslash. Unescaping
// rejects other escapes and unescaped ',' or '=' (kInvalidArgument, upstream's wording).
std::string EscapeFieldValue(std::string_view value);
Result<std::string> UnescapeFieldValue(std::string_view value);

}  // namespace capstan::api::k8s
