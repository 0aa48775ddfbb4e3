// capstan-server: the Kubernetes API on embedded SQLite, with TLS, client certificates,
// tokens and RBAC.
#include <CLI/CLI.hpp>

#include "common/log.h"
#include "common/sd_notify.h"
#include "common/stop_signals.h"
#include "control-plane/apiserver/server.h"

int main(int argc, char** argv) {
  using namespace capstan;
  control_plane::apiserver::ServerOptions options;
  std::string log_level = "info";
  CLI::App app{"capstan-server: the Kubernetes API server of a capstan cluster"};
  app.add_option("--data-dir", options.data_dir, "state: the SQLite store, the PKI, kubeconfigs")
      ->capture_default_str();
  app.add_option("--bind-address", options.bind_address, "address to serve HTTPS on")
      ->capture_default_str();
  app.add_option("--secure-port", options.port, "port to serve HTTPS on (0: any free port)")
      ->capture_default_str();
  app.add_option("--advertise-address", options.advertise_address,
                 "address written into kubeconfigs (default 127.0.0.1)");
  app.add_option("--tls-san", options.extra_sans, "more names or IPs for the serving certificate");
  app.add_option("--service-cluster-ip-range", options.service_cidr)->capture_default_str();
  int64_t compact_seconds = options.compact_interval.count();
  app.add_option("--compact-interval", compact_seconds,
                 "seconds between compactions of the store's history (0: never)")
      ->capture_default_str();
  app.add_option("--compact-keep-revisions", options.compact_keep_revisions,
                 "revisions of history kept for watches that resume")
      ->capture_default_str();
  bool disable_scheduler = false;
  app.add_flag("--disable-scheduler", disable_scheduler,
               "do not run the scheduler here (pods wait for another one)");
  bool disable_controllers = false;
  app.add_flag("--disable-controller-manager", disable_controllers,
               "do not run the workload controllers here");
  int64_t grace_seconds = options.node_monitor_grace_period.count();
  app.add_option("--node-monitor-grace-period", grace_seconds,
                 "seconds a node may go without renewing its lease before it is marked Unknown")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--log-level", log_level, "debug, info, warn, error")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  options.compact_interval = std::chrono::seconds(compact_seconds);
  options.node_monitor_grace_period = std::chrono::seconds(grace_seconds);
  options.scheduler = !disable_scheduler;
  options.controllers = !disable_controllers;
  log::SetLevel(log::ParseLevel(log_level));
  BlockStopSignals();

  auto server = control_plane::apiserver::Server::Start(options);
  if (!server) {
    std::fprintf(stderr, "capstan-server: %s\n", server.error().message().c_str());
    return 1;
  }
  log::Logger("server").Info(
      "serving", {{"port", (*server)->port()}, {"kubeconfig", (*server)->kubeconfig_path()}});
  NotifyReady("serving the Kubernetes API");
  WaitForStopSignal();
  NotifyStopping();
  (*server)->Stop();
  return 0;
}
