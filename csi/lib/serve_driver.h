#pragma once
// What a capstan CSI driver's main does after it made its services: serve them on the CSI
// socket, register with the kubelet (plugins_registry), and with an API server publish its
// CSIDriver object and run the provisioner beside it; then wait for SIGTERM.

#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "csi/provisioner/csi_driver_object.h"

namespace capstan::csi {

struct ServeOptions {
  CsiDriverSpec driver;          // name and the CSIDriver object's spec
  std::string endpoint;          // unix:///...
  std::string registration_dir;  // "" : do not register with a kubelet
  std::string kubeconfig;        // "" : no CSIDriver object, no provisioner
  std::string provision_node;    // the provisioner serves claims of this node only ("" : all)
};

// Returns the process's exit code.
int ServeDriver(const ServeOptions& options, const std::vector<grpc::Service*>& services);

}  // namespace capstan::csi
