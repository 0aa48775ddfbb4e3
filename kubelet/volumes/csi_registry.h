#pragma once
// The CSI drivers registered on this node (by the plugin watcher), and the kubelet's calls to
// a driver's Node service.

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/csi/v1/csi.grpc.pb.h"
#include "common/error.h"

namespace capstan::kubelet::volumes {

struct CsiDriverInfo {
  std::string name;
  std::string endpoint;  // the driver's CSI socket
  std::string node_id;   // NodeGetInfo
  std::map<std::string, std::string> topology;
  int64_t max_volumes = 0;
};

class CsiRegistry {
 public:
  void Add(CsiDriverInfo info);
  void Remove(const std::string& name);
  std::optional<CsiDriverInfo> Get(const std::string& name) const;
  std::vector<CsiDriverInfo> All() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, CsiDriverInfo> drivers_;
};

// One driver's Node service, over its unix socket. Errors keep the driver's message.
class CsiNodeClient {
 public:
  explicit CsiNodeClient(const std::string& endpoint);

  Result<::csi::v1::NodeGetInfoResponse> GetInfo();
  Result<bool> SupportsStage();
  Status Stage(const ::csi::v1::NodeStageVolumeRequest& req);
  Status Unstage(const ::csi::v1::NodeUnstageVolumeRequest& req);
  Status Publish(const ::csi::v1::NodePublishVolumeRequest& req);
  Status Unpublish(const ::csi::v1::NodeUnpublishVolumeRequest& req);
  Result<::csi::v1::NodeGetVolumeStatsResponse> Stats(
      const ::csi::v1::NodeGetVolumeStatsRequest& req);

 private:
  std::unique_ptr<::csi::v1::Node::Stub> stub_;
};

// A gRPC status as an Error ("rpc error: code = NotFound desc = ...", as upstream words it).
Error CsiError(const grpc::Status& status, const std::string& call);

}  // namespace capstan::kubelet::volumes
