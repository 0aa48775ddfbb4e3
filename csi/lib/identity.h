#pragma once
// The CSI Identity service, the same for every driver but for what it names.

#include <atomic>
#include <string>

#include "api/csi/v1/csi.grpc.pb.h"

namespace capstan::csi {

struct PluginIdentity {
  std::string name;        // "hostpath.csi.capstan.io"
  std::string version;     // vendor_version
  bool controller = true;  // serves the Controller service
  bool topology = false;   // volumes are reachable only from some nodes
  bool online_expansion = false;
};

class IdentityService final : public ::csi::v1::Identity::Service {
 public:
  explicit IdentityService(PluginIdentity id) : id_(std::move(id)) {}
  // Probe answers not-ready until the driver says it is.
  void SetReady(bool ready) { ready_ = ready; }

  grpc::Status GetPluginInfo(grpc::ServerContext*, const ::csi::v1::GetPluginInfoRequest*,
                             ::csi::v1::GetPluginInfoResponse* out) override;
  grpc::Status GetPluginCapabilities(grpc::ServerContext*,
                                     const ::csi::v1::GetPluginCapabilitiesRequest*,
                                     ::csi::v1::GetPluginCapabilitiesResponse* out) override;
  grpc::Status Probe(grpc::ServerContext*, const ::csi::v1::ProbeRequest*,
                     ::csi::v1::ProbeResponse* out) override;

 private:
  PluginIdentity id_;
  std::atomic<bool> ready_{true};
};

}  // namespace capstan::csi
