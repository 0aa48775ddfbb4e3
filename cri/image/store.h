#pragma once
// The image store of capstan-cri: the contract the CRI ImageService and the runtime use.
//
// It pulls images from OCI/Docker registries (v2 API; https, or http for configured insecure
// hosts; mirrors; bearer and basic auth; manifest lists resolved to this machine's platform),
// imports OCI-layout and docker-archive tarballs, and keeps every layer unpacked once, by
// diff_id, for the runtime's overlay mounts. Everything is on disk under `root`:
//   content/blobs/sha256/<hex>   verified blobs (manifests, configs, compressed layers)
//   layers/sha256/<diff-id hex>/ unpacked layers (overlay lower dirs, with overlay whiteouts)
//   image-store/<id hex>.json    one record per image
//   tmp/                         in-flight downloads and unpacks; emptied by Open
// A crash at any point leaves a store that Open accepts: blobs and layers appear by rename
// after verification, records are written atomically, and Open deletes temp files and any
// blob or layer no image refers to.
//
// Thread safety: every method may be called concurrently. Pulls of the same image in parallel
// both succeed (the second finds or re-creates the same content).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace capstan::cri::image {

// Filled by capstan-cri from its YAML config.
struct RegistryConfig {
  // Registry hosts ("127.0.0.1:5000") reached over https without certificate verification,
  // falling back to plain http. Nothing else is ever pulled over http (except a mirror whose
  // endpoint says http://).
  std::vector<std::string> insecure;
  // Registry host -> endpoints tried in order before the host itself:
  // "docker.io" -> {"http://127.0.0.1:5000"}. Images keep their own names. Credentials from
  // AuthConfig go only to the image's own host, never to a mirror.
  std::map<std::string, std::vector<std::string>> mirrors;
};

// The parts of the OCI image config the runtime and the CRI need.
struct ImageConfig {
  std::string user;
  std::vector<std::string> env;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::vector<std::string> volumes;  // sorted container paths
  std::string stop_signal;

  friend bool operator==(const ImageConfig&, const ImageConfig&) = default;
};

struct Image {
  std::string id;                         // "sha256:<config digest hex>"
  std::vector<std::string> repo_tags;     // "docker.io/library/busybox:latest"
  std::vector<std::string> repo_digests;  // "127.0.0.1:5000/busybox@sha256:<manifest digest>"
  // Bytes of the platform manifest, the config and the compressed layers, as containerd
  // reports an image's size.
  uint64_t size = 0;
  ImageConfig config;
  // Unpacked layer directories, bottom layer first (reverse them for overlay's lowerdir).
  // Shared between images and immutable: mount them, never write into them. Paths are
  // <root>/layers/sha256/<64 hex>: with many layers, overlay's one-page mount data limit
  // may need relative lowerdirs (chdir to <root>/layers/sha256).
  std::vector<std::filesystem::path> layers;
};

// CRI AuthConfig. `auth` is base64("user:password"); `registry_token` is a bearer token used
// as is; `identity_token` is an OAuth2 refresh token exchanged at the token endpoint.
struct AuthConfig {
  std::string username;
  std::string password;
  std::string auth;
  std::string identity_token;
  std::string registry_token;
};

struct FsUsage {
  std::filesystem::path mountpoint;  // the store's root (content and layers live below it)
  uint64_t used_bytes = 0;           // allocated bytes of blobs and layers
  uint64_t inodes_used = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Opens (creating if needed) the store under `root`, loading every image record; records
  // whose layers are gone and cannot be unpacked again are dropped with a warning.
  static Result<std::unique_ptr<Store>> Open(std::filesystem::path root, RegistryConfig cfg);

  // Pulls `ref` (tag or digest reference; "busybox" means docker.io/library/busybox:latest).
  // Idempotent: content already present is not fetched again. A tag moves from any image
  // that held it to this one. Errors: InvalidArgument for a bad reference or invalid content
  // (digest or size mismatch, malformed manifest, unsafe layer), NotFound when the registry
  // does not have the image or this platform, PermissionDenied for refused credentials,
  // Unavailable when no endpoint could be reached. A blob that fails verification is never
  // stored; verified blobs of a failed pull stay for a retry to reuse until the next Remove
  // or Open collects what no image uses.
  virtual Result<Image> Pull(std::string_view ref, const AuthConfig& auth) = 0;

  // Imports every image of an OCI-layout tarball (named by io.containerd.image.name or a
  // full-reference org.opencontainers.image.ref.name annotation) or a docker-archive tarball
  // (`docker save`; named by RepoTags). The tarball may be gzip or zstd compressed. Nothing
  // is recorded unless every image in it imports.
  virtual Result<std::vector<Image>> Import(const std::filesystem::path& tarball) = 0;
  // Imports every *.tar, *.tar.gz, *.tgz and *.tar.zst in `dir` (air-gap images at start);
  // a bad tarball is logged and skipped. A missing dir is success.
  virtual Status ImportDirectory(const std::filesystem::path& dir) = 0;

  // Finds an image by full id ("sha256:<hex>" or "<hex>"), normalized tag ("busybox",
  // "busybox:1.0"), repo digest ("busybox@sha256:..."), or a unique id prefix of at least 12
  // hex digits. NotFound otherwise (also for an ambiguous prefix).
  virtual Result<Image> Get(std::string_view ref_or_id) = 0;
  virtual std::vector<Image> List() = 0;

  // Removes the image `ref_or_id` resolves to, with all its tags, then deletes blobs and
  // layers no remaining image uses. Absent is success (CRI RemoveImage is idempotent).
  // FailedPrecondition when the in-use check says a container uses the image.
  virtual Status Remove(std::string_view ref_or_id) = 0;

  // Set by the runtime so that Remove refuses to delete layers a container is mounted on.
  // Called with the image id, under the store's lock: it must not call back into the store.
  virtual void SetInUseCheck(std::function<bool(std::string_view image_id)> in_use) = 0;

  virtual Result<FsUsage> Usage() = 0;
};

}  // namespace capstan::cri::image
