// The step pull and import share: from blobs in the content store to a recorded image.

#include <algorithm>

#include "common/file.h"
#include "common/time.h"
#include "cri/image/digest.h"
#include "cri/image/manifest.h"
#include "cri/image/store_impl.h"
#include "cri/image/unpack.h"

namespace capstan::cri::image {
namespace {

void AddUnique(std::vector<std::string>& list, const std::string& v) {
  if (std::find(list.begin(), list.end(), v) == list.end()) {
    list.push_back(v);
  }
}

}  // namespace

Result<PreparedImage> StoreImpl::Prepare(NewImage n, Lease& lease) {
  CAPSTAN_ASSIGN_OR_RETURN(std::string body, content_.Read(n.manifest_digest, kMaxManifestSize));
  CAPSTAN_ASSIGN_OR_RETURN(Manifest manifest, ParseManifest(body));
  const Descriptor& cfg_desc = manifest.config;
  if (cfg_desc.size > kMaxConfigSize) {
    return Fail(Code::kInvalidArgument, "manifest.config.size {} exceeds the {} bytes allowed",
                cfg_desc.size, kMaxConfigSize);
  }
  CAPSTAN_ASSIGN_OR_RETURN(std::string cfg_body, content_.Read(cfg_desc.digest, kMaxConfigSize));
  CAPSTAN_ASSIGN_OR_RETURN(ParsedConfig cfg, ParseConfig(cfg_body));
  if (cfg.diff_ids.size() != manifest.layers.size()) {
    return Fail(Code::kInvalidArgument,
                "image config has {} rootfs.diff_ids but the manifest has {} layers",
                cfg.diff_ids.size(), manifest.layers.size());
  }
  if (!cfg.os.empty() && cfg.os != "linux") {
    return Fail(Code::kInvalidArgument, "image config.os is \"{}\", not linux", cfg.os);
  }
  PreparedImage p;
  ImageRecord& r = p.record;
  r.id = cfg_desc.digest;
  r.manifest_digest = n.manifest_digest;
  r.config = std::move(cfg.config);
  r.diff_ids = cfg.diff_ids;
  r.size = body.size() + cfg_body.size();
  r.blobs = std::move(n.blobs);
  r.blobs.insert(n.manifest_digest);
  r.blobs.insert(cfg_desc.digest);
  for (size_t i = 0; i < manifest.layers.size(); ++i) {
    const Descriptor& layer = manifest.layers[i];
    const std::string& diff_id = cfg.diff_ids[i];
    r.size += layer.size;
    r.blobs.insert(layer.digest);
    lease.Add(diff_id);
    std::filesystem::path dir = LayerDir(diff_id);
    if (PathExists(dir)) {
      continue;
    }
    auto st = UnpackLayer(content_.BlobPath(layer.digest), diff_id, dir, tmp_dir_);
    if (!st) {
      return Fail(st.error().Wrap("layer {} ({})", i, layer.digest));
    }
  }
  p.tags = std::move(n.tags);
  p.repo_digests = std::move(n.repo_digests);
  return p;
}

Result<std::vector<Image>> StoreImpl::Record(std::vector<PreparedImage> prepared) {
  std::lock_guard lock(mu_);
  std::set<std::string> changed;
  int64_t now = UnixNanos(WallNow());
  for (PreparedImage& p : prepared) {
    auto [it, inserted] = images_.try_emplace(p.record.id, p.record);
    ImageRecord& r = it->second;
    if (!inserted) {
      r.manifest_digest = p.record.manifest_digest;
      r.size = p.record.size;
      r.blobs.insert(p.record.blobs.begin(), p.record.blobs.end());
    }
    for (const std::string& tag : p.tags) {
      // A tag names one image: it leaves whichever image held it before.
      for (auto& [other_id, other] : images_) {
        if (other_id != r.id && std::erase(other.repo_tags, tag) > 0) {
          changed.insert(other_id);
        }
      }
      AddUnique(r.repo_tags, tag);
    }
    for (const std::string& d : p.repo_digests) {
      AddUnique(r.repo_digests, d);
    }
    r.updated_unix_nanos = now;
    changed.insert(r.id);
  }
  // The images gaining tags are written first: a crash before the others are rewritten
  // leaves a tag on two records, and the newer claim (updated_unix_nanos) wins at Open.
  std::vector<Image> out;
  for (const PreparedImage& p : prepared) {
    if (std::any_of(out.begin(), out.end(), [&](const Image& i) { return i.id == p.record.id; })) {
      continue;  // the same image under several names
    }
    CAPSTAN_TRY(PersistLocked(images_.at(p.record.id)));
    out.push_back(ToImage(images_.at(p.record.id)));
  }
  for (const std::string& id : changed) {
    bool gaining = std::any_of(prepared.begin(), prepared.end(),
                               [&](const PreparedImage& p) { return p.record.id == id; });
    if (!gaining) {
      CAPSTAN_TRY(PersistLocked(images_.at(id)));
    }
  }
  ++generation_;
  return out;
}

}  // namespace capstan::cri::image
