#include "kubelet/logs/gzip.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cerrno>

#include "common/scope_exit.h"
#include "common/unique_fd.h"

namespace capstan::kubelet::logs {
namespace {

constexpr size_t kChunk = 64 * 1024;

Status WriteAll(int fd, const unsigned char* data, size_t n, const std::filesystem::path& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      return FailErrno("writing {}", path.string());
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return Ok();
}

}  // namespace

Status GzipFile(const std::filesystem::path& src, const std::filesystem::path& dst) {
  UniqueFd in(::open(src.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));  // see log_reader.cc
  if (!in) {
    return FailErrno("opening {}", src.string());
  }
  UniqueFd out(::open(dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!out) {
    return FailErrno("creating {}", dst.string());
  }
  z_stream zs{};
  // windowBits 15 + 16: a gzip header and trailer rather than a raw zlib stream.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return Fail(Code::kInternal, "compressing {}: deflateInit2 failed", src.string());
  }
  ScopeExit end([&] { deflateEnd(&zs); });
  std::array<unsigned char, kChunk> ibuf;
  std::array<unsigned char, kChunk> obuf;
  int flush = Z_NO_FLUSH;
  while (flush != Z_FINISH) {
    ssize_t r = ::read(in.get(), ibuf.data(), ibuf.size());
    if (r < 0) {
      if (errno == EINTR) {
        continue;
      }
      return FailErrno("reading {}", src.string());
    }
    flush = r == 0 ? Z_FINISH : Z_NO_FLUSH;
    zs.next_in = ibuf.data();
    zs.avail_in = static_cast<uInt>(r);
    do {
      zs.next_out = obuf.data();
      zs.avail_out = static_cast<uInt>(obuf.size());
      if (deflate(&zs, flush) == Z_STREAM_ERROR) {
        return Fail(Code::kInternal, "compressing {}: deflate failed", src.string());
      }
      CAPSTAN_TRY(WriteAll(out.get(), obuf.data(), obuf.size() - zs.avail_out, dst));
    } while (zs.avail_out == 0);
  }
  // On disk before the caller renames it into place and removes the original: a crash must
  // not leave an empty .gz where the log was.
  if (::fsync(out.get()) != 0) {
    return FailErrno("syncing {}", dst.string());
  }
  if (::close(out.Release()) != 0) {
    return FailErrno("closing {}", dst.string());
  }
  return Ok();
}

}  // namespace capstan::kubelet::logs
