#pragma once
// Internal to common/pki: RAII for OpenSSL objects and PEM/BIO plumbing.

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"

namespace capstan::pki::internal {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;

std::string OpenSslError();
std::unexpected<Error> SslFail(std::string_view what);
Result<std::string> BioString(BIO* bio);

Result<X509Ptr> ReadCert(std::string_view pem);
Result<KeyPtr> ReadPrivateKey(std::string_view pem);
Result<KeyPtr> ReadPublicKey(std::string_view pem);
Result<std::string> PrivateKeyPem(EVP_PKEY* key);
Result<std::string> PublicKeyPem(EVP_PKEY* key);
Result<std::string> CertPem(X509* cert);

}  // namespace capstan::pki::internal

namespace capstan::pki {

struct CertificateSpec;
struct CertAndKey;
// A certificate for an existing public key (a certificate request's), signed by `issuer`
// (null: self-signed, which needs the private key: then `subject_key` must hold one).
// Defined in certs.cc.
Result<std::string> SignPublicKey(const CertificateSpec& spec, EVP_PKEY* subject_key,
                                  const CertAndKey* issuer);

}  // namespace capstan::pki
