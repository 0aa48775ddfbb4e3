#pragma once
// Content digests ("sha256:<64 lowercase hex>") and a streaming SHA-256 over OpenSSL EVP.
// sha256 is the only algorithm accepted: it is what every registry and OCI layout uses, and
// accepting fewer shapes of hostile input is safer.

#include <cstddef>
#include <string>
#include <string_view>

#include "common/error.h"

struct evp_md_ctx_st;

namespace capstan::cri::image {

inline constexpr std::string_view kSha256Prefix = "sha256:";

// Ok when `digest` is "sha256:" followed by exactly 64 lowercase hex digits. `what` names the
// field in the InvalidArgument error ("manifest layers[2].digest").
Status CheckDigest(std::string_view digest, std::string_view what = "digest");
// The hex part of a digest already checked with CheckDigest.
std::string_view DigestHex(std::string_view digest);
bool IsLowerHex(std::string_view s);

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t len);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // "sha256:<hex>"; the hasher is unusable afterwards.
  std::string Finish();

 private:
  evp_md_ctx_st* ctx_;
};

std::string Sha256Digest(std::string_view data);

}  // namespace capstan::cri::image
