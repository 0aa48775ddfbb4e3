#include "csi/lib/identity.h"

namespace capstan::csi {

using ::csi::v1::PluginCapability;

grpc::Status IdentityService::GetPluginInfo(grpc::ServerContext*,
                                            const ::csi::v1::GetPluginInfoRequest*,
                                            ::csi::v1::GetPluginInfoResponse* out) {
  out->set_name(id_.name);
  out->set_vendor_version(id_.version);
  return grpc::Status::OK;
}

grpc::Status IdentityService::GetPluginCapabilities(grpc::ServerContext*,
                                                    const ::csi::v1::GetPluginCapabilitiesRequest*,
                                                    ::csi::v1::GetPluginCapabilitiesResponse* out) {
  auto add_service = [&](PluginCapability::Service::Type type) {
    out->add_capabilities()->mutable_service()->set_type(type);
  };
  if (id_.controller) {
    add_service(PluginCapability::Service::CONTROLLER_SERVICE);
  }
  if (id_.topology) {
    add_service(PluginCapability::Service::VOLUME_ACCESSIBILITY_CONSTRAINTS);
  }
  if (id_.online_expansion) {
    out->add_capabilities()->mutable_volume_expansion()->set_type(
        PluginCapability::VolumeExpansion::ONLINE);
  }
  return grpc::Status::OK;
}

grpc::Status IdentityService::Probe(grpc::ServerContext*, const ::csi::v1::ProbeRequest*,
                                    ::csi::v1::ProbeResponse* out) {
  out->mutable_ready()->set_value(ready_);
  return grpc::Status::OK;
}

}  // namespace capstan::csi
