#pragma once
// OCI / Docker schema2 manifests, indexes (manifest lists) and image configs: pure parsers
// over hostile JSON. Every error is InvalidArgument naming the field.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "cri/image/store.h"

namespace capstan::cri::image {

inline constexpr std::string_view kMediaTypeDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kMediaTypeDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kMediaTypeOciManifest =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kMediaTypeOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kMediaTypeDockerConfig =
    "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kMediaTypeOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kMediaTypeDockerLayer =
    "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr std::string_view kMediaTypeDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";

// Manifests and indexes are small; anything bigger is refused before it is parsed.
inline constexpr size_t kMaxManifestSize = 4 << 20;
inline constexpr size_t kMaxConfigSize = 16 << 20;

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
};

struct Descriptor {
  std::string media_type;
  std::string digest;
  uint64_t size = 0;
  std::optional<Platform> platform;
  std::map<std::string, std::string> annotations;
};

struct Manifest {
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
};

struct Index {
  std::string media_type;
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
};

struct ParsedConfig {
  ImageConfig config;
  std::vector<std::string> diff_ids;  // bottom layer first
  std::string os;
  std::string architecture;
};

enum class ManifestKind { kManifest, kIndex };

// Classifies a document by its Content-Type (or, when that is generic, its mediaType field
// or shape). Schema1 and unknown types are InvalidArgument.
Result<ManifestKind> ClassifyManifest(std::string_view content_type, std::string_view body);
Result<Manifest> ParseManifest(std::string_view body);
Result<Index> ParseIndex(std::string_view body);
Result<ParsedConfig> ParseConfig(std::string_view body);
// True for the layer media types we unpack (tar, gzip, zstd; docker and OCI spellings).
bool IsLayerMediaType(std::string_view media_type);

// The platform this binary runs on, in OCI terms (linux/amd64, linux/arm64/v8, ...).
Platform HostPlatform();
// The index entry for `want`; NotFound listing what the index offers otherwise.
Result<Descriptor> SelectPlatform(const Index& index, const Platform& want);

}  // namespace capstan::cri::image
