#include "control-plane/controllers/deployment_util.h"

#include <charconv>
#include <cmath>

#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {
namespace {

Json WithoutHash(const Json& template_) {
  Json t = WithoutNulls(template_);
  if (t.is_object() && t.contains("metadata") && t["metadata"].is_object() &&
      t["metadata"].contains("labels") && t["metadata"]["labels"].is_object()) {
    t["metadata"]["labels"].erase(kPodTemplateHashLabel);
  }
  return t;
}

}  // namespace

int64_t ScaledValue(const Json& v, int64_t replicas, bool round_up, int64_t fallback) {
  if (v.is_number_integer()) return std::max<int64_t>(0, v.get<int64_t>());
  if (!v.is_string()) return fallback;
  std::string s = v.get<std::string>();
  if (s.empty() || s.back() != '%') return fallback;
  int64_t percent = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size() - 1, percent);
  if (ec != std::errc() || p != s.data() + s.size() - 1) return fallback;
  if (percent < 0) return fallback;
  double value = static_cast<double>(percent) * static_cast<double>(replicas) / 100.0;
  return static_cast<int64_t>(round_up ? std::ceil(value) : std::floor(value));
}

std::string PodTemplateHash(const Json& template_, int64_t collision_count) {
  std::string text = WithoutHash(template_).dump();
  if (collision_count > 0) text += std::to_string(collision_count);
  uint32_t h = 2166136261u;
  for (unsigned char c : text) {
    h ^= c;
    h *= 16777619u;
  }
  // rand.SafeEncodeString over the decimal digits: no vowels, no look-alikes.
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string out = std::to_string(h);
  for (char& ch : out) ch = kAlphabet[static_cast<unsigned char>(ch) % 27];
  return out;
}

bool EqualIgnoringHash(const Json& a, const Json& b) { return WithoutHash(a) == WithoutHash(b); }

int64_t RevisionOf(const Json& object) {
  const Json& v = Field(object, {"metadata", "annotations", kRevisionAnnotation});
  if (!v.is_string()) return 0;
  int64_t n = 0;
  const std::string& s = v.get_ref<const std::string&>();
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  return ec == std::errc() && p == s.data() + s.size() ? n : 0;
}

std::pair<int64_t, int64_t> ResolveSurgeAndUnavailable(const Json& deployment) {
  if (Field(deployment, {"spec", "strategy", "type"}) == "Recreate") return {0, 0};
  int64_t replicas = IntField(deployment, {"spec", "replicas"}, 1);
  const Json& ru = Field(deployment, {"spec", "strategy", "rollingUpdate"});
  int64_t surge = ScaledValue(Field(ru, {"maxSurge"}), replicas, true, (replicas * 25 + 99) / 100);
  int64_t unavailable =
      ScaledValue(Field(ru, {"maxUnavailable"}), replicas, false, replicas * 25 / 100);
  if (surge == 0 && unavailable == 0) unavailable = 1;
  return {surge, unavailable};
}

Json AnnotationsToCopy(const Json& deployment) {
  Json out = Json::object();
  const Json& annotations = Field(deployment, {"metadata", "annotations"});
  if (!annotations.is_object()) return out;
  for (const auto& [k, v] : annotations.items()) {
    if (k == "kubectl.kubernetes.io/last-applied-configuration" || k == kRevisionAnnotation ||
        k == kRevisionHistoryAnnotation || k == kDesiredReplicasAnnotation ||
        k == kMaxReplicasAnnotation) {
      continue;
    }
    out[k] = v;
  }
  return out;
}

}  // namespace capstan::control_plane::controllers
