#pragma once
// The kubelet plugin-registration side of a CSI driver (what node-driver-registrar does
// upstream, built in): a Registration service on <kubelet-root>/plugins_registry/<name>-reg.sock
// that tells the kubelet's plugin watcher the driver's name and CSI endpoint.

#include <atomic>
#include <memory>
#include <string>

#include "api/kubelet/pluginregistration/v1/api.grpc.pb.h"
#include "common/error.h"

namespace capstan::csi {

class RegistrationService final : public ::pluginregistration::Registration::Service {
 public:
  RegistrationService(std::string driver_name, std::string csi_endpoint)
      : name_(std::move(driver_name)), endpoint_(std::move(csi_endpoint)) {}

  grpc::Status GetInfo(grpc::ServerContext*, const ::pluginregistration::InfoRequest*,
                       ::pluginregistration::PluginInfo* out) override;
  grpc::Status NotifyRegistrationStatus(grpc::ServerContext*,
                                        const ::pluginregistration::RegistrationStatus* status,
                                        ::pluginregistration::RegistrationStatusResponse*) override;

  bool registered() const { return registered_; }

 private:
  std::string name_;
  std::string endpoint_;
  std::atomic<bool> registered_{false};
};

// The socket path the driver serves registration on, in `registry_dir`.
std::string RegistrationSocket(const std::string& registry_dir, const std::string& driver_name);

}  // namespace capstan::csi
