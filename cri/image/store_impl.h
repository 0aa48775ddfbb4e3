#pragma once
// The on-disk Store (see store.h for the layout and contract). Internal to cri/image.

#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/log.h"
#include "cri/image/content_store.h"
#include "cri/image/image_record.h"
#include "cri/image/store.h"

namespace capstan::cri::image {

class StoreImpl;

// Keeps blobs and layers (by digest / diff_id) safe from garbage collection while a pull or
// import that has fetched or found them has not yet recorded its image. Add before checking
// that the content exists: GC takes the same lock to decide and delete.
class Lease {
 public:
  explicit Lease(StoreImpl* store) : store_(store) {}
  ~Lease();
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  void Add(const std::string& digest);

 private:
  StoreImpl* store_;
  std::vector<std::string> held_;
};

// What a pull or import hands to the commit step once every blob is in the content store.
struct NewImage {
  std::string manifest_digest;
  std::vector<std::string> tags;          // normalized "name:tag"
  std::vector<std::string> repo_digests;  // "name@sha256:..."
  std::set<std::string> blobs;            // every blob read for the image
};

// An image whose layers are unpacked, ready to be recorded.
struct PreparedImage {
  ImageRecord record;  // id, size, config, diff_ids, manifest_digest, blobs
  std::vector<std::string> tags;
  std::vector<std::string> repo_digests;
};

class StoreImpl final : public Store {
 public:
  StoreImpl(std::filesystem::path root, RegistryConfig cfg);
  Status Init();

  Result<Image> Pull(std::string_view ref, const AuthConfig& auth) override;
  Result<std::vector<Image>> Import(const std::filesystem::path& tarball) override;
  Status ImportDirectory(const std::filesystem::path& dir) override;
  Result<Image> Get(std::string_view ref_or_id) override;
  std::vector<Image> List() override;
  Status Remove(std::string_view ref_or_id) override;
  void SetInUseCheck(std::function<bool(std::string_view image_id)> in_use) override;
  Result<FsUsage> Usage() override;

 private:
  friend class Lease;

  // Parses the manifest and config from the content store and unpacks missing layers.
  Result<PreparedImage> Prepare(NewImage n, Lease& lease);
  // Records prepared images (tags move to them) in one step.
  Result<std::vector<Image>> Record(std::vector<PreparedImage> prepared);

  Result<std::string> ResolveLocked(std::string_view ref_or_id) const;  // -> image id
  Image ToImage(const ImageRecord& r) const;
  std::filesystem::path LayerDir(std::string_view diff_id) const;
  std::filesystem::path RecordPath(std::string_view id) const;
  Status PersistLocked(const ImageRecord& r) const;
  // Deletes unreferenced blobs; moves unreferenced layer dirs into tmp and returns them for
  // deletion outside the lock.
  std::vector<std::filesystem::path> GcLocked();
  void DeleteTrash(const std::vector<std::filesystem::path>& trash) const;
  Status LoadRecords();
  Status RestoreLayers(const ImageRecord& r);

  const std::filesystem::path root_;
  const std::filesystem::path tmp_dir_;
  const std::filesystem::path layers_dir_;
  const std::filesystem::path records_dir_;
  const RegistryConfig cfg_;
  ContentStore content_;
  log::Logger log_{"image"};

  mutable std::mutex mu_;
  std::map<std::string, ImageRecord> images_;  // by id
  std::multiset<std::string> leased_;
  std::function<bool(std::string_view)> in_use_;
  uint64_t generation_ = 0;  // bumped on every change; guards the usage cache
  std::optional<std::pair<uint64_t, FsUsage>> usage_cache_;
};

}  // namespace capstan::cri::image
