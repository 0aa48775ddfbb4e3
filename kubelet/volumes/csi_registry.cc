#include "kubelet/volumes/csi_registry.h"

#include <grpcpp/grpcpp.h>

#include "api/grpc/status_name.h"

namespace capstan::kubelet::volumes {
namespace {

// Mounting may wait on a slow disk or server: upstream gives Node calls two minutes.
constexpr auto kMountTimeout = std::chrono::minutes(2);
constexpr auto kInfoTimeout = std::chrono::seconds(10);

Code CodeOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT: return Code::kInvalidArgument;
    case grpc::StatusCode::NOT_FOUND: return Code::kNotFound;
    case grpc::StatusCode::ALREADY_EXISTS: return Code::kAlreadyExists;
    case grpc::StatusCode::FAILED_PRECONDITION: return Code::kFailedPrecondition;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return Code::kResourceExhausted;
    case grpc::StatusCode::UNIMPLEMENTED: return Code::kUnimplemented;
    case grpc::StatusCode::DEADLINE_EXCEEDED: return Code::kDeadlineExceeded;
    default: return Code::kUnavailable;
  }
}

template <typename Call>
Status Invoke(const std::string& name, std::chrono::seconds timeout, Call call) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  grpc::Status st = call(&ctx);
  if (!st.ok()) {
    return Fail(CsiError(st, name));
  }
  return Ok();
}

}  // namespace

Error CsiError(const grpc::Status& status, const std::string& call) {
  return Error(
      CodeOf(status.error_code()),
      call + " failed: rpc error: code = " + api::grpc_util::StatusCodeName(status.error_code()) +
          " desc = " + status.error_message());
}

void CsiRegistry::Add(CsiDriverInfo info) {
  std::lock_guard lock(mu_);
  drivers_[info.name] = std::move(info);
}

void CsiRegistry::Remove(const std::string& name) {
  std::lock_guard lock(mu_);
  drivers_.erase(name);
}

std::optional<CsiDriverInfo> CsiRegistry::Get(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = drivers_.find(name);
  if (it == drivers_.end()) return std::nullopt;
  return it->second;
}

std::vector<CsiDriverInfo> CsiRegistry::All() const {
  std::lock_guard lock(mu_);
  std::vector<CsiDriverInfo> out;
  for (const auto& [name, info] : drivers_) out.push_back(info);
  return out;
}

CsiNodeClient::CsiNodeClient(const std::string& endpoint) {
  std::string target = endpoint.rfind("unix://", 0) == 0 ? endpoint : "unix://" + endpoint;
  stub_ = ::csi::v1::Node::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
}

Result<::csi::v1::NodeGetInfoResponse> CsiNodeClient::GetInfo() {
  ::csi::v1::NodeGetInfoRequest req;
  ::csi::v1::NodeGetInfoResponse out;
  CAPSTAN_TRY(Invoke("NodeGetInfo", kInfoTimeout,
                     [&](grpc::ClientContext* c) { return stub_->NodeGetInfo(c, req, &out); }));
  return out;
}

Result<bool> CsiNodeClient::SupportsStage() {
  ::csi::v1::NodeGetCapabilitiesRequest req;
  ::csi::v1::NodeGetCapabilitiesResponse out;
  CAPSTAN_TRY(Invoke("NodeGetCapabilities", kInfoTimeout, [&](grpc::ClientContext* c) {
    return stub_->NodeGetCapabilities(c, req, &out);
  }));
  for (const auto& cap : out.capabilities()) {
    if (cap.rpc().type() == ::csi::v1::NodeServiceCapability::RPC::STAGE_UNSTAGE_VOLUME) {
      return true;
    }
  }
  return false;
}

Status CsiNodeClient::Stage(const ::csi::v1::NodeStageVolumeRequest& req) {
  ::csi::v1::NodeStageVolumeResponse out;
  return Invoke("NodeStageVolume", kMountTimeout,
                [&](grpc::ClientContext* c) { return stub_->NodeStageVolume(c, req, &out); });
}

Status CsiNodeClient::Unstage(const ::csi::v1::NodeUnstageVolumeRequest& req) {
  ::csi::v1::NodeUnstageVolumeResponse out;
  return Invoke("NodeUnstageVolume", kMountTimeout,
                [&](grpc::ClientContext* c) { return stub_->NodeUnstageVolume(c, req, &out); });
}

Status CsiNodeClient::Publish(const ::csi::v1::NodePublishVolumeRequest& req) {
  ::csi::v1::NodePublishVolumeResponse out;
  return Invoke("NodePublishVolume", kMountTimeout,
                [&](grpc::ClientContext* c) { return stub_->NodePublishVolume(c, req, &out); });
}

Status CsiNodeClient::Unpublish(const ::csi::v1::NodeUnpublishVolumeRequest& req) {
  ::csi::v1::NodeUnpublishVolumeResponse out;
  return Invoke("NodeUnpublishVolume", kMountTimeout,
                [&](grpc::ClientContext* c) { return stub_->NodeUnpublishVolume(c, req, &out); });
}

Result<::csi::v1::NodeGetVolumeStatsResponse> CsiNodeClient::Stats(
    const ::csi::v1::NodeGetVolumeStatsRequest& req) {
  ::csi::v1::NodeGetVolumeStatsResponse out;
  CAPSTAN_TRY(Invoke("NodeGetVolumeStats", kInfoTimeout, [&](grpc::ClientContext* c) {
    return stub_->NodeGetVolumeStats(c, req, &out);
  }));
  return out;
}

}  // namespace capstan::kubelet::volumes
