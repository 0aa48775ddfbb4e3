#pragma once
// A connection to one NFS export through libnfs (userspace): what the NFS driver's controller
// does to a share without mounting it, and what the FUSE mount serves. NFSv3 by default:
// libnfs 4.0's NFSv4 cannot set attributes of a directory (it OPENs the path) nor send a
// WRITE over about 3.9 KiB, so v4 (vers=4) is there for servers without v3.
// libnfs contexts are not thread-safe: callers serialize (NfsClient::mu()).

#include <mutex>
#include <string>

#include "common/error.h"

struct nfs_context;

namespace capstan::csi::nfs {

struct NfsTarget {
  std::string server;  // host name or address
  std::string share;   // the export's path ("/export")
  int port = 0;        // 0: 2049 (v4), or the server's portmapper's answer (v3)
  int mount_port = 0;  // v3's MOUNT service; 0: the portmapper's answer
  int version = 3;     // 3 or 4
};

// "port=N", "mountport=N", "nfsvers=4.1", "vers=3" of a mount option list (comma-separated entries
// too) onto `target`; other options are the kernel's to judge and ignored here.
void ApplyMountOptions(const std::string& options, NfsTarget* target);

// libnfs 4.0 encodes each NFSv4 call into one 4 KiB buffer, so a WRITE carrying more than
// about 3.9 KiB fails to encode ("Failed to encode COMPOUND4args"); writes go in pieces of
// this size. (Reads are not limited.)
inline constexpr size_t kMaxWriteChunk = 3584;

// "nfs://server/share?version=4&nfsport=N", as libnfs parses it.
std::string UrlOf(const NfsTarget& target);

class NfsClient {
 public:
  static Result<std::unique_ptr<NfsClient>> Connect(const NfsTarget& target);
  ~NfsClient();
  NfsClient(const NfsClient&) = delete;
  NfsClient& operator=(const NfsClient&) = delete;

  nfs_context* context() { return nfs_; }
  std::mutex& mu() { return mu_; }

  // Paths are inside the export ("/a/b").
  Status MkdirAll(const std::string& path, int mode);
  Status RemoveAll(const std::string& path);
  Status Rename(const std::string& from, const std::string& to);
  bool Exists(const std::string& path);
  std::string LastError() const;
  // The most one nfs_pwrite may carry (kMaxWriteChunk over NFSv4).
  uint64_t write_chunk() const { return write_chunk_; }

 private:
  NfsClient() = default;
  nfs_context* nfs_ = nullptr;
  uint64_t write_chunk_ = kMaxWriteChunk;
  std::mutex mu_;
};

// Copies the tree at `from` (on `src`) to `to` (on `dst`, which may be the same connection):
// directories, files and symlinks with their modes; other kinds are skipped.
Status CopyTree(NfsClient* src, const std::string& from, NfsClient* dst, const std::string& to);

}  // namespace capstan::csi::nfs
