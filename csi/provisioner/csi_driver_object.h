#pragma once
// The CSIDriver object a driver publishes about itself, so the kubelet knows how to mount its
// volumes (attachRequired, podInfoOnMount, fsGroupPolicy, lifecycle modes).

#include <string>
#include <vector>

#include "api/k8s/client/api_client.h"

namespace capstan::csi {

struct CsiDriverSpec {
  std::string name;
  bool attach_required = false;
  bool pod_info_on_mount = true;
  std::string fs_group_policy = "File";
  std::vector<std::string> lifecycle_modes = {"Persistent"};
};

// Creates the object, or brings an existing one to `spec` (the spec is immutable upstream in
// parts; a differing object is replaced).
Status EnsureCsiDriver(api::k8s::client::ApiClient* api, const CsiDriverSpec& spec);

}  // namespace capstan::csi
