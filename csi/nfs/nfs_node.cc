// The Node service of capstan-csi-nfs: stage mounts server:/share/subdir once per node at the
// staging path (by the kernel's NFS client or by capstan-nfs-fuse, one helper per volume),
// publish binds that into each pod.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <fstream>
#include <thread>

#include "common/file.h"
#include "common/mount_table.h"
#include "common/process.h"
#include "csi/lib/keyed_locks.h"
#include "csi/lib/mount.h"
#include "csi/lib/validate.h"
#include "csi/nfs/nfs_driver.h"

namespace capstan::csi::nfs {
namespace {

using ::csi::v1::NodeServiceCapability;
using ::csi::v1::VolumeCapability;
using grpc::StatusCode;

grpc::Status Internal(const std::string& message) {
  return StatusOf(StatusCode::INTERNAL, message);
}

template <typename Request>
std::string ContextOf(const Request& req, const char* key, const char* alt = nullptr) {
  const auto& ctx = req.volume_context();
  auto it = ctx.find(key);
  if (it == ctx.end() && alt != nullptr) it = ctx.find(alt);
  return it == ctx.end() ? "" : it->second;
}

// Starts capstan-nfs-fuse detached (its own session, reparented away from the driver), so
// the mount outlives a driver restart.
Status SpawnFuse(const NodeOptions& o, const std::vector<std::string>& args,
                 const std::string& log_path) {
  // Everything the child needs is made before fork: the driver is multithreaded, and the
  // child may only make async-signal-safe calls.
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t child = ::fork();
  if (child < 0) return FailErrno("fork");
  if (child == 0) {
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) ::dup2(null, 0);
    if (log >= 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
    }
    ::execv(o.fuse_helper.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return Ok();
}

class NodeService final : public ::csi::v1::Node::Service {
 public:
  explicit NodeService(NodeOptions o) : o_(std::move(o)) {}

  grpc::Status NodeGetCapabilities(grpc::ServerContext*,
                                   const ::csi::v1::NodeGetCapabilitiesRequest*,
                                   ::csi::v1::NodeGetCapabilitiesResponse* out) override {
    for (auto type :
         {NodeServiceCapability::RPC::STAGE_UNSTAGE_VOLUME,
          NodeServiceCapability::RPC::GET_VOLUME_STATS, NodeServiceCapability::RPC::EXPAND_VOLUME,
          NodeServiceCapability::RPC::SINGLE_NODE_MULTI_WRITER}) {
      out->add_capabilities()->mutable_rpc()->set_type(type);
    }
    return grpc::Status::OK;
  }

  grpc::Status NodeGetInfo(grpc::ServerContext*, const ::csi::v1::NodeGetInfoRequest*,
                           ::csi::v1::NodeGetInfoResponse* out) override {
    out->set_node_id(o_.node_id);
    return grpc::Status::OK;
  }

  grpc::Status NodeStageVolume(grpc::ServerContext*, const ::csi::v1::NodeStageVolumeRequest* req,
                               ::csi::v1::NodeStageVolumeResponse*) override {
    if (auto st = Require(req->volume_id(), "volume_id"); !st.ok()) return st;
    if (auto st = Require(req->staging_target_path(), "staging_target_path"); !st.ok()) return st;
    if (auto st = CheckMountCapability(*req); !st.ok()) return st;
    std::string server = ContextOf(*req, "server");
    std::string share = ContextOf(*req, "share");
    std::string subdir = ContextOf(*req, "subdir", "subDir");
    if (server.empty() || share.empty() || share[0] != '/') {
      return InvalidArgument("the volume context needs server and share (an absolute path)");
    }
    if (subdir.find("..") != std::string::npos) {
      return InvalidArgument(fmt::format("subdir {} leaves the share", subdir));
    }
    auto guard = locks_.TryLock(req->volume_id());
    if (!guard) return Busy(req->volume_id());
    const std::string& target = req->staging_target_path();
    if (IsMountPoint(target)) return grpc::Status::OK;
    if (auto st = MkdirAll(target, 0750); !st) return Internal(st.error().message());
    std::string options;
    for (const auto& flag : req->volume_capability().mount().mount_flags()) {
      options += (options.empty() ? "" : ",") + flag;
    }
    auto mode = req->volume_capability().access_mode().mode();
    if (mode == VolumeCapability::AccessMode::SINGLE_NODE_READER_ONLY ||
        mode == VolumeCapability::AccessMode::MULTI_NODE_READER_ONLY) {
      options += options.empty() ? "ro" : ",ro";
    }
    if (o_.kernel_nfs) {
      std::vector<std::string> argv = {"mount", "-t", "nfs"};
      if (!options.empty()) argv.insert(argv.end(), {"-o", options});
      argv.insert(argv.end(),
                  {server + ":" + share + (subdir.empty() ? "" : "/" + subdir), target});
      auto ran = RunCommand({argv}, std::chrono::minutes(2));
      if (!ran || ran->exit_code != 0) {
        return Internal(fmt::format("mount failed: {}", ran ? ran->err : ran.error().message()));
      }
    } else {
      // The id is the CO's to choose: only its safe characters name the log.
      std::string safe;
      for (char c : req->volume_id()) safe += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      std::string log = o_.log_dir + "/fuse-" + safe.substr(0, 100) + ".log";
      (void)MkdirAll(o_.log_dir, 0700);
      if (auto st = SpawnFuse(o_, {o_.fuse_helper, server, share, subdir, target, options}, log);
          !st) {
        return Internal(st.error().message());
      }
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (!IsMountPoint(target)) {
        if (std::chrono::steady_clock::now() > deadline) {
          auto text = ReadFile(log);
          return Internal(fmt::format("the FUSE mount of {}:{}/{} did not come up: {}", server,
                                      share, subdir, text ? *text : "no log"));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    if (std::string perms = ContextOf(*req, "mountPermissions"); !perms.empty()) {
      try {
        ::chmod(target.c_str(), static_cast<mode_t>(std::stoul(perms, nullptr, 8)));
      } catch (const std::exception&) {
        // checked when the volume was made; a static volume's bad mode is left alone
      }
    }
    return grpc::Status::OK;
  }

  grpc::Status NodeUnstageVolume(grpc::ServerContext*,
                                 const ::csi::v1::NodeUnstageVolumeRequest* req,
                                 ::csi::v1::NodeUnstageVolumeResponse*) override {
    if (auto st = Require(req->volume_id(), "volume_id"); !st.ok()) return st;
    if (auto st = Require(req->staging_target_path(), "staging_target_path"); !st.ok()) return st;
    auto guard = locks_.TryLock(req->volume_id());
    if (!guard) return Busy(req->volume_id());
    // Unmounting a FUSE mount ends its helper.
    if (auto st = Unmount(req->staging_target_path(), false); !st) {
      return Internal(st.error().message());
    }
    return grpc::Status::OK;
  }

  grpc::Status NodePublishVolume(grpc::ServerContext*,
                                 const ::csi::v1::NodePublishVolumeRequest* req,
                                 ::csi::v1::NodePublishVolumeResponse*) override {
    if (auto st = Require(req->volume_id(), "volume_id"); !st.ok()) return st;
    if (auto st = Require(req->target_path(), "target_path"); !st.ok()) return st;
    if (auto st = Require(req->staging_target_path(), "staging_target_path"); !st.ok()) return st;
    if (auto st = CheckMountCapability(*req); !st.ok()) return st;
    auto guard = locks_.TryLock(req->target_path());
    if (!guard) return Busy(req->target_path());
    if (!IsMountPoint(req->staging_target_path())) {
      return StatusOf(StatusCode::FAILED_PRECONDITION,
                      fmt::format("volume {} is not staged at {}", req->volume_id(),
                                  req->staging_target_path()));
    }
    auto mode = req->volume_capability().access_mode().mode();
    bool read_only = req->readonly() ||
                     mode == VolumeCapability::AccessMode::SINGLE_NODE_READER_ONLY ||
                     mode == VolumeCapability::AccessMode::MULTI_NODE_READER_ONLY;
    if (auto st = BindMount(req->staging_target_path(), req->target_path(), read_only); !st) {
      return Internal(st.error().message());
    }
    return grpc::Status::OK;
  }

  grpc::Status NodeUnpublishVolume(grpc::ServerContext*,
                                   const ::csi::v1::NodeUnpublishVolumeRequest* req,
                                   ::csi::v1::NodeUnpublishVolumeResponse*) override {
    if (auto st = Require(req->volume_id(), "volume_id"); !st.ok()) return st;
    if (auto st = Require(req->target_path(), "target_path"); !st.ok()) return st;
    auto guard = locks_.TryLock(req->target_path());
    if (!guard) return Busy(req->target_path());
    if (auto st = Unmount(req->target_path(), true); !st) return Internal(st.error().message());
    return grpc::Status::OK;
  }

  // The share is as big as the server says: nothing to grow on the node.
  grpc::Status NodeExpandVolume(grpc::ServerContext*, const ::csi::v1::NodeExpandVolumeRequest* req,
                                ::csi::v1::NodeExpandVolumeResponse* out) override {
    if (auto st = Require(req->volume_id(), "volume_id"); !st.ok()) return st;
    if (auto st = Require(req->volume_path(), "volume_path"); !st.ok()) return st;
    if (!PathExists(req->volume_path()) || !IsMountPoint(req->volume_path())) {
      return NotFound(
          fmt::format("volume {} is not published at {}", req->volume_id(), req->volume_path()));
    }
    out->set_capacity_bytes(req->capacity_range().required_bytes());
    return grpc::Status::OK;
  }

  grpc::Status NodeGetVolumeStats(grpc::ServerContext*,
                                  const ::csi::v1::NodeGetVolumeStatsRequest* req,
                                  ::csi::v1::NodeGetVolumeStatsResponse* out) override {
    if (auto st = Require(req->volume_id(), "volume_id"); !st.ok()) return st;
    if (auto st = Require(req->volume_path(), "volume_path"); !st.ok()) return st;
    if (!PathExists(req->volume_path()) || !IsMountPoint(req->volume_path())) {
      return NotFound(
          fmt::format("volume {} is not published at {}", req->volume_id(), req->volume_path()));
    }
    struct statvfs st {};
    if (::statvfs(req->volume_path().c_str(), &st) != 0) {
      out->mutable_volume_condition()->set_abnormal(true);
      out->mutable_volume_condition()->set_message(std::strerror(errno));
      return grpc::Status::OK;
    }
    auto* bytes = out->add_usage();
    bytes->set_unit(::csi::v1::VolumeUsage::BYTES);
    bytes->set_total(static_cast<int64_t>(st.f_blocks * st.f_frsize));
    bytes->set_available(static_cast<int64_t>(st.f_bavail * st.f_frsize));
    bytes->set_used(static_cast<int64_t>((st.f_blocks - st.f_bfree) * st.f_frsize));
    auto* inodes = out->add_usage();
    inodes->set_unit(::csi::v1::VolumeUsage::INODES);
    inodes->set_total(static_cast<int64_t>(st.f_files));
    inodes->set_available(static_cast<int64_t>(st.f_favail));
    inodes->set_used(static_cast<int64_t>(st.f_files - st.f_ffree));
    out->mutable_volume_condition()->set_message("healthy");
    return grpc::Status::OK;
  }

 private:
  NodeOptions o_;
  KeyedLocks locks_;
};

}  // namespace

bool KernelHasNfs() {
  std::ifstream in("/proc/filesystems");
  std::string line;
  while (std::getline(in, line)) {
    if (line.ends_with("\tnfs") || line.ends_with("\tnfs4")) return true;
  }
  return false;
}

std::unique_ptr<::csi::v1::Node::Service> NewNodeService(NodeOptions options) {
  return std::make_unique<NodeService>(std::move(options));
}

}  // namespace capstan::csi::nfs
