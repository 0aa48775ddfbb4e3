#include "control-plane/controllers/ephemeral_volume_controller.h"

#include <fmt/format.h>

#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {
namespace {

namespace client = api::k8s::client;

bool HasEphemeral(const Json& pod) {
  for (const auto& v : Field(pod, {"spec", "volumes"})) {
    if (Field(v, {"ephemeral"}).is_object()) return true;
  }
  return false;
}

}  // namespace

EphemeralVolumeController::EphemeralVolumeController(client::ApiClient* api, const Clock* clock,
                                                     client::Reflector* pods,
                                                     client::Reflector* claims)
    : Controller(clock, "ephemeral-volume-controller"),
      api_(api),
      events_(api, clock, "ephemeral-volume-controller"),
      pods_(*pods),
      claims_(*claims) {
  auto pod = [this](const Json& p) {
    if (HasEphemeral(p) && !BeingDeleted(p)) queue_.Add(KeyOf(p));
  };
  pods_.AddEventHandler({pod, [pod](const Json&, const Json& p) { pod(p); }, {}});
  // A claim of a pod that went away and came back (deleted by hand) is made again.
  auto claim = [this](const Json& c) {
    for (const auto& ref : Field(c, {"metadata", "ownerReferences"})) {
      if (StringOf(Field(ref, {"kind"})) == "Pod") {
        queue_.Add(StringOf(Field(c, {"metadata", "namespace"})) + "/" +
                   StringOf(Field(ref, {"name"})));
      }
    }
  };
  claims_.AddEventHandler({{}, {}, claim});
}

Status EphemeralVolumeController::Sync(const std::string& key) {
  auto [ns, name] = SplitKey(key);
  auto pod = pods_.Get(ns, name);
  if (!pod || BeingDeleted(*pod)) return Ok();
  std::string uid = StringOf(Field(*pod, {"metadata", "uid"}));
  for (const auto& v : Field(*pod, {"spec", "volumes"})) {
    const Json& tmpl = Field(v, {"ephemeral", "volumeClaimTemplate"});
    if (!tmpl.is_object()) continue;
    std::string claim_name = name + "-" + StringOf(Field(v, {"name"}));
    if (claims_.Get(ns, claim_name)) continue;
    Json meta = Json::object();
    const Json& tmeta = Field(tmpl, {"metadata"});
    if (Field(tmeta, {"labels"}).is_object()) meta["labels"] = Field(tmeta, {"labels"});
    if (Field(tmeta, {"annotations"}).is_object()) {
      meta["annotations"] = Field(tmeta, {"annotations"});
    }
    meta["name"] = claim_name;
    meta["namespace"] = ns;
    meta["ownerReferences"] = Json::array({{{"apiVersion", "v1"},
                                            {"kind", "Pod"},
                                            {"name", name},
                                            {"uid", uid},
                                            {"controller", true},
                                            {"blockOwnerDeletion", true}}});
    Json claim = {{"apiVersion", "v1"},
                  {"kind", "PersistentVolumeClaim"},
                  {"metadata", meta},
                  {"spec", Field(tmpl, {"spec"})}};
    auto created = api_->Create(client::resources::kPersistentVolumeClaims, ns, claim);
    if (!created && created.error().code() != Code::kAlreadyExists) {
      Json pod_obj = *pod;
      pod_obj["apiVersion"] = "v1";
      pod_obj["kind"] = "Pod";
      events_.Record(
          pod_obj, "Warning", "FailedBinding",
          fmt::format("ephemeral volume {}: create PVC {}: {}", StringOf(Field(v, {"name"})),
                      claim_name, created.error().message()));
      return Fail(created.error());
    }
  }
  return Ok();
}

}  // namespace capstan::control_plane::controllers
