// capstan: one machine becomes a Kubernetes cluster (`capstan up`), or a node of one
// (`capstan join`). See README.md, "The capstan command".

#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include "cli/cluster.h"
#include "cli/images.h"
#include "common/log.h"
#include "common/stop_signals.h"

namespace {

void NodeFlags(CLI::App* cmd, capstan::cli::NodeOptions& o) {
  cmd->add_option("--data-dir", o.data_dir, "where capstan keeps its state (/var/lib/capstan)");
  cmd->add_option("--run-dir", o.run_dir, "runtime state and sockets (/run/capstan)");
  cmd->add_option("--node-name", o.node_name, "this node's name (default: the host name)");
  cmd->add_option("--node-ip", o.node_ip, "this node's IP (default: the kubelet's choice)");
  cmd->add_option("--manifests", o.manifests, "static pod manifests (/etc/kubernetes/manifests)");
  cmd->add_option("--kubelet-port", o.kubelet_port, "the kubelet API's port (10250)");
  cmd->add_option("--kubelet-healthz-port", o.kubelet_healthz_port,
                  "the kubelet's healthz port (10248)");
  cmd->add_option("--kubelet-config", o.kubelet_config,
                  "KubeletConfiguration fields for this node's kubelet (YAML or JSON file)");
  cmd->add_option("--insecure-registry", o.insecure_registries,
                  "a registry reached over plain http, e.g. 127.0.0.1:5000 (repeatable)");
  int timeout = static_cast<int>(o.timeout.count());
  cmd->add_option_function<int>(
      "--timeout", [&o](int s) { o.timeout = std::chrono::seconds(s); },
      fmt::format("seconds to wait for each step ({})", timeout));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"capstan: a Kubernetes node, and a cluster on one machine"};
  app.require_subcommand(1);

  capstan::cli::UpOptions up;
  auto* up_cmd = app.add_subcommand("up", "make this machine a cluster (server, runtime, kubelet)");
  NodeFlags(up_cmd, up);
  up_cmd->add_option("--port", up.port, "the API server's port (6443)");
  up_cmd->add_option("--bind-address", up.bind_address, "the API server's address (0.0.0.0)");
  up_cmd->add_option("--advertise-address", up.advertise_address,
                     "the address in kubeconfigs (127.0.0.1)");

  capstan::cli::NodeOptions down;
  auto* down_cmd = app.add_subcommand("down", "stop everything; the cluster's objects stay");
  NodeFlags(down_cmd, down);

  capstan::cli::JoinOptions join;
  auto* join_cmd = app.add_subcommand("join", "make this machine a node of a cluster");
  NodeFlags(join_cmd, join);
  join_cmd->add_option("server", join.server, "the API server, https://host:6443")->required();
  join_cmd->add_option("--token", join.token, "a join token (capstan token create)")->required();
  join_cmd->add_option("--ca-file", join.ca_file, "the cluster's CA certificate")->required();

  std::string data_dir = "/var/lib/capstan";
  int ttl_hours = 24;
  auto* token_cmd = app.add_subcommand("token", "join tokens");
  token_cmd->require_subcommand(1);
  auto* token_create = token_cmd->add_subcommand("create", "a join token for another node");
  token_create->add_option("--data-dir", data_dir, "capstan's state (/var/lib/capstan)");
  token_create->add_option("--ttl-hours", ttl_hours, "hours the token is valid (24)");

  auto* kubeconfig_cmd = app.add_subcommand("kubeconfig", "where the admin kubeconfig is");
  kubeconfig_cmd->add_option("--data-dir", data_dir, "capstan's state (/var/lib/capstan)");

  capstan::cli::ImageImportOptions import;
  auto* image_cmd = app.add_subcommand("image", "images in this node's runtime");
  image_cmd->require_subcommand(1);
  auto* image_import = image_cmd->add_subcommand(
      "import", "import image tarballs (OCI layout or docker-archive) for air-gapped nodes");
  image_import->add_option("paths", import.paths, "tarballs, or directories of them")->required();
  image_import->add_option("--data-dir", import.data_dir, "capstan's state (/var/lib/capstan)");

  app.add_subcommand("version", "capstan's version");
  CLI11_PARSE(app, argc, argv);

  capstan::log::SetLevel(capstan::log::Level::kWarn);
  if (up_cmd->parsed()) return capstan::cli::Up(up);
  if (down_cmd->parsed()) return capstan::cli::Down(down);
  if (join_cmd->parsed()) return capstan::cli::Join(join);
  if (token_create->parsed()) {
    return capstan::cli::TokenCreate(data_dir, std::chrono::hours(ttl_hours));
  }
  if (kubeconfig_cmd->parsed()) return capstan::cli::Kubeconfig(data_dir);
  if (image_import->parsed()) return capstan::cli::ImportImages(import);
  fmt::print("capstan v0.1.0 (Kubernetes v1.31.0)\n");
  return 0;
}
