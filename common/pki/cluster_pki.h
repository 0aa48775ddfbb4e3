#pragma once
// The cluster's PKI under one directory, made on first start and renewed when due:
//
//   ca.crt ca.key          the cluster CA (10 years)
//   server.crt server.key  the API server's serving certificate (1 year; every name and IP it
//                          answers on, kubernetes.default.svc... included)
//   admin.crt admin.key    the admin client certificate (CN kubernetes-admin,
//                          O system:masters; 1 year)
//   apiserver-kubelet-client.crt/.key
//                          the API server's client certificate towards kubelets (CN
//                          kube-apiserver-kubelet-client; 1 year)
//   sa.key sa.pub          the service-account token signing key (RSA 2048)
//
// Later starts reuse what is there. A leaf expiring within 90 days (or no longer signed by
// the CA, or a serving certificate missing a requested name) is issued anew with the same CA;
// a CA within 90 days of expiry is replaced, and every leaf with it. Keys are written before
// certificates, mode 0600, atomically: a crash leaves a pair that the next start completes.

#include <string>
#include <vector>

#include "common/error.h"
#include "common/time.h"

namespace capstan::pki {

struct ClusterPkiOptions {
  std::vector<std::string> server_names;  // DNS names beyond the kubernetes.default ones
  std::vector<std::string> server_ips;
  std::chrono::hours renew_before{24 * 90};
};

struct ClusterPki {
  std::string dir;
  std::string ca_cert_file, ca_key_file;
  std::string server_cert_file, server_key_file;
  std::string admin_cert_file, admin_key_file;
  std::string kubelet_client_cert_file, kubelet_client_key_file;
  std::string sa_key_file, sa_pub_file;
  std::string ca_cert_pem, ca_key_pem;
  std::string admin_cert_pem, admin_key_pem;
  std::string kubelet_client_cert_pem, kubelet_client_key_pem;
  std::string sa_key_pem, sa_pub_pem;
  std::vector<std::string> renewed;  // which files were (re)issued by this call
};

Result<ClusterPki> EnsureClusterPki(const std::string& dir, const ClusterPkiOptions& options,
                                    WallTime now);

}  // namespace capstan::pki
