#include "common/pki/certs.h"

#include <arpa/inet.h>

#include <fmt/format.h>

#include "common/pki/openssl_util.h"

namespace capstan::pki {

using namespace internal;

namespace {

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

}  // namespace

Result<std::string> SignPublicKey(const CertificateSpec& spec, EVP_PKEY* subject_key,
                                  const CertAndKey* issuer) {
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
  if (X509_set_pubkey(cert.get(), subject_key) != 1) {
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
  EVP_PKEY* signer = issuer_key ? issuer_key.get() : subject_key;
  if (X509_sign(cert.get(), signer, EVP_sha256()) == 0) {
    return SslFail("signing the certificate");
  }
  return CertPem(cert.get());
}

Result<CertAndKey> IssueCertificate(const CertificateSpec& spec, const CertAndKey* issuer) {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) {
    return SslFail("generating a key");
  }
  CertAndKey out;
  CAPSTAN_ASSIGN_OR_RETURN(out.cert_pem, SignPublicKey(spec, key.get(), issuer));
  CAPSTAN_ASSIGN_OR_RETURN(out.key_pem, PrivateKeyPem(key.get()));
  return out;
}

namespace {

WallTime AsnTime(const ASN1_TIME* t) {
  struct tm tm {};
  ASN1_TIME_to_tm(t, &tm);
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

Result<CertificateInfo> ParseCertificate(const std::string& pem) {
  CAPSTAN_ASSIGN_OR_RETURN(auto cert, ReadCert(pem));
  CertificateInfo info;
  X509_NAME* subject = X509_get_subject_name(cert.get());
  for (int i = 0; i < X509_NAME_entry_count(subject); ++i) {
    X509_NAME_ENTRY* e = X509_NAME_get_entry(subject, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    unsigned char* text = nullptr;
    int n = ASN1_STRING_to_UTF8(&text, X509_NAME_ENTRY_get_data(e));
    if (n < 0) continue;
    std::string value(reinterpret_cast<char*>(text), n);
    OPENSSL_free(text);
    if (nid == NID_commonName) info.common_name = value;
    if (nid == NID_organizationName) info.organizations.push_back(value);
  }
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
    if (g->type == GEN_DNS) {
      const ASN1_STRING* s = g->d.dNSName;
      info.dns_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                  ASN1_STRING_length(s));
    } else if (g->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* s = g->d.iPAddress;
      char buf[INET6_ADDRSTRLEN] = {};
      int family = ASN1_STRING_length(s) == 4 ? AF_INET : AF_INET6;
      ::inet_ntop(family, ASN1_STRING_get0_data(s), buf, sizeof(buf));
      info.ip_addresses.push_back(buf);
    }
  }
  GENERAL_NAMES_free(names);
  info.not_before = AsnTime(X509_get0_notBefore(cert.get()));
  info.not_after = AsnTime(X509_get0_notAfter(cert.get()));
  info.is_ca = X509_check_ca(cert.get()) > 0;
  return info;
}

bool VerifiedBy(const std::string& cert_pem, const std::string& ca_pem) {
  auto cert = ReadCert(cert_pem);
  auto ca = ReadCert(ca_pem);
  if (!cert || !ca) return false;
  std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>> store(X509_STORE_new());
  std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>> ctx(
      X509_STORE_CTX_new());
  X509_STORE_add_cert(store.get(), ca->get());
  X509_STORE_CTX_init(ctx.get(), store.get(), cert->get(), nullptr);
  bool ok = X509_verify_cert(ctx.get()) == 1;
  ERR_clear_error();
  return ok;
}

}  // namespace capstan::pki
