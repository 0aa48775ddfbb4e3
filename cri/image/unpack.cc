#include "cri/image/unpack.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include <archive.h>
#include <archive_entry.h>

#include "common/file.h"
#include "common/scope_exit.h"
#include "common/unique_fd.h"
#include "cri/image/digest.h"
#include "cri/image/layer_writer.h"

namespace capstan::cri::image {
namespace {

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;

// The decompressed stream, hashed as the tar reader pulls it: the outer archive only
// decompresses ("raw" format), the inner one parses tar from what the outer yields. This is
// how the diff_id is computed in the same single pass as the extraction.
struct Decompressed {
  archive* outer;
  Sha256 hash;
  uint64_t size = 0;
  char buf[1 << 16];
};

la_ssize_t ReadDecompressed(archive* inner, void* ctx, const void** out) {
  auto* d = static_cast<Decompressed*>(ctx);
  la_ssize_t n = archive_read_data(d->outer, d->buf, sizeof(d->buf));
  if (n < 0) {
    archive_set_error(inner, EIO, "decompressing: %s", archive_error_string(d->outer));
    return -1;
  }
  d->hash.Update(d->buf, static_cast<size_t>(n));
  d->size += static_cast<uint64_t>(n);
  *out = d->buf;
  return n;
}

Result<ArchivePtr> OpenDecompressor(int fd) {
  ArchivePtr a(archive_read_new());
  if (!a) {
    return Fail(Code::kResourceExhausted, "archive_read_new");
  }
  // Only in-process decompressors: never libarchive's external-program fallbacks.
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_filter_bzip2(a.get());
  archive_read_support_format_raw(a.get());
  if (archive_read_open_fd(a.get(), fd, 1 << 16) != ARCHIVE_OK) {
    return Fail(Code::kInvalidArgument, "opening layer: {}", archive_error_string(a.get()));
  }
  archive_entry* e = nullptr;
  if (archive_read_next_header(a.get(), &e) != ARCHIVE_OK) {
    return Fail(Code::kInvalidArgument, "reading layer: {}", archive_error_string(a.get()));
  }
  return a;
}

}  // namespace

Result<UnpackResult> ExtractLayer(int blob_fd, const std::filesystem::path& dir,
                                  const UnpackOptions& opts) {
  UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root) {
    return FailErrno("opening layer dir {}", dir.string());
  }
  CAPSTAN_ASSIGN_OR_RETURN(ArchivePtr outer, OpenDecompressor(blob_fd));
  auto stream = std::make_unique<Decompressed>();
  stream->outer = outer.get();

  ArchivePtr inner(archive_read_new());
  archive_read_support_format_tar(inner.get());
  if (archive_read_open2(inner.get(), stream.get(), nullptr, ReadDecompressed, nullptr, nullptr) !=
      ARCHIVE_OK) {
    return Fail(Code::kInvalidArgument, "layer is not a tar archive: {}",
                archive_error_string(inner.get()));
  }
  LayerWriter writer(std::move(root), opts);
  archive_entry* e = nullptr;
  for (;;) {
    int rc = archive_read_next_header(inner.get(), &e);
    if (rc == ARCHIVE_EOF) {
      break;
    }
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      return Fail(Code::kInvalidArgument, "reading layer tar: {}",
                  archive_error_string(inner.get()));
    }
    CAPSTAN_TRY(writer.Add(inner.get(), e));
  }
  CAPSTAN_TRY(writer.Finish());
  // The diff_id covers the whole stream, including padding after the end-of-archive blocks.
  for (;;) {
    la_ssize_t n = archive_read_data(outer.get(), stream->buf, sizeof(stream->buf));
    if (n < 0) {
      return Fail(Code::kInvalidArgument, "decompressing layer: {}",
                  archive_error_string(outer.get()));
    }
    if (n == 0) {
      break;
    }
    stream->hash.Update(stream->buf, static_cast<size_t>(n));
    stream->size += static_cast<uint64_t>(n);
  }
  return UnpackResult{stream->hash.Finish(), stream->size};
}

Status UnpackLayer(const std::filesystem::path& blob, std::string_view expected_diff_id,
                   const std::filesystem::path& dest, const std::filesystem::path& tmp_dir,
                   const UnpackOptions& opts) {
  CAPSTAN_TRY(CheckDigest(expected_diff_id, "diff_id"));
  UniqueFd fd(::open(blob.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return FailErrno("opening layer blob {}", blob.string());
  }
  std::string tmpl = (tmp_dir / "unpack-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return FailErrno("creating temp dir in {}", tmp_dir.string());
  }
  std::filesystem::path tmp = tmpl;
  ScopeExit cleanup([&] { (void)RemoveAll(tmp); });

  auto extracted = ExtractLayer(fd.get(), tmp, opts);
  if (!extracted) {
    return Fail(extracted.error().Wrap("unpacking layer {}", expected_diff_id));
  }
  if (extracted->diff_id != expected_diff_id) {
    return Fail(Code::kInvalidArgument,
                "layer {}: uncompressed content hashes to {}; the image config says {}",
                blob.filename().string(), extracted->diff_id, expected_diff_id);
  }
  // Data reaches the disk before the name that vouches for it.
  UniqueFd dir(::open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir && ::syncfs(dir.get()) != 0) {
    return FailErrno("syncing layer {}", expected_diff_id);
  }
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    if (errno == EEXIST || errno == ENOTEMPTY) {
      return Ok();  // a concurrent unpack of the same layer won
    }
    return FailErrno("moving layer {} into place", expected_diff_id);
  }
  cleanup.Cancel();
  return Ok();
}

}  // namespace capstan::cri::image
