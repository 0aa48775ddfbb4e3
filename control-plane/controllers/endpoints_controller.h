#pragma once
// EndpointsController: the Endpoints and the EndpointSlice of each Service with a selector,
// as kube-controller-manager's endpoints and endpointslice controllers keep them, so
// `kubectl get endpoints`, `kubectl describe svc` and service proxies see the pods behind a
// Service:
//   - the pods in the Service's namespace its selector matches, with an IP, not finished
//     and not being deleted; Ready ones under addresses, the others under
//     notReadyAddresses (all ready with publishNotReadyAddresses);
//   - each service port's targetPort resolved per pod (a name looks up the pod's container
//     ports); pods that resolve to the same ports share a subset;
//   - one EndpointSlice (IPv4, owned by the Service, labelled kubernetes.io/service-name)
//     for the ports most pods resolve to;
//   - both removed when the Service goes. Services without a selector are left to their
//     users, as upstream.

#include "api/k8s/client/reflector.h"
#include "control-plane/controllers/controller.h"

namespace capstan::control_plane::controllers {

class EndpointsController : public Controller {
 public:
  EndpointsController(api::k8s::client::ApiClient* api, const Clock* clock,
                      api::k8s::client::Reflector* services, api::k8s::client::Reflector* pods,
                      api::k8s::client::Reflector* endpoints, api::k8s::client::Reflector* slices);
  // key: the Service's "namespace/name".
  Status Sync(const std::string& key) override;

 private:
  void OnPod(const Json& pod);
  Status SyncEndpoints(const Json& service, const Json& subsets);
  Status SyncSlice(const Json& service, const Json& ports, const Json& endpoints);
  Status DeleteFor(const std::string& ns, const std::string& name);
  std::optional<Json> SliceOf(const std::string& ns, const std::string& service) const;

  api::k8s::client::ApiClient* api_;
  api::k8s::client::Reflector& services_;
  api::k8s::client::Reflector& pods_;
  api::k8s::client::Reflector& endpoints_;
  api::k8s::client::Reflector& slices_;
};

}  // namespace capstan::control_plane::controllers
