#pragma once
// The `capstan` commands: up (this machine becomes a cluster: capstan-server, capstan-cri
// with the default pod network, capstan-kubelet joined with a join token), down (stops them
// and leaves no pods, network devices or cgroups behind; the stored cluster stays), join
// (this machine becomes a node of another cluster), token create, kubeconfig.

#include <chrono>
#include <string>
#include <vector>

namespace capstan::cli {

struct NodeOptions {
  std::string data_dir = "/var/lib/capstan";
  std::string run_dir = "/run/capstan";
  std::string node_name;  // empty: the host name
  std::string node_ip;    // empty: the kubelet picks one
  std::string manifests = "/etc/kubernetes/manifests";
  int kubelet_port = 10250;
  int kubelet_healthz_port = 10248;
  std::vector<std::string> insecure_registries;  // plain-http registries, e.g. 127.0.0.1:5000
  // A KubeletConfiguration (YAML or JSON) whose fields the node's kubelet gets (evictionHard,
  // maxPods, ...); port, healthzPort and staticPodPath stay capstan's. Empty: none.
  std::string kubelet_config;
  std::chrono::seconds timeout{120};
};

struct UpOptions : NodeOptions {
  int port = 6443;
  std::string bind_address = "0.0.0.0";
  std::string advertise_address;  // empty: 127.0.0.1
};

struct JoinOptions : NodeOptions {
  std::string server;  // https://host:6443
  std::string token;
  std::string ca_file;
};

int Up(const UpOptions& options);
int Join(const JoinOptions& options);
int Down(const NodeOptions& options);
int TokenCreate(const std::string& data_dir, std::chrono::hours ttl);
int Kubeconfig(const std::string& data_dir);

}  // namespace capstan::cli
