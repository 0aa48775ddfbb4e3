// Store::Import and ImportDirectory: tarball -> content store -> unpacked layers -> records.

#include <algorithm>

#include "cri/image/image_archive.h"
#include "cri/image/import_watcher.h"
#include "cri/image/reference.h"
#include "cri/image/store_impl.h"

namespace capstan::cri::image {

Result<std::vector<Image>> StoreImpl::Import(const std::filesystem::path& tarball) {
  auto import = [&]() -> Result<std::vector<Image>> {
    Lease lease(this);
    CAPSTAN_ASSIGN_OR_RETURN(
        std::vector<ArchivedImage> archived,
        ReadImageArchive(tarball, content_, [&](const std::string& d) { lease.Add(d); }));
    if (archived.empty()) {
      return Fail(Code::kInvalidArgument, "no image for this platform in the archive");
    }
    // Every image is unpacked before any is recorded: all of the tarball imports, or none.
    std::vector<PreparedImage> prepared;
    for (ArchivedImage& a : archived) {
      NewImage n;
      n.manifest_digest = a.manifest_digest;
      n.blobs = std::move(a.blobs);
      for (const std::string& name : a.names) {
        n.tags.push_back(name);
        CAPSTAN_ASSIGN_OR_RETURN(Reference ref, ParseReference(name));
        n.repo_digests.push_back(ref.DigestString(a.top_digest));
      }
      CAPSTAN_ASSIGN_OR_RETURN(PreparedImage p, Prepare(std::move(n), lease));
      prepared.push_back(std::move(p));
    }
    return Record(std::move(prepared));
  };
  auto images = import();
  if (!images) {
    return Fail(images.error().Wrap("importing {}", tarball.string()));
  }
  for (const Image& img : *images) {
    log_.Info("image imported",
              {{"tarball", tarball.string()}, {"id", img.id}, {"tags", img.repo_tags.size()}});
  }
  return images;
}

Status StoreImpl::ImportDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> tarballs;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (IsImageTarball(name) && e.is_regular_file(ec)) {
      tarballs.push_back(e.path());
    }
  }
  if (ec && ec.value() != ENOENT) {
    return Fail(ErrnoError(ec.value(), "listing " + dir.string()));
  }
  std::sort(tarballs.begin(), tarballs.end());
  for (const auto& t : tarballs) {
    if (auto r = Import(t); !r) {
      log_.Warn("skipping image tarball",
                {{"tarball", t.string()}, {"error", r.error().message()}});
    }
  }
  return Ok();
}

}  // namespace capstan::cri::image
