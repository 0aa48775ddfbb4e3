#include "cri/image/content_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <system_error>

#include "common/file.h"

namespace capstan::cri::image {

ContentStore::ContentStore(std::filesystem::path root, std::filesystem::path tmp_dir)
    : root_(std::move(root)), tmp_dir_(std::move(tmp_dir)) {}

Status ContentStore::Init() const {
  CAPSTAN_TRY(MkdirAll(root_, 0700));
  CAPSTAN_TRY(MkdirAll(root_ / "blobs" / "sha256", 0700));
  return MkdirAll(tmp_dir_, 0700);
}

std::filesystem::path ContentStore::BlobPath(std::string_view digest) const {
  return root_ / "blobs" / "sha256" / std::string(DigestHex(digest));
}

bool ContentStore::Has(std::string_view digest) const {
  return CheckDigest(digest).has_value() && PathExists(BlobPath(digest));
}

Result<std::string> ContentStore::Read(std::string_view digest, size_t max_size) const {
  CAPSTAN_TRY(CheckDigest(digest));
  std::filesystem::path path = BlobPath(digest);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return FailErrno("blob {}", digest);
  }
  if (static_cast<uint64_t>(st.st_size) > max_size) {
    return Fail(Code::kResourceExhausted, "blob {} is {} bytes, more than the {} allowed", digest,
                st.st_size, max_size);
  }
  return ReadFile(path);
}

Status ContentStore::Delete(std::string_view digest) const {
  CAPSTAN_TRY(CheckDigest(digest));
  if (::unlink(BlobPath(digest).c_str()) != 0 && errno != ENOENT) {
    return FailErrno("removing blob {}", digest);
  }
  return Ok();
}

std::vector<std::string> ContentStore::List() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(root_ / "blobs" / "sha256", ec)) {
    std::string digest = std::string(kSha256Prefix) + e.path().filename().string();
    if (CheckDigest(digest)) {
      out.push_back(std::move(digest));
    }
  }
  return out;
}

Result<std::unique_ptr<ContentStore::Writer>> ContentStore::NewWriter(uint64_t size_limit) const {
  std::string tmpl = (tmp_dir_ / "blob-XXXXXX").string();
  int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) {
    return FailErrno("creating temp blob in {}", tmp_dir_.string());
  }
  return std::unique_ptr<Writer>(new Writer(this, tmpl, UniqueFd(fd), size_limit));
}

Result<std::string> ContentStore::WriteBlob(std::string_view data,
                                            std::string_view expected_digest) const {
  CAPSTAN_ASSIGN_OR_RETURN(auto w, NewWriter());
  CAPSTAN_TRY(w->Write(data.data(), data.size()));
  return w->Commit(expected_digest, data.size());
}

ContentStore::Writer::Writer(const ContentStore* store, std::filesystem::path tmp, UniqueFd fd,
                             uint64_t limit)
    : store_(store), tmp_(std::move(tmp)), fd_(std::move(fd)), limit_(limit) {}

ContentStore::Writer::~Writer() {
  if (!committed_) {
    ::unlink(tmp_.c_str());
  }
}

Status ContentStore::Writer::Write(const void* data, size_t len) {
  if (!fd_) {
    return Fail(Code::kInternal, "write to a finished blob writer");
  }
  if (len > limit_ - size_) {
    return Fail(Code::kResourceExhausted, "blob is larger than the {} bytes expected", limit_);
  }
  const char* p = static_cast<const char*>(data);
  size_t left = len;
  while (left > 0) {
    ssize_t n = ::write(fd_.get(), p, left);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return FailErrno("writing {}", tmp_.string());
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  hash_.Update(data, len);
  size_ += len;
  return Ok();
}

Result<std::string> ContentStore::Writer::Finish() {
  if (digest_) {
    return *digest_;
  }
  if (::fsync(fd_.get()) != 0) {
    return FailErrno("syncing {}", tmp_.string());
  }
  ::fchmod(fd_.get(), 0444);
  fd_.Reset();
  digest_ = hash_.Finish();
  return *digest_;
}

Result<std::string> ContentStore::Writer::Commit(std::string_view expected_digest,
                                                 std::optional<uint64_t> expected_size) {
  CAPSTAN_ASSIGN_OR_RETURN(std::string digest, Finish());
  if (expected_size && *expected_size != size_) {
    return Fail(Code::kInvalidArgument, "blob {}: size mismatch: expected {} bytes, got {}",
                expected_digest.empty() ? digest : std::string(expected_digest), *expected_size,
                size_);
  }
  if (!expected_digest.empty() && expected_digest != digest) {
    return Fail(Code::kInvalidArgument, "blob {}: digest mismatch: content hashes to {}",
                expected_digest, digest);
  }
  std::filesystem::path dst = store_->BlobPath(digest);
  if (::rename(tmp_.c_str(), dst.c_str()) != 0) {
    return FailErrno("moving blob {} into place", digest);
  }
  committed_ = true;
  return digest;
}

}  // namespace capstan::cri::image
