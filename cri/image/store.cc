#include "cri/image/store_impl.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <system_error>

#include "common/file.h"
#include "common/time.h"
#include "cri/image/digest.h"
#include "cri/image/manifest.h"
#include "cri/image/reference.h"
#include "cri/image/unpack.h"

namespace capstan::cri::image {

Result<std::unique_ptr<Store>> Store::Open(std::filesystem::path root, RegistryConfig cfg) {
  auto store = std::make_unique<StoreImpl>(std::move(root), std::move(cfg));
  CAPSTAN_TRY(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

Lease::~Lease() {
  std::lock_guard lock(store_->mu_);
  for (const auto& d : held_) {
    store_->leased_.erase(store_->leased_.find(d));
  }
}

void Lease::Add(const std::string& digest) {
  std::lock_guard lock(store_->mu_);
  store_->leased_.insert(digest);
  held_.push_back(digest);
}

StoreImpl::StoreImpl(std::filesystem::path root, RegistryConfig cfg)
    : root_(std::move(root)),
      tmp_dir_(root_ / "tmp"),
      layers_dir_(root_ / "layers" / "sha256"),
      records_dir_(root_ / "image-store"),
      cfg_(std::move(cfg)),
      content_(root_ / "content", tmp_dir_) {}

std::filesystem::path StoreImpl::LayerDir(std::string_view diff_id) const {
  return layers_dir_ / std::string(DigestHex(diff_id));
}

std::filesystem::path StoreImpl::RecordPath(std::string_view id) const {
  return records_dir_ / (std::string(DigestHex(id)) + ".json");
}

Status StoreImpl::Init() {
  // 0700 all the way: layers hold images' setuid binaries and content may be private; only
  // root (the runtime, and overlay mounts made by it) needs to reach them.
  CAPSTAN_TRY(MkdirAll(root_, 0700));
  // Whatever a crash left in flight is garbage: downloads, unpacks, GC trash.
  CAPSTAN_TRY(RemoveAll(tmp_dir_));
  CAPSTAN_TRY(content_.Init());
  CAPSTAN_TRY(MkdirAll(layers_dir_.parent_path(), 0700));
  CAPSTAN_TRY(MkdirAll(layers_dir_, 0700));
  CAPSTAN_TRY(MkdirAll(records_dir_, 0700));
  CAPSTAN_TRY(LoadRecords());
  std::vector<std::filesystem::path> trash;
  {
    std::lock_guard lock(mu_);
    trash = GcLocked();
  }
  DeleteTrash(trash);
  log_.Info("image store opened", {{"root", root_.string()}, {"images", images_.size()}});
  return Ok();
}

Status StoreImpl::RestoreLayers(const ImageRecord& r) {
  std::vector<size_t> missing;
  for (size_t i = 0; i < r.diff_ids.size(); ++i) {
    if (!PathExists(LayerDir(r.diff_ids[i]))) {
      missing.push_back(i);
    }
  }
  if (missing.empty()) {
    return Ok();
  }
  CAPSTAN_ASSIGN_OR_RETURN(std::string body, content_.Read(r.manifest_digest, kMaxManifestSize));
  CAPSTAN_ASSIGN_OR_RETURN(Manifest m, ParseManifest(body));
  if (m.layers.size() != r.diff_ids.size()) {
    return Fail(Code::kInvalidArgument, "manifest {} does not match the record", r.manifest_digest);
  }
  for (size_t i : missing) {
    log_.Warn("layer missing; unpacking it again", {{"image", r.id}, {"layer", r.diff_ids[i]}});
    CAPSTAN_TRY(UnpackLayer(content_.BlobPath(m.layers[i].digest), r.diff_ids[i],
                            LayerDir(r.diff_ids[i]), tmp_dir_));
  }
  return Ok();
}

Status StoreImpl::LoadRecords() {
  std::error_code ec;
  std::vector<ImageRecord> loaded;
  for (const auto& e : std::filesystem::directory_iterator(records_dir_, ec)) {
    const std::filesystem::path& p = e.path();
    if (p.extension() != ".json") {
      (void)RemoveAll(p);  // a WriteFileAtomic temp file from a crash
      continue;
    }
    auto text = ReadFile(p);
    auto rec = text ? DecodeRecord(*text) : Result<ImageRecord>(std::unexpected(text.error()));
    if (rec && RecordPath(rec->id) != p) {
      rec = Fail(Code::kInvalidArgument, "record id {} does not match its file name", rec->id);
    }
    if (rec) {
      if (auto st = RestoreLayers(*rec); !st) {
        rec = Fail(st.error());
      }
    }
    if (!rec) {
      log_.Warn("dropping unusable image record",
                {{"file", p.string()}, {"error", rec.error().message()}});
      (void)RemoveAll(p);
      continue;
    }
    loaded.push_back(std::move(*rec));
  }
  if (ec) {
    return Fail(ErrnoError(ec.value(), "listing " + records_dir_.string()));
  }
  // A crash while moving a tag can leave it on two records: the newer claim wins.
  std::sort(loaded.begin(), loaded.end(), [](const ImageRecord& a, const ImageRecord& b) {
    return a.updated_unix_nanos > b.updated_unix_nanos;
  });
  std::set<std::string> claimed;
  std::lock_guard lock(mu_);
  for (ImageRecord& r : loaded) {
    size_t before = r.repo_tags.size();
    std::erase_if(r.repo_tags, [&](const std::string& t) { return !claimed.insert(t).second; });
    if (r.repo_tags.size() != before) {
      CAPSTAN_TRY(PersistLocked(r));
    }
    std::string id = r.id;
    images_.emplace(std::move(id), std::move(r));
  }
  return Ok();
}

Status StoreImpl::PersistLocked(const ImageRecord& r) const {
  return WriteFileAtomic(RecordPath(r.id), EncodeRecord(r), 0600);
}

Image StoreImpl::ToImage(const ImageRecord& r) const {
  Image img;
  img.id = r.id;
  img.repo_tags = r.repo_tags;
  img.repo_digests = r.repo_digests;
  img.size = r.size;
  img.config = r.config;
  for (const auto& d : r.diff_ids) {
    img.layers.push_back(LayerDir(d));
  }
  return img;
}

Result<std::string> StoreImpl::ResolveLocked(std::string_view s) const {
  if (s.empty()) {
    return Fail(Code::kInvalidArgument, "empty image reference");
  }
  std::string_view hex = DigestHex(s);
  bool hex_only = IsLowerHex(hex) && (s.starts_with(kSha256Prefix) || hex.size() >= 12);
  if (hex_only && hex.size() == 64) {
    std::string id = std::string(kSha256Prefix) + std::string(hex);
    if (images_.contains(id)) {
      return id;
    }
  }
  if (auto ref = ParseReference(s)) {
    for (const auto& [id, r] : images_) {
      const auto& list = ref->digest.empty() ? r.repo_tags : r.repo_digests;
      std::string want = ref->digest.empty() ? ref->TagString() : ref->DigestString(ref->digest);
      if (std::find(list.begin(), list.end(), want) != list.end()) {
        return id;
      }
    }
  }
  if (hex_only && hex.size() >= 12 && hex.size() < 64) {
    std::string prefix = std::string(kSha256Prefix) + std::string(hex);
    std::vector<std::string> matches;
    for (auto it = images_.lower_bound(prefix);
         it != images_.end() && it->first.starts_with(prefix); ++it) {
      matches.push_back(it->first);
    }
    if (matches.size() == 1) {
      return matches.front();
    }
    if (matches.size() > 1) {
      return Fail(Code::kNotFound, "image id prefix \"{}\" is ambiguous ({} images)", s,
                  matches.size());
    }
  }
  return Fail(Code::kNotFound, "image \"{}\" not found", s);
}

Result<Image> StoreImpl::Get(std::string_view ref_or_id) {
  std::lock_guard lock(mu_);
  CAPSTAN_ASSIGN_OR_RETURN(std::string id, ResolveLocked(ref_or_id));
  return ToImage(images_.at(id));
}

std::vector<Image> StoreImpl::List() {
  std::lock_guard lock(mu_);
  std::vector<Image> out;
  for (const auto& [id, r] : images_) {
    out.push_back(ToImage(r));
  }
  return out;
}

void StoreImpl::SetInUseCheck(std::function<bool(std::string_view)> in_use) {
  std::lock_guard lock(mu_);
  in_use_ = std::move(in_use);
}

Status StoreImpl::Remove(std::string_view ref_or_id) {
  std::vector<std::filesystem::path> trash;
  {
    std::lock_guard lock(mu_);
    auto id = ResolveLocked(ref_or_id);
    if (!id) {
      return id.error().code() == Code::kNotFound ? Ok() : Status(std::unexpected(id.error()));
    }
    if (in_use_ && in_use_(*id)) {
      return Fail(Code::kFailedPrecondition, "image {} ({}) is in use by a container", ref_or_id,
                  *id);
    }
    if (::unlink(RecordPath(*id).c_str()) != 0 && errno != ENOENT) {
      return FailErrno("removing image record {}", *id);
    }
    images_.erase(*id);
    ++generation_;
    log_.Info("image removed", {{"image", *id}});
    trash = GcLocked();
  }
  DeleteTrash(trash);
  return Ok();
}

std::vector<std::filesystem::path> StoreImpl::GcLocked() {
  std::set<std::string> keep(leased_.begin(), leased_.end());
  for (const auto& [id, r] : images_) {
    keep.insert(r.blobs.begin(), r.blobs.end());
    keep.insert(r.diff_ids.begin(), r.diff_ids.end());
  }
  for (const std::string& d : content_.List()) {
    if (!keep.contains(d)) {
      if (auto st = content_.Delete(d); !st) {
        log_.Warn("gc: cannot delete blob", {{"blob", d}, {"error", st.error().message()}});
      }
    }
  }
  std::vector<std::filesystem::path> trash;
  std::error_code ec;
  static std::atomic<uint64_t> counter{0};
  for (const auto& e : std::filesystem::directory_iterator(layers_dir_, ec)) {
    std::string diff_id = std::string(kSha256Prefix) + e.path().filename().string();
    if (keep.contains(diff_id)) {
      continue;
    }
    // Out of the layers dir under the lock (a rename); the slow delete happens outside it.
    std::filesystem::path dst =
        tmp_dir_ / fmt::format("gc-{}-{}", e.path().filename().string(), counter++);
    if (::rename(e.path().c_str(), dst.c_str()) == 0) {
      trash.push_back(dst);
    } else {
      log_.Warn("gc: cannot move layer", {{"layer", e.path().string()}});
    }
  }
  ++generation_;
  return trash;
}

void StoreImpl::DeleteTrash(const std::vector<std::filesystem::path>& trash) const {
  for (const auto& p : trash) {
    if (auto st = RemoveAll(p); !st) {
      log_.Warn("gc: cannot delete layer", {{"path", p.string()}, {"error", st.error().message()}});
    }
  }
}

Result<FsUsage> StoreImpl::Usage() {
  uint64_t gen;
  {
    std::lock_guard lock(mu_);
    if (usage_cache_ && usage_cache_->first == generation_) {
      return usage_cache_->second;
    }
    gen = generation_;
  }
  FsUsage u;
  u.mountpoint = root_;
  std::set<std::pair<dev_t, ino_t>> seen;
  for (const auto& dir : {root_ / "content", root_ / "layers"}) {
    std::error_code ec;
    auto it = std::filesystem::recursive_directory_iterator(
        dir, std::filesystem::directory_options::skip_permission_denied, ec);
    for (; !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      struct stat st {};
      if (::lstat(it->path().c_str(), &st) != 0) {
        continue;
      }
      if (st.st_nlink > 1 && !S_ISDIR(st.st_mode) && !seen.insert({st.st_dev, st.st_ino}).second) {
        continue;
      }
      u.used_bytes += static_cast<uint64_t>(st.st_blocks) * 512;
      u.inodes_used += 1;
    }
  }
  std::lock_guard lock(mu_);
  if (generation_ == gen) {
    usage_cache_ = {gen, u};
  }
  return u;
}

}  // namespace capstan::cri::image
