#include "kubelet/server/certs.h"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

#include "common/file.h"
#include "common/log.h"

namespace capstan::kubelet::server {

namespace {

const log::Logger kLog("kubelet-server");

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  if (e == 0) {
    return "unknown OpenSSL error";
  }
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
  if (n < 0) {
    return SslFail("reading PEM");
  }
  return std::string(data, n);
}

Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return SslFail(fmt::format("certificate extension {}", value));
  }
  return Ok();
}

std::string AltNames(const CertificateSpec& spec) {
  std::string out;
  auto add = [&](std::string_view kind, const std::string& v) {
    if (!out.empty()) {
      out += ',';
    }
    out += fmt::format("{}:{}", kind, v);
  };
  for (const auto& d : spec.dns_names) {
    add("DNS", d);
  }
  for (const auto& ip : spec.ip_addresses) {
    add("IP", ip);
  }
  return out;
}

bool IsIp(const std::string& s) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

}  // namespace

Result<CertAndKey> IssueCertificate(const CertificateSpec& spec, const CertAndKey* issuer) {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) {
    return SslFail("generating a key");
  }
  X509Ptr issuer_cert;
  KeyPtr issuer_key;
  if (issuer) {
    BioPtr cb(BIO_new_mem_buf(issuer->cert_pem.data(), static_cast<int>(issuer->cert_pem.size())));
    issuer_cert.reset(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
    BioPtr kb(BIO_new_mem_buf(issuer->key_pem.data(), static_cast<int>(issuer->key_pem.size())));
    issuer_key.reset(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
    if (!issuer_cert || !issuer_key) {
      return SslFail("reading the issuer");
    }
  }
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) {
    return SslFail("new certificate");
  }
  BnPtr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()))) {
    return SslFail("certificate serial");
  }
  // Valid from an hour ago, for clocks slightly behind.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()),
                  std::chrono::duration_cast<std::chrono::seconds>(spec.validity).count());
  X509_NAME* name = X509_get_subject_name(cert.get());
  auto add_name = [&](const char* field, const std::string& v) {
    return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(v.c_str()), -1, -1,
                                      0) == 1;
  };
  for (const auto& o : spec.organizations) {
    if (!add_name("O", o)) {
      return SslFail("certificate organization");
    }
  }
  if (!add_name("CN", spec.common_name)) {
    return SslFail("certificate common name");
  }
  X509_set_issuer_name(cert.get(), issuer_cert ? X509_get_subject_name(issuer_cert.get()) : name);
  if (X509_set_pubkey(cert.get(), key.get()) != 1) {
    return SslFail("certificate key");
  }

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_cert ? issuer_cert.get() : cert.get(), cert.get(), nullptr, nullptr,
                 0);
  CAPSTAN_TRY(AddExtension(cert.get(), &ctx, NID_basic_constraints,
                           spec.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE"));
  CAPSTAN_TRY(AddExtension(cert.get(), &ctx, NID_key_usage,
                           spec.is_ca ? "critical,digitalSignature,keyCertSign,cRLSign"
                                      : "critical,digitalSignature,keyEncipherment"));
  std::string eku;
  if (spec.server_auth) {
    eku = "serverAuth";
  }
  if (spec.client_auth) {
    eku += eku.empty() ? "clientAuth" : ",clientAuth";
  }
  if (!eku.empty()) {
    CAPSTAN_TRY(AddExtension(cert.get(), &ctx, NID_ext_key_usage, eku));
  }
  CAPSTAN_TRY(AddExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  if (issuer_cert) {
    CAPSTAN_TRY(AddExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  }
  if (std::string alt = AltNames(spec); !alt.empty()) {
    CAPSTAN_TRY(AddExtension(cert.get(), &ctx, NID_subject_alt_name, alt));
  }
  if (X509_sign(cert.get(), issuer_key ? issuer_key.get() : key.get(), EVP_sha256()) == 0) {
    return SslFail("signing the certificate");
  }

  CertAndKey out;
  BioPtr cb(BIO_new(BIO_s_mem()));
  if (!cb || PEM_write_bio_X509(cb.get(), cert.get()) != 1) {
    return SslFail("writing the certificate");
  }
  CAPSTAN_ASSIGN_OR_RETURN(out.cert_pem, BioString(cb.get()));
  BioPtr kb(BIO_new(BIO_s_mem()));
  if (!kb ||
      PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return SslFail("writing the key");
  }
  CAPSTAN_ASSIGN_OR_RETURN(out.key_pem, BioString(kb.get()));
  return out;
}

Result<ServingCertFiles> EnsureServingCertificate(const std::string& tls_cert_file,
                                                  const std::string& tls_private_key_file,
                                                  const std::string& pki_dir,
                                                  const std::string& host_name) {
  if (!tls_cert_file.empty() || !tls_private_key_file.empty()) {
    if (tls_cert_file.empty() || tls_private_key_file.empty()) {
      return Fail(Code::kInvalidArgument,
                  "tlsCertFile and tlsPrivateKeyFile must be given together");
    }
    for (const auto& f : {tls_cert_file, tls_private_key_file}) {
      if (!PathExists(f)) {
        return Fail(Code::kNotFound, "TLS file {} does not exist", f);
      }
    }
    return ServingCertFiles{tls_cert_file, tls_private_key_file};
  }
  ServingCertFiles files{pki_dir + "/kubelet.crt", pki_dir + "/kubelet.key"};
  if (PathExists(files.cert_file) && PathExists(files.key_file)) {
    return files;
  }
  CAPSTAN_TRY_WRAP(MkdirAll(pki_dir, 0755), "creating {}", pki_dir);
  CertificateSpec spec;
  spec.common_name = fmt::format("{}@{}", host_name, std::time(nullptr));
  (IsIp(host_name) ? spec.ip_addresses : spec.dns_names).push_back(host_name);
  spec.server_auth = true;
  CAPSTAN_ASSIGN_OR_RETURN(auto pair, IssueCertificate(spec));
  // The key first: a crash in between leaves no certificate, so the next start makes both.
  CAPSTAN_TRY_WRAP(WriteFileAtomic(files.key_file, pair.key_pem, 0600), "writing {}",
                   files.key_file);
  CAPSTAN_TRY_WRAP(WriteFileAtomic(files.cert_file, pair.cert_pem, 0644), "writing {}",
                   files.cert_file);
  kLog.Info("generated a self-signed serving certificate",
            {{"cert", files.cert_file}, {"host", host_name}});
  return files;
}

}  // namespace capstan::kubelet::server
