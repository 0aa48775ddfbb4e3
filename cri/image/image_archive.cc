#include "cri/image/image_archive.h"

#include <cstdio>
#include <map>
#include <memory>
#include <optional>

#include <archive.h>
#include <archive_entry.h>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "cri/image/digest.h"
#include "cri/image/layer_writer.h"
#include "cri/image/manifest.h"
#include "cri/image/reference.h"

namespace capstan::cri::image {
namespace {

using nlohmann::json;

constexpr std::string_view kAnnotationContainerdName = "io.containerd.image.name";
constexpr std::string_view kAnnotationRefName = "org.opencontainers.image.ref.name";

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};

// The tarball's files: small JSON documents in memory, everything else staged (hashed,
// uncommitted) in the content store's tmp dir.
class ArchiveFiles {
 public:
  ArchiveFiles(const ContentStore& content, const std::function<void(const std::string&)>& lease)
      : content_(content), lease_(lease) {}

  Status Read(const std::filesystem::path& tarball);
  const std::string* Doc(const std::string& name) const {
    auto it = docs_.find(name);
    return it == docs_.end() ? nullptr : &it->second;
  }
  // Commits the file at `path` (following symlinks and hard links) and returns its digest;
  // with `expected`, its content must hash to that.
  Result<std::string> Commit(const std::string& path, std::string_view expected);

 private:
  Status Stage(archive* a, const std::string& key);
  const ContentStore& content_;
  const std::function<void(const std::string&)>& lease_;
  std::map<std::string, std::string> docs_;
  std::map<std::string, std::unique_ptr<ContentStore::Writer>> staged_;
  std::map<std::string, std::string> committed_;  // path -> digest
  std::map<std::string, std::string> aliases_;    // symlink / hard link -> target path
};

// Lexically resolves `target` relative to the directory of `from` inside the archive;
// nullopt when it leaves the archive root.
std::optional<std::string> ResolveLink(const std::string& from, std::string_view target,
                                       bool relative_to_dir) {
  std::vector<std::string> out;
  std::string joined = std::string(target);
  if (relative_to_dir && !target.starts_with('/')) {
    auto slash = from.rfind('/');
    joined = (slash == std::string::npos ? "" : from.substr(0, slash + 1)) + joined;
  }
  size_t start = 0;
  while (start <= joined.size()) {
    size_t slash = joined.find('/', start);
    std::string c = joined.substr(start, slash == std::string::npos ? slash : slash - start);
    if (c == "..") {
      if (out.empty()) {
        return std::nullopt;
      }
      out.pop_back();
    } else if (!c.empty() && c != ".") {
      out.push_back(c);
    }
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  std::string r;
  for (const auto& c : out) {
    r += (r.empty() ? "" : "/") + c;
  }
  return r;
}

Status ArchiveFiles::Stage(archive* a, const std::string& key) {
  bool doc =
      key == "oci-layout" || key == "index.json" || key == "manifest.json" || key == "repositories";
  std::unique_ptr<ContentStore::Writer> writer;
  if (!doc) {
    CAPSTAN_ASSIGN_OR_RETURN(writer, content_.NewWriter());
  }
  std::string text;
  char buf[1 << 16];
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
    if (n < 0) {
      return Fail(Code::kInvalidArgument, "reading {}: {}", key, archive_error_string(a));
    }
    if (n == 0) {
      break;
    }
    if (doc) {
      if (text.size() + static_cast<size_t>(n) > kMaxManifestSize) {
        return Fail(Code::kInvalidArgument, "{} is larger than {} bytes", key, kMaxManifestSize);
      }
      text.append(buf, static_cast<size_t>(n));
    } else {
      CAPSTAN_TRY(writer->Write(buf, static_cast<size_t>(n)));
    }
  }
  if (doc) {
    docs_[key] = std::move(text);
    return Ok();
  }
  CAPSTAN_TRY(writer->Finish());
  staged_[key] = std::move(writer);
  return Ok();
}

Status ArchiveFiles::Read(const std::filesystem::path& tarball) {
  std::unique_ptr<archive, ArchiveDeleter> a(archive_read_new());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), tarball.c_str(), 1 << 16) != ARCHIVE_OK) {
    return Fail(Code::kInvalidArgument, "opening {}: {}", tarball.string(),
                archive_error_string(a.get()));
  }
  archive_entry* e = nullptr;
  for (;;) {
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) {
      return Ok();
    }
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      return Fail(Code::kInvalidArgument, "reading {}: {}", tarball.string(),
                  archive_error_string(a.get()));
    }
    const char* name = archive_entry_pathname(e);
    if (name == nullptr) {
      return Fail(Code::kInvalidArgument, "{}: entry with an undecodable name", tarball.string());
    }
    CAPSTAN_ASSIGN_OR_RETURN(std::vector<std::string> comps, SplitEntryPath(name));
    std::string key;
    for (const auto& c : comps) {
      key += (key.empty() ? "" : "/") + c;
    }
    if (const char* link = archive_entry_hardlink(e)) {
      if (auto target = ResolveLink(key, link, false)) {
        aliases_[key] = *target;
      }
    } else if (archive_entry_filetype(e) == AE_IFLNK) {
      const char* target = archive_entry_symlink(e);
      if (target != nullptr) {
        if (auto t = ResolveLink(key, target, true)) {
          aliases_[key] = *t;
        }
      }
    } else if (archive_entry_filetype(e) == AE_IFREG && !key.empty()) {
      CAPSTAN_TRY(Stage(a.get(), key));
    }
  }
}

Result<std::string> ArchiveFiles::Commit(const std::string& path, std::string_view expected) {
  std::string p = path;
  for (int hops = 0; hops < 16 && aliases_.contains(p); ++hops) {
    p = aliases_.at(p);
  }
  if (auto it = committed_.find(p); it != committed_.end()) {
    if (!expected.empty() && it->second != expected) {
      return Fail(Code::kInvalidArgument, "{}: digest mismatch: content hashes to {}, want {}",
                  path, it->second, expected);
    }
    return it->second;
  }
  auto it = staged_.find(p);
  if (it == staged_.end()) {
    if (!expected.empty() && content_.Has(expected)) {
      lease_(std::string(expected));
      return std::string(expected);  // already in the store; the archive may omit it
    }
    return Fail(Code::kInvalidArgument, "{} is missing from the archive", path);
  }
  CAPSTAN_ASSIGN_OR_RETURN(std::string digest, it->second->Finish());
  lease_(digest);
  auto committed = it->second->Commit(expected);
  if (!committed) {
    return Fail(committed.error().Wrap("{}", path));
  }
  committed_[p] = *committed;
  return *committed;
}

std::string BlobPathInLayout(std::string_view digest) {
  return "blobs/sha256/" + std::string(DigestHex(digest));
}

// An image name from index annotations: containerd's full name, or a ref.name that is a
// full reference. A bare tag ("latest") names no repository.
std::optional<std::string> NameFromAnnotations(const std::map<std::string, std::string>& ann) {
  for (std::string_view key : {kAnnotationContainerdName, kAnnotationRefName}) {
    auto it = ann.find(std::string(key));
    if (it == ann.end()) {
      continue;
    }
    const std::string& v = it->second;
    if (key == kAnnotationRefName && v.find_first_of("/:@") == std::string::npos) {
      continue;
    }
    if (auto ref = ParseReference(v)) {
      return ref->tag.empty() ? std::nullopt : std::optional(ref->TagString());
    }
  }
  return std::nullopt;
}

Result<std::vector<ArchivedImage>> ReadOciLayout(ArchiveFiles& files, const ContentStore& content) {
  CAPSTAN_ASSIGN_OR_RETURN(Index index, ParseIndex(*files.Doc("index.json")));
  std::vector<ArchivedImage> out;
  Platform host = HostPlatform();
  for (const Descriptor& top : index.manifests) {
    if (top.platform &&
        (top.platform->os != host.os || top.platform->architecture != host.architecture)) {
      continue;
    }
    ArchivedImage img;
    img.top_digest = top.digest;
    if (auto name = NameFromAnnotations(top.annotations)) {
      img.names.push_back(*name);
    }
    std::string digest = top.digest;
    std::string media_type = top.media_type;
    std::optional<Manifest> manifest;
    // An index entry may be a manifest or (one level of) a multi-platform index.
    for (int depth = 0; !manifest; ++depth) {
      CAPSTAN_TRY(files.Commit(BlobPathInLayout(digest), digest));
      img.blobs.insert(digest);
      CAPSTAN_ASSIGN_OR_RETURN(std::string body, content.Read(digest, kMaxManifestSize));
      CAPSTAN_ASSIGN_OR_RETURN(ManifestKind kind, ClassifyManifest(media_type, body));
      if (kind == ManifestKind::kManifest) {
        CAPSTAN_ASSIGN_OR_RETURN(manifest, ParseManifest(body));
        img.manifest_digest = digest;
        break;
      }
      if (depth > 0) {
        return Fail(Code::kInvalidArgument, "index {} nests indexes too deeply", digest);
      }
      CAPSTAN_ASSIGN_OR_RETURN(Index nested, ParseIndex(body));
      CAPSTAN_ASSIGN_OR_RETURN(Descriptor d, SelectPlatform(nested, host));
      digest = d.digest;
      media_type = d.media_type;
    }
    std::vector<Descriptor> blobs = manifest->layers;
    blobs.push_back(manifest->config);
    for (const Descriptor& d : blobs) {
      CAPSTAN_TRY(files.Commit(BlobPathInLayout(d.digest), d.digest));
      img.blobs.insert(d.digest);
    }
    out.push_back(std::move(img));
  }
  return out;
}

std::string_view SniffLayerType(const std::filesystem::path& blob) {
  char magic[4] = {0};
  if (FILE* f = std::fopen(blob.c_str(), "rb")) {
    size_t n = std::fread(magic, 1, sizeof(magic), f);
    std::fclose(f);
    if (n >= 2 && magic[0] == '\x1f' && magic[1] == '\x8b') {
      return kMediaTypeDockerLayerGzip;
    }
    if (n == 4 && std::string_view(magic, 4) == "\x28\xb5\x2f\xfd") {
      return "application/vnd.docker.image.rootfs.diff.tar.zstd";
    }
  }
  return kMediaTypeDockerLayer;
}

Result<ArchivedImage> ReadDockerImage(ArchiveFiles& files, const ContentStore& content,
                                      const std::function<void(const std::string&)>& lease,
                                      const json& entry, size_t i) {
  std::string what = fmt::format("manifest.json[{}]", i);
  if (!entry.is_object() || !entry.contains("Config") || !entry["Config"].is_string() ||
      !entry.contains("Layers") || !entry["Layers"].is_array()) {
    return Fail(Code::kInvalidArgument, "{}: want an object with Config and Layers", what);
  }
  ArchivedImage img;
  CAPSTAN_ASSIGN_OR_RETURN(std::string cfg, files.Commit(entry["Config"].get<std::string>(), ""));
  img.blobs.insert(cfg);
  CAPSTAN_ASSIGN_OR_RETURN(std::string cfg_body, content.Read(cfg, kMaxConfigSize));
  json m = {{"schemaVersion", 2},
            {"mediaType", kMediaTypeDockerManifest},
            {"config",
             {{"mediaType", kMediaTypeDockerConfig}, {"size", cfg_body.size()}, {"digest", cfg}}},
            {"layers", json::array()}};
  for (const json& l : entry["Layers"]) {
    if (!l.is_string()) {
      return Fail(Code::kInvalidArgument, "{}.Layers: not an array of strings", what);
    }
    CAPSTAN_ASSIGN_OR_RETURN(std::string digest, files.Commit(l.get<std::string>(), ""));
    std::error_code ec;
    uint64_t size = std::filesystem::file_size(content.BlobPath(digest), ec);
    m["layers"].push_back({{"mediaType", SniffLayerType(content.BlobPath(digest))},
                           {"size", size},
                           {"digest", digest}});
    img.blobs.insert(digest);
  }
  std::string text = m.dump();
  std::string digest = Sha256Digest(text);
  lease(digest);
  CAPSTAN_TRY(content.WriteBlob(text, digest));
  img.blobs.insert(digest);
  img.top_digest = img.manifest_digest = digest;
  if (auto tags = entry.find("RepoTags"); tags != entry.end() && tags->is_array()) {
    for (const json& t : *tags) {
      if (!t.is_string()) {
        return Fail(Code::kInvalidArgument, "{}.RepoTags: not an array of strings", what);
      }
      CAPSTAN_ASSIGN_OR_RETURN(Reference ref, ParseReference(t.get<std::string>()));
      if (!ref.tag.empty()) {
        img.names.push_back(ref.TagString());
      }
    }
  }
  return img;
}

}  // namespace

Result<std::vector<ArchivedImage>> ReadImageArchive(
    const std::filesystem::path& tarball, const ContentStore& content,
    const std::function<void(const std::string&)>& lease) {
  ArchiveFiles files(content, lease);
  CAPSTAN_TRY(files.Read(tarball));
  if (files.Doc("index.json") != nullptr) {
    return ReadOciLayout(files, content);
  }
  const std::string* manifest = files.Doc("manifest.json");
  if (manifest == nullptr) {
    return Fail(Code::kInvalidArgument,
                "{}: neither an OCI image layout (index.json) nor a docker-archive "
                "(manifest.json)",
                tarball.string());
  }
  json entries;
  try {
    entries = json::parse(*manifest);
  } catch (const json::exception& e) {
    return Fail(Code::kInvalidArgument, "manifest.json: invalid JSON: {}", e.what());
  }
  if (!entries.is_array()) {
    return Fail(Code::kInvalidArgument, "manifest.json: not an array");
  }
  std::vector<ArchivedImage> out;
  for (size_t i = 0; i < entries.size(); ++i) {
    CAPSTAN_ASSIGN_OR_RETURN(ArchivedImage img,
                             ReadDockerImage(files, content, lease, entries[i], i));
    out.push_back(std::move(img));
  }
  return out;
}

}  // namespace capstan::cri::image
