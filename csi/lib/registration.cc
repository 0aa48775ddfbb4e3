#include "csi/lib/registration.h"

#include "common/log.h"
#include "csi/lib/server.h"

namespace capstan::csi {
namespace {
const log::Logger kLog("csi-registration");
}

grpc::Status RegistrationService::GetInfo(grpc::ServerContext*,
                                          const ::pluginregistration::InfoRequest*,
                                          ::pluginregistration::PluginInfo* out) {
  out->set_type("CSIPlugin");
  out->set_name(name_);
  out->set_endpoint(SocketPath(endpoint_));
  out->add_supported_versions("1.0.0");
  return grpc::Status::OK;
}

grpc::Status RegistrationService::NotifyRegistrationStatus(
    grpc::ServerContext*, const ::pluginregistration::RegistrationStatus* status,
    ::pluginregistration::RegistrationStatusResponse*) {
  registered_ = status->plugin_registered();
  if (status->plugin_registered()) {
    kLog.Info("registered with the kubelet", {{"driver", name_}});
  } else {
    kLog.Warn("the kubelet refused registration", {{"driver", name_}, {"error", status->error()}});
  }
  return grpc::Status::OK;
}

std::string RegistrationSocket(const std::string& registry_dir, const std::string& driver_name) {
  return registry_dir + "/" + driver_name + "-reg.sock";
}

}  // namespace capstan::csi
