#pragma once
// Server: capstan-server put together. Opens the store, makes or loads the cluster PKI,
// writes the admin kubeconfig, creates what every cluster has (the four namespaces, the
// `kubernetes` Service), and serves the API over HTTPS until stopped.

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"

namespace capstan::control_plane::apiserver {

struct ServerOptions {
  std::string data_dir = "/var/lib/capstan/server";
  std::string bind_address = "0.0.0.0";
  int port = 6443;  // 0: any free port (tests)
  // The address clients and the kubeconfig use; empty: 127.0.0.1 (or the bind address).
  std::string advertise_address;
  std::vector<std::string> extra_sans;  // more names and IPs for the serving certificate
  std::string service_cidr = "10.43.0.0/16";
  // SQLite history kept for watches: revisions older than this many are compacted.
  int64_t compact_keep_revisions = 1000;
  std::chrono::seconds compact_interval{300};
  // Run the scheduler in this process (k3s's --disable-scheduler turns it off).
  bool scheduler = true;
  // Run the workload controllers here (ReplicaSet, Deployment, ...).
  bool controllers = true;
  // How long a node may go without renewing its lease before it is marked Unknown
  // (kube-controller-manager's --node-monitor-grace-period).
  std::chrono::seconds node_monitor_grace_period{40};
  // How often kubelets' resource metrics are scraped for metrics.k8s.io (kubectl top).
  std::chrono::milliseconds metrics_interval{std::chrono::seconds(15)};
};

class Server {
 public:
  static Result<std::unique_ptr<Server>> Start(const ServerOptions& options);
  ~Server();
  int port() const;
  std::string kubeconfig_path() const;
  void Stop();

  struct Parts;

 private:
  explicit Server(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace capstan::control_plane::apiserver
