#include "kubelet/server/certs.h"

#include <arpa/inet.h>

#include <ctime>

#include "common/file.h"
#include "common/log.h"

namespace capstan::kubelet::server {

namespace {

const log::Logger kLog("kubelet-server");

bool IsIp(const std::string& s) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

}  // namespace

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
