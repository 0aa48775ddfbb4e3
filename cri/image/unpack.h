#pragma once
// Layer unpacking: a (gzip | zstd | plain) tar layer becomes a directory usable as an overlay
// lower dir. The tar is hostile input; see layer_writer.h for what is refused and why.
// The diff_id (sha256 of the uncompressed tar stream) is computed while extracting and must
// match the image config's rootfs.diff_ids entry.

#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.h"

namespace capstan::cri::image {

struct UnpackOptions {
  // Apply the entries' uid/gid (needs CAP_CHOWN; unprivileged unpacks keep the caller's ids).
  bool chown = ::geteuid() == 0;
  // Overlay's xattr namespace for opaque directories: "trusted.overlay." for the kernel's
  // privileged overlay, "user.overlay." for an unprivileged (userxattr) mount.
  std::string overlay_xattr_prefix = ::geteuid() == 0 ? "trusted.overlay." : "user.overlay.";
};

struct UnpackResult {
  std::string diff_id;    // "sha256:<hex>" of the uncompressed tar
  uint64_t tar_size = 0;  // bytes of the uncompressed tar
};

// Extracts the layer read from `blob_fd` into the existing, empty directory `dir`.
// Errors: InvalidArgument naming the entry for unsafe or malformed content, PermissionDenied
// when whiteouts cannot be created (mknod needs CAP_MKNOD).
Result<UnpackResult> ExtractLayer(int blob_fd, const std::filesystem::path& dir,
                                  const UnpackOptions& opts = {});

// Unpacks the blob at `blob` into `dest` (which must not exist) through a temp dir under
// `tmp_dir` (same filesystem), verifying the diff_id; `dest` appears complete or not at all.
// If another unpack created `dest` first, this one's result is discarded and Ok returned.
Status UnpackLayer(const std::filesystem::path& blob, std::string_view expected_diff_id,
                   const std::filesystem::path& dest, const std::filesystem::path& tmp_dir,
                   const UnpackOptions& opts = {});

}  // namespace capstan::cri::image
