#include "common/pki/csr.h"

#include <arpa/inet.h>
#include <openssl/x509.h>

#include <fmt/format.h>

#include "common/pki/openssl_util.h"

namespace capstan::pki {

using namespace internal;

namespace {

using ReqPtr = std::unique_ptr<X509_REQ, Deleter<X509_REQ, X509_REQ_free>>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;
using ExtsPtr = std::unique_ptr<STACK_OF(X509_EXTENSION), void (*)(STACK_OF(X509_EXTENSION)*)>;

void FreeExtensions(STACK_OF(X509_EXTENSION) * exts) {
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}

Result<ReqPtr> ReadRequest(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  ReqPtr req(bio ? PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!req) return Fail(Code::kInvalidArgument, "not a PEM certificate request");
  return req;
}

std::string IpText(const ASN1_OCTET_STRING* ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  int len = ASN1_STRING_length(ip);
  const unsigned char* data = ASN1_STRING_get0_data(ip);
  if (len == 4) inet_ntop(AF_INET, data, buf, sizeof(buf));
  if (len == 16) inet_ntop(AF_INET6, data, buf, sizeof(buf));
  return buf;
}

}  // namespace

Result<RequestAndKey> CreateCertificateRequest(const CertificateSpec& spec) {
  KeyPtr key(EVP_EC_gen("P-256"));
  ReqPtr req(X509_REQ_new());
  if (!key || !req) return SslFail("new certificate request");
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  auto add_name = [&](const char* field, const std::string& v) {
    return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(v.c_str()), -1, -1,
                                      0) == 1;
  };
  for (const auto& o : spec.organizations) {
    if (!add_name("O", o)) return SslFail("request organization");
  }
  if (!add_name("CN", spec.common_name)) return SslFail("request common name");
  std::string alt;
  for (const auto& d : spec.dns_names) alt += (alt.empty() ? "DNS:" : ",DNS:") + d;
  for (const auto& ip : spec.ip_addresses) alt += (alt.empty() ? "IP:" : ",IP:") + ip;
  if (!alt.empty()) {
    ExtsPtr exts(sk_X509_EXTENSION_new_null(), FreeExtensions);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, alt.c_str());
    if (!exts || !ext || sk_X509_EXTENSION_push(exts.get(), ext) == 0) {
      return SslFail("request names");
    }
    if (X509_REQ_add_extensions(req.get(), exts.get()) != 1) return SslFail("request names");
  }
  if (X509_REQ_set_pubkey(req.get(), key.get()) != 1 ||
      X509_REQ_sign(req.get(), key.get(), EVP_sha256()) == 0) {
    return SslFail("signing the request");
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1) {
    return SslFail("writing the request");
  }
  RequestAndKey out;
  CAPSTAN_ASSIGN_OR_RETURN(out.request_pem, BioString(bio.get()));
  CAPSTAN_ASSIGN_OR_RETURN(out.key_pem, PrivateKeyPem(key.get()));
  return out;
}

Result<CertificateRequestInfo> ParseCertificateRequest(const std::string& pem) {
  CAPSTAN_ASSIGN_OR_RETURN(ReqPtr req, ReadRequest(pem));
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr || X509_REQ_verify(req.get(), key) != 1) {
    return Fail(Code::kInvalidArgument, "the certificate request's signature does not verify");
  }
  CertificateRequestInfo info;
  const X509_NAME* name = X509_REQ_get_subject_name(req.get());
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(e);
    std::string value(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                      static_cast<size_t>(ASN1_STRING_length(data)));
    if (nid == NID_commonName) info.common_name = value;
    if (nid == NID_organizationName) info.organizations.push_back(value);
  }
  ExtsPtr exts(X509_REQ_get_extensions(req.get()), FreeExtensions);
  if (!exts) return info;
  NamesPtr names(static_cast<GENERAL_NAMES*>(
      X509V3_get_d2i(exts.get(), NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
    if (n->type == GEN_DNS) {
      info.dns_names.emplace_back(
          reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName)),
          static_cast<size_t>(ASN1_STRING_length(n->d.dNSName)));
    } else if (n->type == GEN_IPADD) {
      info.ip_addresses.push_back(IpText(n->d.iPAddress));
    } else {
      info.has_other_names = true;
    }
  }
  return info;
}

Result<std::string> SignCertificateRequest(const std::string& request_pem,
                                           const CertificateSpec& spec, const CertAndKey& issuer) {
  CAPSTAN_TRY(ParseCertificateRequest(request_pem));  // the signature must verify
  CAPSTAN_ASSIGN_OR_RETURN(ReqPtr req, ReadRequest(request_pem));
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr) return Fail(Code::kInvalidArgument, "the certificate request has no key");
  return SignPublicKey(spec, key, &issuer);
}

}  // namespace capstan::pki
