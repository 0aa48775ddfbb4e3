#include "csi/provisioner/csi_driver_object.h"

namespace capstan::csi {

using api::k8s::client::Json;
namespace res = api::k8s::client::resources;

Status EnsureCsiDriver(api::k8s::client::ApiClient* api, const CsiDriverSpec& spec) {
  Json want = {{"attachRequired", spec.attach_required},
               {"podInfoOnMount", spec.pod_info_on_mount},
               {"fsGroupPolicy", spec.fs_group_policy},
               {"volumeLifecycleModes", spec.lifecycle_modes}};
  Json obj = {{"apiVersion", "storage.k8s.io/v1"},
              {"kind", "CSIDriver"},
              {"metadata", {{"name", spec.name}}},
              {"spec", want}};
  auto current = api->Get(res::kCsiDrivers, "", spec.name);
  if (current) {
    Json have = current->value("spec", Json::object());
    bool same = true;
    for (const auto& [k, v] : want.items()) same = same && have.value(k, Json()) == v;
    if (same) return Ok();
    if (auto st = api->Delete(res::kCsiDrivers, "", spec.name);
        !st && st.error().code() != Code::kNotFound) {
      return st;
    }
  } else if (current.error().code() != Code::kNotFound) {
    return Fail(current.error());
  }
  auto created = api->Create(res::kCsiDrivers, "", obj);
  if (!created && created.error().code() != Code::kAlreadyExists) return Fail(created.error());
  return Ok();
}

}  // namespace capstan::csi
