#pragma once
// AtomicWriter: the files of a configMap, secret, downwardAPI or projected volume, replaced
// all at once so a reader in the pod never sees half an update. The layout is upstream's:
//
//   <dir>/..2026_12_04_07_00_00.123456789/<files>   the current generation
//   <dir>/..data -> ..2026_12_04_07_00_00.123456789  swapped by rename(2), atomically
//   <dir>/<key>  -> ..data/<key>                     one symlink per top-level name
//
// Applications that watch `..data` (or re-read through the symlinks) see old or new, never a
// mix. A subPath mount binds one file of one generation, so it is not updated (as upstream).

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/error.h"

namespace capstan::kubelet::volumes {

struct FileProjection {
  std::string data;
  int32_t mode = 0644;
  bool operator==(const FileProjection&) const = default;
};
// Relative path inside the volume ("key", "dir/key") -> its content.
using Payload = std::map<std::string, FileProjection>;

// A payload path is relative, has no empty, "." or ".." element and does not start with
// "..", so it stays in its generation directory and never shadows `..data`.
Status ValidatePayloadPath(const std::string& path);

class AtomicWriter {
 public:
  // `dir` must exist. `group`: files and directories belong to it (fsGroup) when set.
  AtomicWriter(std::string dir, std::optional<gid_t> group = std::nullopt);

  // Makes the volume show `payload` and nothing else. Returns whether anything changed
  // (false when the current generation already holds exactly this payload).
  Result<bool> Write(const Payload& payload);

  // The current payload as read back through `..data` (empty before the first write).
  Result<Payload> Read() const;

 private:
  std::string dir_;
  std::optional<gid_t> group_;
};

}  // namespace capstan::kubelet::volumes
