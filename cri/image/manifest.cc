#include "cri/image/manifest.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "cri/image/digest.h"

namespace capstan::cri::image {
namespace {

using nlohmann::json;

Result<json> ParseJson(std::string_view body, std::string_view what) {
  try {
    json j = json::parse(body);
    if (!j.is_object()) {
      return Fail(Code::kInvalidArgument, "{}: not a JSON object", what);
    }
    return j;
  } catch (const json::exception& e) {
    return Fail(Code::kInvalidArgument, "{}: invalid JSON: {}", what, e.what());
  }
}

std::string GetString(const json& j, const char* key) {
  auto it = j.find(key);
  return (it != j.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

Result<std::vector<std::string>> GetStringList(const json& j, const char* key,
                                               std::string_view what) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    return out;
  }
  if (!it->is_array()) {
    return Fail(Code::kInvalidArgument, "{}.{}: not an array", what, key);
  }
  for (const auto& v : *it) {
    if (!v.is_string()) {
      return Fail(Code::kInvalidArgument, "{}.{}: not an array of strings", what, key);
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<std::map<std::string, std::string>> GetStringMap(const json& j, const char* key,
                                                        std::string_view what) {
  std::map<std::string, std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    return out;
  }
  if (!it->is_object()) {
    return Fail(Code::kInvalidArgument, "{}.{}: not an object", what, key);
  }
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) {
      return Fail(Code::kInvalidArgument, "{}.{}[\"{}\"]: not a string", what, key, k);
    }
    out[k] = v.get<std::string>();
  }
  return out;
}

Result<Descriptor> ParseDescriptor(const json& j, const std::string& what) {
  if (!j.is_object()) {
    return Fail(Code::kInvalidArgument, "{}: not an object", what);
  }
  Descriptor d;
  d.media_type = GetString(j, "mediaType");
  d.digest = GetString(j, "digest");
  CAPSTAN_TRY(CheckDigest(d.digest, what + ".digest"));
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_unsigned()) {
    return Fail(Code::kInvalidArgument, "{}.size: missing or not a non-negative integer", what);
  }
  d.size = size->get<uint64_t>();
  if (auto p = j.find("platform"); p != j.end() && p->is_object()) {
    d.platform =
        Platform{GetString(*p, "os"), GetString(*p, "architecture"), GetString(*p, "variant")};
  }
  CAPSTAN_ASSIGN_OR_RETURN(d.annotations, GetStringMap(j, "annotations", what));
  return d;
}

bool IsGenericType(std::string_view ct) {
  return ct.empty() || ct.starts_with("application/json") || ct.starts_with("text/plain") ||
         ct.starts_with("application/octet-stream");
}

}  // namespace

namespace {

// The kind a specific (non-generic) media type names.
Result<ManifestKind> ClassifyType(std::string_view ct) {
  if (ct == kMediaTypeDockerManifest || ct == kMediaTypeOciManifest) {
    return ManifestKind::kManifest;
  }
  if (ct == kMediaTypeDockerManifestList || ct == kMediaTypeOciIndex) {
    return ManifestKind::kIndex;
  }
  if (ct.find("manifest.v1") != std::string_view::npos) {
    return Fail(Code::kInvalidArgument,
                "manifest media type \"{}\": Docker schema 1 images are not supported", ct);
  }
  return Fail(Code::kInvalidArgument, "manifest media type \"{}\" is not supported", ct);
}

}  // namespace

Result<ManifestKind> ClassifyManifest(std::string_view content_type, std::string_view body) {
  std::string_view ct = content_type.substr(0, content_type.find(';'));
  while (!ct.empty() && ct.back() == ' ') {
    ct.remove_suffix(1);
  }
  if (!IsGenericType(ct)) {
    return ClassifyType(ct);
  }
  // Some registries and file layouts say only "application/json": look inside.
  CAPSTAN_ASSIGN_OR_RETURN(json j, ParseJson(body, "manifest"));
  std::string mt = GetString(j, "mediaType");
  if (!mt.empty() && !IsGenericType(mt)) {
    return ClassifyType(mt);
  }
  if (j.contains("manifests")) {
    return ManifestKind::kIndex;
  }
  if (j.contains("layers") || j.contains("config")) {
    return ManifestKind::kManifest;
  }
  return Fail(Code::kInvalidArgument, "manifest: neither an image manifest nor an index");
}

Result<Manifest> ParseManifest(std::string_view body) {
  CAPSTAN_ASSIGN_OR_RETURN(json j, ParseJson(body, "manifest"));
  Manifest m;
  m.media_type = GetString(j, "mediaType");
  auto cfg = j.find("config");
  if (cfg == j.end()) {
    return Fail(Code::kInvalidArgument, "manifest.config: missing");
  }
  CAPSTAN_ASSIGN_OR_RETURN(m.config, ParseDescriptor(*cfg, "manifest.config"));
  auto layers = j.find("layers");
  if (layers == j.end() || !layers->is_array()) {
    return Fail(Code::kInvalidArgument, "manifest.layers: missing or not an array");
  }
  for (size_t i = 0; i < layers->size(); ++i) {
    std::string what = fmt::format("manifest.layers[{}]", i);
    CAPSTAN_ASSIGN_OR_RETURN(Descriptor d, ParseDescriptor((*layers)[i], what));
    if (!IsLayerMediaType(d.media_type)) {
      return Fail(Code::kInvalidArgument, "{}.mediaType \"{}\" is not a supported layer type", what,
                  d.media_type);
    }
    m.layers.push_back(std::move(d));
  }
  return m;
}

Result<Index> ParseIndex(std::string_view body) {
  CAPSTAN_ASSIGN_OR_RETURN(json j, ParseJson(body, "index"));
  Index idx;
  idx.media_type = GetString(j, "mediaType");
  auto ms = j.find("manifests");
  if (ms == j.end() || !ms->is_array()) {
    return Fail(Code::kInvalidArgument, "index.manifests: missing or not an array");
  }
  for (size_t i = 0; i < ms->size(); ++i) {
    CAPSTAN_ASSIGN_OR_RETURN(Descriptor d,
                             ParseDescriptor((*ms)[i], fmt::format("index.manifests[{}]", i)));
    idx.manifests.push_back(std::move(d));
  }
  CAPSTAN_ASSIGN_OR_RETURN(idx.annotations, GetStringMap(j, "annotations", "index"));
  return idx;
}

Result<ParsedConfig> ParseConfig(std::string_view body) {
  CAPSTAN_ASSIGN_OR_RETURN(json j, ParseJson(body, "image config"));
  ParsedConfig out;
  out.os = GetString(j, "os");
  out.architecture = GetString(j, "architecture");
  if (auto c = j.find("config"); c != j.end() && c->is_object()) {
    constexpr std::string_view what = "image config.config";
    ImageConfig& ic = out.config;
    ic.user = GetString(*c, "User");
    ic.working_dir = GetString(*c, "WorkingDir");
    ic.stop_signal = GetString(*c, "StopSignal");
    CAPSTAN_ASSIGN_OR_RETURN(ic.env, GetStringList(*c, "Env", what));
    CAPSTAN_ASSIGN_OR_RETURN(ic.entrypoint, GetStringList(*c, "Entrypoint", what));
    CAPSTAN_ASSIGN_OR_RETURN(ic.cmd, GetStringList(*c, "Cmd", what));
    CAPSTAN_ASSIGN_OR_RETURN(ic.labels, GetStringMap(*c, "Labels", what));
    if (auto v = c->find("Volumes"); v != c->end() && v->is_object()) {
      for (const auto& [path, unused] : v->items()) {
        ic.volumes.push_back(path);
      }
    }
  } else if (c != j.end() && !c->is_null()) {
    return Fail(Code::kInvalidArgument, "image config.config: not an object");
  }
  auto rootfs = j.find("rootfs");
  if (rootfs == j.end() || !rootfs->is_object()) {
    return Fail(Code::kInvalidArgument, "image config.rootfs: missing");
  }
  CAPSTAN_ASSIGN_OR_RETURN(out.diff_ids, GetStringList(*rootfs, "diff_ids", "image config.rootfs"));
  for (size_t i = 0; i < out.diff_ids.size(); ++i) {
    CAPSTAN_TRY(CheckDigest(out.diff_ids[i], fmt::format("image config.rootfs.diff_ids[{}]", i)));
  }
  return out;
}

bool IsLayerMediaType(std::string_view mt) {
  static constexpr std::string_view kTypes[] = {
      "application/vnd.oci.image.layer.v1.tar",
      "application/vnd.oci.image.layer.v1.tar+gzip",
      "application/vnd.oci.image.layer.v1.tar+zstd",
      "application/vnd.oci.image.layer.nondistributable.v1.tar",
      "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
      "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
      kMediaTypeDockerLayer,
      kMediaTypeDockerLayerGzip,
      "application/vnd.docker.image.rootfs.diff.tar.zstd",
      "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  };
  return std::find(std::begin(kTypes), std::end(kTypes), mt) != std::end(kTypes);
}

Platform HostPlatform() {
#if defined(__x86_64__)
  return {"linux", "amd64", ""};
#elif defined(__aarch64__)
  return {"linux", "arm64", "v8"};
#elif defined(__arm__)
  return {"linux", "arm", "v7"};
#elif defined(__s390x__)
  return {"linux", "s390x", ""};
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return {"linux", "ppc64le", ""};
#elif defined(__riscv) && __riscv_xlen == 64
  return {"linux", "riscv64", ""};
#else
  return {"linux", "unknown", ""};
#endif
}

Result<Descriptor> SelectPlatform(const Index& index, const Platform& want) {
  const Descriptor* best = nullptr;
  for (const Descriptor& d : index.manifests) {
    if (!d.platform || d.platform->os != want.os || d.platform->architecture != want.architecture) {
      continue;
    }
    // An exact variant wins; an entry without a variant is accepted when nothing better
    // shows up (arm64 images often omit "v8").
    if (d.platform->variant == want.variant) {
      return d;
    }
    if (d.platform->variant.empty() && best == nullptr) {
      best = &d;
    }
  }
  if (best != nullptr) {
    return *best;
  }
  std::string offered;
  for (const Descriptor& d : index.manifests) {
    if (d.platform) {
      offered += fmt::format("{}{}/{}{}", offered.empty() ? "" : ", ", d.platform->os,
                             d.platform->architecture,
                             d.platform->variant.empty() ? "" : "/" + d.platform->variant);
    }
  }
  return Fail(Code::kNotFound, "no manifest for platform {}/{} in the index (it offers: {})",
              want.os, want.architecture, offered.empty() ? "nothing" : offered);
}

}  // namespace capstan::cri::image
