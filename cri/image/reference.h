#pragma once
// Image references, normalized the way docker and containerd do: "busybox" is
// "docker.io/library/busybox:latest", "index.docker.io" is "docker.io", a tag defaults to
// "latest" only when there is no digest. Parsing is a pure function over a string.

#include <string>
#include <string_view>

#include "common/error.h"

namespace capstan::cri::image {

inline constexpr std::string_view kDefaultDomain = "docker.io";

struct Reference {
  std::string domain;  // "docker.io", "127.0.0.1:5000", "registry.example.com"
  std::string path;    // repository path: "library/busybox"
  std::string tag;     // "" when the reference names only a digest
  std::string digest;  // "sha256:<hex>" or ""

  // "docker.io/library/busybox"
  std::string Name() const { return domain + "/" + path; }
  // "docker.io/library/busybox:latest", "...@sha256:...", or both.
  std::string String() const;
  // "docker.io/library/busybox:latest"; empty without a tag.
  std::string TagString() const { return tag.empty() ? "" : Name() + ":" + tag; }
  // Name()@digest for the given digest.
  std::string DigestString(std::string_view d) const { return Name() + "@" + std::string(d); }

  friend bool operator==(const Reference&, const Reference&) = default;
};

// Parses and normalizes `ref`. Errors are InvalidArgument naming what is wrong
// ("repository name must be lowercase", "invalid tag", ...).
Result<Reference> ParseReference(std::string_view ref);

}  // namespace capstan::cri::image
