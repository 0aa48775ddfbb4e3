#pragma once
// The on-disk record of one image (<root>/image-store/<id hex>.json) and its JSON codec.

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "cri/image/store.h"

namespace capstan::cri::image {

struct ImageRecord {
  std::string id;  // config digest
  std::vector<std::string> repo_tags;
  std::vector<std::string> repo_digests;
  std::string manifest_digest;  // the platform manifest last pulled or imported
  uint64_t size = 0;
  ImageConfig config;
  std::vector<std::string> diff_ids;  // bottom first
  // Every content blob the image holds: indexes, manifests, config, compressed layers.
  std::set<std::string> blobs;
  // When a tag was last given to this image: on load, a tag claimed by two records (a crash
  // between rewriting them) stays with the newer one.
  int64_t updated_unix_nanos = 0;
};

std::string EncodeRecord(const ImageRecord& r);
// InvalidArgument naming the field for a malformed record.
Result<ImageRecord> DecodeRecord(std::string_view json);

}  // namespace capstan::cri::image
