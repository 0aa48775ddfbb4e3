#include "control-plane/apiserver/service_account_admission.h"

#include <random>

#include "control-plane/apiserver/object_util.h"

namespace capstan::control_plane::apiserver {
namespace {

// Upstream's suffix alphabet (utilrand.String): no vowels, no look-alike characters.
std::string RandomSuffix() {
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<size_t> pick(0, sizeof(kAlphabet) - 2);
  std::string out;
  for (int i = 0; i < 5; ++i) out += kAlphabet[pick(rng)];
  return out;
}

bool MountsServiceAccountPath(const Json& spec) {
  for (const char* list : {"initContainers", "containers"}) {
    const Json& containers = spec.value(list, Json::array());
    if (!containers.is_array()) continue;
    for (const auto& c : containers) {
      const Json& mounts = c.is_object() ? c.value("volumeMounts", Json::array()) : Json();
      if (!mounts.is_array()) continue;
      for (const auto& m : mounts) {
        if (m.is_object() && StringOr(m.value("mountPath", Json())) == kServiceAccountMountPath) {
          return true;
        }
      }
    }
  }
  return false;
}

Json AccessVolume(const std::string& name) {
  return {
      {"name", name},
      {"projected",
       {{"defaultMode", 420},
        {"sources",
         {{{"serviceAccountToken", {{"expirationSeconds", 3607}, {"path", "token"}}}},
          {{"configMap",
            {{"name", kRootCaConfigMap}, {"items", {{{"key", "ca.crt"}, {"path", "ca.crt"}}}}}}},
          {{"downwardAPI",
            {{"items",
              {{{"path", "namespace"},
                {"fieldRef",
                 {{"apiVersion", "v1"}, {"fieldPath", "metadata.namespace"}}}}}}}}}}}}}};
}

}  // namespace

ApiResult<void> AdmitServiceAccount(storage::Store* store, Json& pod) {
  if (!Lookup(pod, {"metadata", "annotations", "kubernetes.io/config.mirror"}).is_null()) return {};
  Json& spec = pod["spec"];
  if (!spec.is_object()) return {};
  std::string ns = MetaString(pod, "namespace");
  std::string sa_name = StringOr(spec.value("serviceAccountName", Json()));
  if (sa_name.empty()) sa_name = "default";
  Json sa;
  if (auto kv = store->Get("/registry/core/serviceaccounts/" + ns + "/" + sa_name)) {
    sa = Json::parse(kv->value, nullptr, false);
  } else if (sa_name != "default") {
    return std::unexpected(ForbiddenError("", "pods", MetaString(pod, "name"),
                                          "error looking up service account " + ns + "/" + sa_name +
                                              ": serviceaccount \"" + sa_name + "\" not found"));
  }
  const Json& pod_automount = spec.value("automountServiceAccountToken", Json());
  const Json& sa_automount =
      sa.is_object() ? sa.value("automountServiceAccountToken", Json()) : Json();
  bool automount = pod_automount.is_boolean()  ? pod_automount.get<bool>()
                   : sa_automount.is_boolean() ? sa_automount.get<bool>()
                                               : true;
  if (!automount || MountsServiceAccountPath(spec)) return {};

  std::string volume = "kube-api-access-" + RandomSuffix();
  if (!spec.contains("volumes") || !spec["volumes"].is_array()) spec["volumes"] = Json::array();
  spec["volumes"].push_back(AccessVolume(volume));
  Json mount = {{"name", volume}, {"readOnly", true}, {"mountPath", kServiceAccountMountPath}};
  for (const char* list : {"initContainers", "containers"}) {
    if (!spec.contains(list) || !spec[list].is_array()) continue;
    for (auto& c : spec[list]) {
      if (!c.is_object()) continue;
      if (!c.contains("volumeMounts") || !c["volumeMounts"].is_array()) {
        c["volumeMounts"] = Json::array();
      }
      c["volumeMounts"].push_back(mount);
    }
  }
  return {};
}

}  // namespace capstan::control_plane::apiserver
