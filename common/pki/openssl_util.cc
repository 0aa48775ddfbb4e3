#include "common/pki/openssl_util.h"

#include <fmt/format.h>

namespace capstan::pki::internal {

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

std::unexpected<Error> SslFail(std::string_view what) {
  return Fail(Code::kInternal, "{}: {}", what, OpenSslError());
}

Result<std::string> BioString(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  if (n < 0) return SslFail("reading PEM");
  return std::string(data, n);
}

Result<X509Ptr> ReadCert(std::string_view pem) {
  BioPtr b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr));
  if (!cert) return Fail(Code::kInvalidArgument, "not a PEM certificate: {}", OpenSslError());
  return cert;
}

Result<KeyPtr> ReadPrivateKey(std::string_view pem) {
  BioPtr b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  KeyPtr key(PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr));
  if (!key) return Fail(Code::kInvalidArgument, "not a PEM private key: {}", OpenSslError());
  return key;
}

Result<KeyPtr> ReadPublicKey(std::string_view pem) {
  BioPtr b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  KeyPtr key(PEM_read_bio_PUBKEY(b.get(), nullptr, nullptr, nullptr));
  if (!key) return Fail(Code::kInvalidArgument, "not a PEM public key: {}", OpenSslError());
  return key;
}

Result<std::string> PrivateKeyPem(EVP_PKEY* key) {
  BioPtr b(BIO_new(BIO_s_mem()));
  if (!b || PEM_write_bio_PrivateKey(b.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return SslFail("writing a private key");
  }
  return BioString(b.get());
}

Result<std::string> PublicKeyPem(EVP_PKEY* key) {
  BioPtr b(BIO_new(BIO_s_mem()));
  if (!b || PEM_write_bio_PUBKEY(b.get(), key) != 1) return SslFail("writing a public key");
  return BioString(b.get());
}

Result<std::string> CertPem(X509* cert) {
  BioPtr b(BIO_new(BIO_s_mem()));
  if (!b || PEM_write_bio_X509(b.get(), cert) != 1) return SslFail("writing a certificate");
  return BioString(b.get());
}

}  // namespace capstan::pki::internal
