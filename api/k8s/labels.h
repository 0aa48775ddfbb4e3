#pragma once
// Label selectors as kube-apiserver understands them (k8s.io/apimachinery/pkg/labels): the
// string form of ?labelSelector= ("app=web,tier in (a,b),!canary"), metav1.LabelSelector
// objects (Deployment, ReplicaSet, Service selectors) and the label key/value rules that
// object validation shares. Pure functions; parse errors are kInvalidArgument with upstream's
// wording, since clients (and conformance tests) match on it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/k8s/meta.h"
#include "common/error.h"

namespace capstan::api::k8s {

using Json = nlohmann::json;

// selection.Operator. kGreaterThan/kLessThan ("gt"/"lt" in node affinity, ">"/"<" in the
// string form) compare values as integers.
enum class SelectorOperator {
  kIn,
  kNotIn,
  kEquals,
  kDoubleEquals,
  kNotEquals,
  kExists,
  kDoesNotExist,
  kGreaterThan,
  kLessThan,
};

struct LabelRequirement {
  std::string key;
  SelectorOperator op = SelectorOperator::kExists;
  // As given: sorted and de-duplicated when parsed from a string, as upstream's set does.
  std::vector<std::string> values;

  bool Matches(const StringMap& labels) const;
  // Upstream's String(): "a=b", "a in (x,y)" (values sorted), "!a".
  std::string ToString() const;
};

// Validates and builds one requirement (labels.NewRequirement): the key must be a label key,
// In/NotIn need values, (Not|Double)Equals exactly one, Exists/DoesNotExist none, Gt/Lt one
// integer; every value must be a label value.
Result<LabelRequirement> MakeLabelRequirement(std::string key, SelectorOperator op,
                                              std::vector<std::string> values);

// A conjunction of requirements, kept sorted by key. The default selector matches everything.
class LabelSelector {
 public:
  LabelSelector() = default;

  static LabelSelector Everything() { return LabelSelector(); }
  // Matches no object: what a nil metav1.LabelSelector means.
  static LabelSelector Nothing();
  // Parses the string form exactly as labels.Parse does; "" is Everything().
  static Result<LabelSelector> Parse(std::string_view selector);
  // metav1.LabelSelectorAsSelector: null is Nothing(), {} is Everything(); matchLabels become
  // "=" requirements and matchExpressions In/NotIn/Exists/DoesNotExist ones.
  static Result<LabelSelector> FromJson(const Json& label_selector);
  // labels.SelectorFromSet: key=value for each entry, not validated.
  static LabelSelector FromSet(const StringMap& labels);

  bool Matches(const StringMap& labels) const;
  // Matches a labels object (metadata.labels; null or absent is no labels). Entries whose
  // value is not a string are ignored: validation never admits them.
  bool MatchesLabelsJson(const Json& labels) const;
  // Matches a whole object by its metadata.labels.
  bool MatchesObject(const Json& object) const;

  // True when the selector does not restrict anything (and is not Nothing()).
  bool Empty() const { return !nothing_ && requirements_.empty(); }
  bool IsNothing() const { return nothing_; }
  const std::vector<LabelRequirement>& requirements() const { return requirements_; }
  // The single value `key` must equal (=, == or a one-value in), if any.
  std::optional<std::string> RequiresExactMatch(std::string_view key) const;
  std::string ToString() const;

  // Adds a requirement, keeping key order (stable for equal keys).
  void Add(LabelRequirement r);

 private:
  bool nothing_ = false;
  std::vector<LabelRequirement> requirements_;
};

// The reasons, in upstream's words, that `key` is not a label key ([prefix/]name: a DNS
// subdomain prefix of at most 253 bytes, a name of at most 63 bytes of [A-Za-z0-9._-] that
// starts and ends alphanumeric). Empty when it is valid.
std::vector<std::string> LabelKeyErrors(std::string_view key);
// Likewise for a label value: empty, or at most 63 bytes of the label-name characters.
std::vector<std::string> LabelValueErrors(std::string_view value);

// kInvalidArgument "<field>: Invalid value: \"<key>\": <reasons, '; '-joined>" (no "<field>: "
// when `field` is empty).
Status ValidateLabelKey(std::string_view key, std::string_view field = "");
Status ValidateLabelValue(std::string_view value, std::string_view field = "");
// ValidateLabels for metadata.labels: the first bad key or value, reported at `field`.
Status ValidateLabels(const StringMap& labels, std::string_view field);

// Go's %q of a string, for messages that quote user input as upstream does.
std::string GoQuote(std::string_view s);

}  // namespace capstan::api::k8s
