#include "cri/image/digest.h"

#include <openssl/evp.h>

namespace capstan::cri::image {

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

Status CheckDigest(std::string_view digest, std::string_view what) {
  if (!digest.starts_with(kSha256Prefix)) {
    auto colon = digest.find(':');
    if (colon != std::string_view::npos && colon > 0) {
      return Fail(Code::kInvalidArgument, "{} \"{}\": unsupported digest algorithm \"{}\"", what,
                  digest, digest.substr(0, colon));
    }
    return Fail(Code::kInvalidArgument, "{} \"{}\": not a digest (want sha256:<64 hex>)", what,
                digest);
  }
  std::string_view hex = digest.substr(kSha256Prefix.size());
  if (hex.size() != 64 || !IsLowerHex(hex)) {
    return Fail(Code::kInvalidArgument, "{} \"{}\": sha256 digest must be 64 lowercase hex digits",
                what, digest);
  }
  return Ok();
}

std::string_view DigestHex(std::string_view digest) {
  return digest.starts_with(kSha256Prefix) ? digest.substr(kSha256Prefix.size()) : digest;
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  CAPSTAN_CHECK(ctx_ != nullptr);
  CAPSTAN_CHECK(EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) == 1);
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::Update(const void* data, size_t len) {
  if (len > 0) {
    CAPSTAN_CHECK(EVP_DigestUpdate(ctx_, data, len) == 1);
  }
}

std::string Sha256::Finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  CAPSTAN_CHECK(EVP_DigestFinal_ex(ctx_, md, &len) == 1);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(kSha256Prefix);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xf]);
  }
  return out;
}

std::string Sha256Digest(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.Finish();
}

}  // namespace capstan::cri::image
