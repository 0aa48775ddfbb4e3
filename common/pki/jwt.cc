#include "common/pki/jwt.h"

#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "common/pki/base64.h"
#include "common/pki/openssl_util.h"

namespace capstan::pki {

using namespace internal;
using Json = nlohmann::json;

namespace {

constexpr int64_t kLeewaySeconds = 60;  // clock skew between issuer and verifier

}  // namespace

Result<std::pair<std::string, std::string>> GenerateRsaKey() {
  KeyPtr key(EVP_RSA_gen(2048));
  if (!key) return SslFail("generating an RSA key");
  CAPSTAN_ASSIGN_OR_RETURN(std::string priv, PrivateKeyPem(key.get()));
  CAPSTAN_ASSIGN_OR_RETURN(std::string pub, PublicKeyPem(key.get()));
  return std::make_pair(priv, pub);
}

Result<std::string> KeyId(const std::string& public_key_pem) {
  CAPSTAN_ASSIGN_OR_RETURN(auto key, ReadPublicKey(public_key_pem));
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(key.get(), &der);
  if (n <= 0) return SslFail("encoding a public key");
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, n, digest);
  OPENSSL_free(der);
  return Base64UrlEncode(std::string_view(reinterpret_cast<char*>(digest), sizeof(digest)));
}

Result<std::string> SignJwt(const Json& claims, const std::string& private_key_pem,
                            const std::string& kid) {
  CAPSTAN_ASSIGN_OR_RETURN(auto key, ReadPrivateKey(private_key_pem));
  Json header = {{"alg", "RS256"}};
  if (!kid.empty()) header["kid"] = kid;
  std::string input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    return SslFail("signing a token");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return SslFail("signing a token");
  }
  sig.resize(len);
  return input + "." + Base64UrlEncode(sig);
}

Result<Json> VerifyJwt(const std::string& token, const std::string& public_key_pem, WallTime now) {
  size_t a = token.find('.');
  size_t b = a == std::string::npos ? a : token.find('.', a + 1);
  if (b == std::string::npos || token.find('.', b + 1) != std::string::npos) {
    return Fail(Code::kPermissionDenied, "not a JWT");
  }
  auto header_raw = Base64UrlDecode(token.substr(0, a));
  auto claims_raw = Base64UrlDecode(token.substr(a + 1, b - a - 1));
  auto sig = Base64UrlDecode(token.substr(b + 1));
  if (!header_raw || !claims_raw || !sig) return Fail(Code::kPermissionDenied, "bad encoding");
  Json header = Json::parse(*header_raw, nullptr, false);
  Json claims = Json::parse(*claims_raw, nullptr, false);
  if (!header.is_object() || !claims.is_object()) {
    return Fail(Code::kPermissionDenied, "bad token JSON");
  }
  if (header.value("alg", "") != "RS256") {
    return Fail(Code::kPermissionDenied, "unsupported algorithm");
  }
  CAPSTAN_ASSIGN_OR_RETURN(auto key, ReadPublicKey(public_key_pem));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::string input = token.substr(0, b);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    ERR_clear_error();
    return Fail(Code::kPermissionDenied, "invalid signature");
  }
  int64_t t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (claims.contains("exp") &&
      (!claims["exp"].is_number() || claims["exp"].get<int64_t>() + kLeewaySeconds < t)) {
    return Fail(Code::kPermissionDenied, "token has expired");
  }
  if (claims.contains("nbf") &&
      (!claims["nbf"].is_number() || claims["nbf"].get<int64_t>() - kLeewaySeconds > t)) {
    return Fail(Code::kPermissionDenied, "token not valid yet");
  }
  return claims;
}

}  // namespace capstan::pki
