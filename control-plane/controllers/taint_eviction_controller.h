#pragma once
// TaintEvictionController: pods leave a node with a NoExecute taint they do not tolerate,
// as upstream's taint eviction controller (formerly the NoExecuteTaintManager) has them.
// A pod that tolerates every NoExecute taint of its node for a while (tolerationSeconds)
// is deleted when the shortest of those whiles has passed since the controller first saw
// it exposed; removing the taint in time cancels the eviction. A pod with a toleration
// without tolerationSeconds stays for good. Every eviction is a normal deletion (the pod's
// grace period) with a TaintManagerEviction event on the pod, as upstream.

#include <map>
#include <mutex>
#include <string>

#include "api/k8s/client/event_recorder.h"
#include "api/k8s/client/reflector.h"
#include "control-plane/controllers/controller.h"

namespace capstan::control_plane::controllers {

class TaintEvictionController : public Controller {
 public:
  TaintEvictionController(api::k8s::client::ApiClient* api, const Clock* clock,
                          api::k8s::client::Reflector* pods, api::k8s::client::Reflector* nodes);
  // key: the pod's "namespace/name".
  Status Sync(const std::string& key) override;

 private:
  void Cancel(const std::string& key, const Json* pod);

  api::k8s::client::ApiClient* api_;
  api::k8s::client::Reflector& pods_;
  api::k8s::client::Reflector& nodes_;
  api::k8s::client::EventRecorder events_;
  std::mutex mu_;
  // Pods exposed to a tolerated NoExecute taint -> when that was first seen.
  std::map<std::string, WallTime> exposed_since_;
};

}  // namespace capstan::control_plane::controllers
