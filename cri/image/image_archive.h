#pragma once
// Reading image tarballs for import (air-gap): an OCI image layout (oci-layout, index.json,
// blobs/sha256/...) or a docker-archive (`docker save`: manifest.json with Config, RepoTags,
// Layers). The tarball is hostile input like a registry's: every blob is hashed while it is
// read, OCI blobs must match their names, and only blobs an image needs reach the content
// store. A docker-archive image gets a synthesized Docker schema2 manifest so that pull and
// import share the commit step.

#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "cri/image/content_store.h"

namespace capstan::cri::image {

struct ArchivedImage {
  std::string top_digest;          // the index entry's (or synthesized manifest's) digest
  std::string manifest_digest;     // the platform manifest
  std::vector<std::string> names;  // normalized references (may be empty: unnamed image)
  std::set<std::string> blobs;
};

// `lease` is called with each digest before its blob is committed.
Result<std::vector<ArchivedImage>> ReadImageArchive(
    const std::filesystem::path& tarball, const ContentStore& content,
    const std::function<void(const std::string&)>& lease);

}  // namespace capstan::cri::image
