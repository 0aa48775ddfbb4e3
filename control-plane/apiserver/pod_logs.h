#pragma once
// pods/log: kube-apiserver's log proxy. The API server finds the pod's node and its kubelet's
// address (the Node's InternalIP, else its Hostname, and daemonEndpoints.kubeletEndpoint),
// and relays GET /containerLogs/<ns>/<pod>/<container> from that kubelet's authenticated
// API, presenting its kubelet client certificate and verifying the kubelet's serving
// certificate against the cluster CA. With follow=true the lines stream as they come.

#include <memory>
#include <string>

#include "api/k8s/client/rest_client.h"

namespace capstan::control_plane::apiserver {

struct KubeletConnection {
  std::string ca_pem;  // kubelet serving certificates chain to it
  std::string client_cert_pem;
  std::string client_key_pem;
  bool configured() const { return !client_cert_pem.empty(); }
  // A client of the kubelet at host:port, as the API server's kubelet client.
  Result<std::unique_ptr<api::k8s::client::RestClient>> Client(
      const std::string& host, int port,
      std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
};

}  // namespace capstan::control_plane::apiserver
