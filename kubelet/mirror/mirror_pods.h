#pragma once
// MirrorPods: a static pod (from the manifest directory) is shown in the API as a mirror pod,
// as upstream's mirror client does: the same name, namespace and spec, the annotation
// kubernetes.io/config.mirror holding the static pod's hash, owned by the Node. A deleted
// mirror pod is created again, a changed static pod gets a new one, and a mirror pod whose
// static pod is gone is deleted. The kubelet never runs mirror pods (ApiSource skips them);
// their status is the static pod's, written by ApiStatusReporter.

#include <functional>
#include <string>
#include <vector>

#include "api/k8s/client/api_client.h"
#include "api/k8s/pod.h"

namespace capstan::kubelet::mirror {

class MirrorPods {
 public:
  // `on_created` gets the static pod's uid when its mirror pod was (re)created.
  MirrorPods(api::k8s::client::ApiClient* api, std::string node_name,
             std::function<void(const std::string&)> on_created = {});
  // One pass for the current static pods.
  void SyncOnce(const std::vector<api::k8s::Pod>& static_pods);

 private:
  api::k8s::client::Json MirrorOf(const api::k8s::Pod& pod);

  api::k8s::client::ApiClient* api_;
  std::string node_;
  std::string node_uid_;
  std::function<void(const std::string&)> on_created_;
};

}  // namespace capstan::kubelet::mirror
