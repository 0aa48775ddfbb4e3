#pragma once
// The content store: immutable blobs (manifests, configs, compressed layers) addressed by
// digest at <root>/blobs/sha256/<hex>. A blob appears there only after its bytes were hashed
// and matched: writers stream into a temp file under the store's tmp dir and rename on
// Commit, so a crash or a mismatch never leaves a partial blob behind.
// Thread-safe: distinct writers are independent and a rename is atomic.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "cri/image/digest.h"

namespace capstan::cri::image {

class ContentStore {
 public:
  // `root` holds blobs/sha256/; `tmp_dir` must be on the same filesystem (for rename).
  ContentStore(std::filesystem::path root, std::filesystem::path tmp_dir);

  Status Init() const;
  std::filesystem::path BlobPath(std::string_view digest) const;
  bool Has(std::string_view digest) const;
  // Reads a whole blob; ResourceExhausted beyond `max_size` (blobs are hostile input).
  Result<std::string> Read(std::string_view digest, size_t max_size) const;
  // Removes a blob; absent is success.
  Status Delete(std::string_view digest) const;
  // Digests of every stored blob (files whose names are not digests are ignored).
  std::vector<std::string> List() const;

  class Writer {
   public:
    ~Writer();  // removes the temp file unless committed
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    // Fails with ResourceExhausted when more than the size limit is written.
    Status Write(const void* data, size_t len);
    uint64_t size() const { return size_; }
    // Stops writing (closes and syncs the temp file) and returns the digest of what was
    // written. Idempotent.
    Result<std::string> Finish();
    // Finishes and moves the blob into place if its digest equals `expected_digest` (and its
    // size `expected_size`, when given); an empty expected digest accepts the computed one.
    // On mismatch the temp file is removed and InvalidArgument names both digests.
    // Returns the blob's digest.
    Result<std::string> Commit(std::string_view expected_digest,
                               std::optional<uint64_t> expected_size = std::nullopt);

   private:
    friend class ContentStore;
    Writer(const ContentStore* store, std::filesystem::path tmp, UniqueFd fd, uint64_t limit);
    const ContentStore* store_;
    std::filesystem::path tmp_;
    UniqueFd fd_;
    uint64_t limit_;
    uint64_t size_ = 0;
    Sha256 hash_;
    std::optional<std::string> digest_;
    bool committed_ = false;
  };

  Result<std::unique_ptr<Writer>> NewWriter(uint64_t size_limit = UINT64_MAX) const;
  // Writes an in-memory blob (manifest, synthesized config) and returns its digest.
  Result<std::string> WriteBlob(std::string_view data, std::string_view expected_digest = "") const;

 private:
  std::filesystem::path root_;
  std::filesystem::path tmp_dir_;
};

}  // namespace capstan::cri::image
