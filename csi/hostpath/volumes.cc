#include <sys/stat.h>

#include <filesystem>

#include "csi/hostpath/driver.h"

namespace capstan::csi::hostpath {

Result<std::shared_ptr<Volumes>> Volumes::Open(DriverConfig config) {
  auto state = State::Load(config.root);
  if (!state) {
    return std::unexpected(state.error());
  }
  auto volumes = std::make_shared<Volumes>();
  volumes->config_ = std::move(config);
  volumes->state_ = std::move(*state);
  return volumes;
}

void Volumes::SetTopology(::csi::v1::Topology* out) const {
  (*out->mutable_segments())[kTopologyKey] = config_.node_id;
}

grpc::Status Volumes::Persist() {
  if (auto st = state_.Save(); !st) {
    return grpc::Status(grpc::StatusCode::INTERNAL, st.error().message());
  }
  return grpc::Status::OK;
}

int64_t DiskUsage(const std::string& dir) {
  namespace fs = std::filesystem;
  int64_t total = 0;
  std::error_code ec;
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0) {
    total += static_cast<int64_t>(st.st_blocks) * 512;
  }
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    if (::lstat(it->path().c_str(), &st) == 0) {
      total += static_cast<int64_t>(st.st_blocks) * 512;
    }
  }
  return total;
}

}  // namespace capstan::csi::hostpath
