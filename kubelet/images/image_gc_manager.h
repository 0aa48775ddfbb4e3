#pragma once
// ImageGCManager: frees space on the image filesystem by removing unused images (upstream's
// realImageGCManager). The manager remembers, in memory, when it first saw each image and
// when it last saw a container use it (DetectImages; any container, in any state, counts).
// GarbageCollect:
//   1. detects images;
//   2. asks the runtime for its image filesystem (ImageFsInfo) and measures that mountpoint
//      (capacity, available) - usage is the whole filesystem's, as upstream computes it;
//   3. when usage >= imageGCHighThresholdPercent, removes images until the bytes freed bring
//      it down to imageGCLowThresholdPercent: least recently used first (ties: first seen
//      first), never an image in use, pinned (Image.pinned, e.g. the sandbox image) or first
//      seen less than imageMinimumGCAge ago (it may have just been pulled for a pod);
//   4. fails when it could not free enough (callers log it as an error).
// A high threshold of 100 disables image GC (upstream). A kubelet restart forgets the times:
// every image then counts as just seen. Thread-safe.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "api/cri/runtime_service.h"
#include "common/error.h"
#include "common/time.h"

namespace capstan::kubelet::images {

struct FsUsage {
  uint64_t capacity_bytes = 0;
  uint64_t available_bytes = 0;
};
// Measures the filesystem holding `path` (statvfs in production; tests inject their own).
using FsStatFunc = std::function<Result<FsUsage>(const std::string& path)>;
Result<FsUsage> StatFilesystem(const std::string& path);

struct ImageGCPolicy {
  int32_t high_threshold_percent = 85;
  int32_t low_threshold_percent = 80;
  std::chrono::milliseconds min_age = std::chrono::minutes(2);
};

class ImageGCManager {
 public:
  ImageGCManager(api::cri::RuntimeService* runtime, api::cri::ImageService* images,
                 const Clock* clock, ImageGCPolicy policy, FsStatFunc stat = StatFilesystem);

  bool Enabled() const { return policy_.high_threshold_percent < 100; }

  // Updates the records from the runtime's images and containers.
  Status DetectImages();
  // One pass (see above).
  Status GarbageCollect();
  // Every image it may remove, whatever the thresholds (the eviction manager's reclaim under
  // disk pressure, before it evicts pods). Returns the bytes freed.
  Result<int64_t> DeleteUnusedImages();

  struct Record {
    WallTime first_detected;
    std::optional<WallTime> last_used;
    int64_t size = 0;
    bool pinned = false;
  };
  // The records by image id (tests).
  std::map<std::string, Record> Records() const;

 private:
  // Returns the ids (and refs) of images in use.
  Result<std::set<std::string>> DetectImagesLocked(WallTime now);
  Result<int64_t> FreeSpaceLocked(int64_t bytes_to_free, WallTime free_time,
                                  const std::set<std::string>& in_use);

  api::cri::RuntimeService* runtime_;
  api::cri::ImageService* images_;
  const Clock* clock_;
  ImageGCPolicy policy_;
  FsStatFunc stat_;
  mutable std::mutex mu_;
  std::map<std::string, Record> records_;  // by image id
};

}  // namespace capstan::kubelet::images
