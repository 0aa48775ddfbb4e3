#pragma once
// Builds small images (config, manifest, layers) and packs them as OCI-layout or
// docker-archive tarballs, for import and store tests.

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cri/image/digest.h"
#include "tests/cri/image/tar_builder.h"

namespace capstan::cri::image::testing {

struct TestImage {
  std::vector<std::string> tars;   // uncompressed layer tars
  std::vector<std::string> blobs;  // layer blobs as shipped
  std::vector<std::string> media_types;
  std::string config;
  std::string manifest;
  std::string id() const { return Sha256Digest(config); }
  std::string manifest_digest() const { return Sha256Digest(manifest); }
};

inline TestImage MakeImage(const std::vector<TarBuilder>& layers,
                           Compression c = Compression::kGzip, std::string label = "test",
                           std::vector<std::string> diff_ids_override = {}) {
  using nlohmann::json;
  TestImage img;
  json diff_ids = json::array();
  for (const TarBuilder& l : layers) {
    img.tars.push_back(l.Build());
    img.blobs.push_back(l.Build(c));
    img.media_types.push_back(
        c == Compression::kGzip   ? "application/vnd.oci.image.layer.v1.tar+gzip"
        : c == Compression::kZstd ? "application/vnd.oci.image.layer.v1.tar+zstd"
                                  : "application/vnd.oci.image.layer.v1.tar");
    diff_ids.push_back(Sha256Digest(img.tars.back()));
  }
  if (!diff_ids_override.empty()) {
    diff_ids = diff_ids_override;
  }
  json cfg = {{"architecture", "amd64"},
              {"os", "linux"},
              {"config",
               {{"Env", {"PATH=/bin"}},
                {"Cmd", {"/bin/sh"}},
                {"User", "1000"},
                {"WorkingDir", "/work"},
                {"Labels", {{"which", label}}}}},
              {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  img.config = cfg.dump();
  json m = {{"schemaVersion", 2},
            {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
            {"config",
             {{"mediaType", "application/vnd.oci.image.config.v1+json"},
              {"digest", Sha256Digest(img.config)},
              {"size", img.config.size()}}},
            {"layers", json::array()}};
  for (size_t i = 0; i < img.blobs.size(); ++i) {
    m["layers"].push_back({{"mediaType", img.media_types[i]},
                           {"digest", Sha256Digest(img.blobs[i])},
                           {"size", img.blobs[i].size()}});
  }
  img.manifest = m.dump();
  return img;
}

inline std::string BlobName(const std::string& data) {
  return "blobs/sha256/" + Sha256Digest(data).substr(7);
}

// An OCI layout tarball; each image comes with its index annotations.
inline std::string OciLayoutTar(
    const std::vector<std::pair<TestImage, std::map<std::string, std::string>>>& images) {
  using nlohmann::json;
  TarBuilder t;
  t.File("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  json index = {{"schemaVersion", 2}, {"manifests", json::array()}};
  t.Dir("blobs").Dir("blobs/sha256");
  for (const auto& [img, ann] : images) {
    index["manifests"].push_back({{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                  {"digest", img.manifest_digest()},
                                  {"size", img.manifest.size()},
                                  {"annotations", ann}});
    t.File(BlobName(img.manifest), img.manifest).File(BlobName(img.config), img.config);
    for (const auto& b : img.blobs) {
      t.File(BlobName(b), b);
    }
  }
  t.File("index.json", index.dump());
  return t.Build();
}

// A docker-archive (`docker save`) tarball with uncompressed layers under <n>/layer.tar.
inline std::string DockerArchiveTar(
    const std::vector<std::pair<TestImage, std::vector<std::string>>>& images,
    Compression outer = Compression::kNone) {
  using nlohmann::json;
  TarBuilder t;
  json manifest = json::array();
  int n = 0;
  for (const auto& [img, tags] : images) {
    std::string cfg_name = img.id().substr(7) + ".json";
    t.File(cfg_name, img.config);
    json layers = json::array();
    for (const auto& tar : img.tars) {
      std::string dir = "layer" + std::to_string(n++);
      t.Dir(dir).File(dir + "/layer.tar", tar);
      layers.push_back(dir + "/layer.tar");
    }
    manifest.push_back({{"Config", cfg_name}, {"RepoTags", tags}, {"Layers", layers}});
  }
  t.File("manifest.json", manifest.dump());
  return t.Build(outer);
}

}  // namespace capstan::cri::image::testing
