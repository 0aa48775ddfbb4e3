#pragma once
// Kubeconfig files: writing the one-cluster, one-user files capstan hands out (embedded
// certificate data, mode 0600) and reading the current context of any kubeconfig (embedded
// data or file paths relative to the kubeconfig, client certificates or a token).

#include <string>

#include "common/error.h"

namespace capstan::pki {

struct KubeconfigSpec {
  std::string cluster_name = "capstan";
  std::string server;  // https://host:port
  std::string ca_pem;
  std::string user_name = "admin";
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;
};

Status WriteKubeconfig(const std::string& path, const KubeconfigSpec& spec);

// The current context's cluster and user (CA, certificate and key loaded as PEM).
struct Kubeconfig {
  std::string server;
  std::string ca_pem;
  bool insecure_skip_tls_verify = false;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;
};
Result<Kubeconfig> ReadKubeconfig(const std::string& path);

}  // namespace capstan::pki
