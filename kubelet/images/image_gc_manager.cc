#include "kubelet/images/image_gc_manager.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "common/log.h"

namespace capstan::kubelet::images {
namespace {

namespace v1 = api::cri::v1;
const log::Logger kLog("image-gc");

}  // namespace

Result<FsUsage> StatFilesystem(const std::string& path) {
  struct statvfs st;
  if (::statvfs(path.c_str(), &st) != 0) {
    return FailErrno("statvfs {}", path);
  }
  return FsUsage{static_cast<uint64_t>(st.f_blocks) * st.f_frsize,
                 static_cast<uint64_t>(st.f_bavail) * st.f_frsize};
}

ImageGCManager::ImageGCManager(api::cri::RuntimeService* runtime, api::cri::ImageService* images,
                               const Clock* clock, ImageGCPolicy policy, FsStatFunc stat)
    : runtime_(runtime),
      images_(images),
      clock_(clock),
      policy_(policy),
      stat_(stat ? std::move(stat) : FsStatFunc(StatFilesystem)) {}

std::map<std::string, ImageGCManager::Record> ImageGCManager::Records() const {
  std::lock_guard lock(mu_);
  return records_;
}

Status ImageGCManager::DetectImages() {
  std::lock_guard lock(mu_);
  CAPSTAN_TRY(DetectImagesLocked(clock_->Now()));
  return Ok();
}

Result<std::set<std::string>> ImageGCManager::DetectImagesLocked(WallTime now) {
  CAPSTAN_ASSIGN_OR_RETURN(auto images, images_->ListImages(v1::ListImagesRequest{}));
  // Every container counts, exited ones too: they may be restarted, and `kubectl logs`
  // and the pod's status still name their image.
  CAPSTAN_ASSIGN_OR_RETURN(auto containers, runtime_->ListContainers(v1::ListContainersRequest{}));
  std::set<std::string> refs;
  for (const auto& c : containers.containers()) {
    for (const std::string* r : {&c.image_ref(), &c.image_id(), &c.image().image()}) {
      if (!r->empty()) {
        refs.insert(*r);
      }
    }
  }
  std::set<std::string> in_use;
  std::set<std::string> present;
  for (const auto& img : images.images()) {
    const std::string& id = img.id();
    present.insert(id);
    bool used = refs.contains(id);
    for (const auto& n : img.repo_tags()) {
      used = used || refs.contains(n);
    }
    for (const auto& n : img.repo_digests()) {
      used = used || refs.contains(n);
    }
    auto [it, added] = records_.try_emplace(id, Record{now, std::nullopt, 0, false});
    if (added) {
      kLog.Debug("image detected", {{"id", id}});
    }
    if (used) {
      in_use.insert(id);
      it->second.last_used = now;
    }
    it->second.size = static_cast<int64_t>(img.size());
    it->second.pinned = img.pinned();
  }
  std::erase_if(records_, [&](const auto& kv) { return !present.contains(kv.first); });
  return in_use;
}

Status ImageGCManager::GarbageCollect() {
  std::lock_guard lock(mu_);
  WallTime free_time = clock_->Now();
  CAPSTAN_ASSIGN_OR_RETURN(auto in_use, DetectImagesLocked(free_time));
  CAPSTAN_ASSIGN_OR_RETURN(auto info, images_->ImageFsInfo(v1::ImageFsInfoRequest{}));
  if (info.image_filesystems().empty() || info.image_filesystems(0).fs_id().mountpoint().empty()) {
    return Fail(Code::kUnavailable, "the runtime reports no image filesystem");
  }
  const auto& fs = info.image_filesystems(0);
  const std::string& mountpoint = fs.fs_id().mountpoint();
  CAPSTAN_ASSIGN_OR_RETURN(auto usage, stat_(mountpoint));
  if (usage.capacity_bytes == 0) {
    return Fail(Code::kFailedPrecondition, "invalid capacity 0 on image filesystem {}", mountpoint);
  }
  auto capacity = static_cast<int64_t>(usage.capacity_bytes);
  auto available = static_cast<int64_t>(std::min(usage.available_bytes, usage.capacity_bytes));
  int64_t usage_percent = 100 - available * 100 / capacity;
  if (usage_percent < policy_.high_threshold_percent) {
    return Ok();
  }
  int64_t to_free = capacity * (100 - policy_.low_threshold_percent) / 100 - available;
  kLog.Info("image filesystem usage is over the high threshold, freeing down to the low one",
            {{"mountpoint", mountpoint},
             {"usage", usage_percent},
             {"imagesBytes", fs.used_bytes().value()},
             {"highThreshold", policy_.high_threshold_percent},
             {"lowThreshold", policy_.low_threshold_percent},
             {"bytesToFree", to_free}});
  CAPSTAN_ASSIGN_OR_RETURN(int64_t freed, FreeSpaceLocked(to_free, free_time, in_use));
  if (freed < to_free) {
    return Fail(Code::kResourceExhausted,
                "wanted to free {} bytes on image filesystem {}, but only {} bytes of images "
                "were eligible",
                to_free, mountpoint, freed);
  }
  return Ok();
}

Result<int64_t> ImageGCManager::DeleteUnusedImages() {
  std::lock_guard lock(mu_);
  WallTime free_time = clock_->Now();
  CAPSTAN_ASSIGN_OR_RETURN(auto in_use, DetectImagesLocked(free_time));
  return FreeSpaceLocked(std::numeric_limits<int64_t>::max(), free_time, in_use);
}

Result<int64_t> ImageGCManager::FreeSpaceLocked(int64_t bytes_to_free, WallTime free_time,
                                                const std::set<std::string>& in_use) {
  struct Candidate {
    std::string id;
    Record record;
  };
  std::vector<Candidate> order;
  for (const auto& [id, r] : records_) {
    if (!in_use.contains(id) && !r.pinned) {
      order.push_back({id, r});
    }
  }
  // Least recently used first (never used counts as oldest), ties by first seen.
  std::stable_sort(order.begin(), order.end(), [](const Candidate& a, const Candidate& b) {
    WallTime la = a.record.last_used.value_or(WallTime{});
    WallTime lb = b.record.last_used.value_or(WallTime{});
    if (la != lb) {
      return la < lb;
    }
    return a.record.first_detected < b.record.first_detected;
  });
  int64_t freed = 0;
  std::vector<std::string> errors;
  for (const auto& c : order) {
    if (freed >= bytes_to_free) {
      break;
    }
    if (c.record.last_used && *c.record.last_used >= free_time) {
      continue;
    }
    // Just pulled, maybe for a pod about to start.
    if (free_time - c.record.first_detected < policy_.min_age) {
      continue;
    }
    v1::RemoveImageRequest req;
    req.mutable_image()->set_image(c.id);
    if (auto r = images_->RemoveImage(req); !r && r.error().code() != Code::kNotFound) {
      errors.push_back(fmt::format("{}: {}", c.id, r.error().message()));
      continue;
    }
    kLog.Info("removed an unused image to free space", {{"id", c.id}, {"size", c.record.size}});
    records_.erase(c.id);
    freed += c.record.size;
  }
  if (!errors.empty()) {
    return Fail(Code::kInternal,
                "wanted to free {} bytes, freed {} with errors removing images: {}", bytes_to_free,
                freed, fmt::join(errors, "; "));
  }
  return freed;
}

}  // namespace capstan::kubelet::images
