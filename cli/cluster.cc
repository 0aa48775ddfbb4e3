#include "cli/cluster.h"

#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include <fmt/format.h>

#include <filesystem>
#include <thread>

#include "api/cri/grpc_client.h"
#include "api/k8s/bootstrap_token.h"
#include "api/k8s/client/rest_api_client.h"
#include "api/k8s/yaml.h"
#include "cli/daemons.h"
#include "cli/progress.h"
#include "common/file.h"
#include "common/mount_table.h"
#include "common/pki/base64.h"
#include "common/pki/kubeconfig.h"
#include "common/process.h"

namespace capstan::cli {
namespace {

namespace fs = std::filesystem;
using api::k8s::client::Json;
using api::k8s::client::RestApiClient;
namespace res = api::k8s::client::resources;

constexpr char kHostpathDriver[] = "hostpath.csi.capstan.io";

std::string NodeName(const NodeOptions& o) {
  if (!o.node_name.empty()) return o.node_name;
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  std::string name = host;
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string CriEndpoint(const NodeOptions& o) { return "unix://" + o.run_dir + "/cri.sock"; }

// Polls `ready` until it holds or the options' timeout passes, keeping the clock moving.
bool WaitFor(Progress& p, const NodeOptions& o, const std::function<bool()>& ready) {
  auto deadline = std::chrono::steady_clock::now() + o.timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    p.Tick();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

bool NodeReady(api::k8s::client::ApiClient* api, const std::string& node) {
  auto n = api->Get(res::kNodes, "", node);
  if (!n) return false;
  for (const auto& c : (*n)["status"].value("conditions", Json::array())) {
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

// capstan-cri with capstan's CNI plugins and the default pod network, all under the data dir.
Status StartRuntime(Daemons& daemons, const NodeOptions& o, Progress& p) {
  std::string bin = ProgramDir();
  std::string cni = o.data_dir + "/cni";
  CAPSTAN_TRY(MkdirAll(cni + "/bin", 0755));
  CAPSTAN_TRY(MkdirAll(cni + "/net.d", 0755));
  for (const char* plugin : {"bridge", "host-local", "loopback", "portmap"}) {
    std::string link = cni + "/bin/" + plugin;
    std::error_code ec;
    fs::remove(link, ec);
    fs::create_symlink(bin + "/cni/capstan-cni", link, ec);
    if (ec) return Fail(Code::kInternal, "linking {}: {}", link, ec.message());
  }
  std::string registries;
  for (const auto& r : o.insecure_registries) registries += (registries.empty() ? "" : ", ") + r;
  std::string config = fmt::format(
      "root: {0}/cri\nstate: {1}/cri\nlisten: {2}\n"
      "cni: {{conf_dir: {3}/net.d, bin_dirs: [{3}/bin], cache_dir: {0}/cni/cache}}\n"
      "registry:\n  insecure: [{4}]\n",
      o.data_dir, o.run_dir, CriEndpoint(o), cni, registries);
  std::string config_file = o.data_dir + "/cri.yaml";
  CAPSTAN_TRY(WriteFileAtomic(config_file, config, 0600));
  SpawnOptions write_cni{
      {bin + "/capstan-cri", "--config", config_file, "--write-default-cni-config"}};
  auto wrote = RunCommand(write_cni, std::chrono::seconds(30));
  if (!wrote || wrote->exit_code != 0) {
    return Fail(Code::kInternal, "writing the default pod network: {}",
                wrote ? wrote->err : wrote.error().message());
  }
  p.Step("starting the container runtime (capstan-cri)");
  CAPSTAN_TRY(MkdirAll(o.run_dir, 0711));
  CAPSTAN_TRY(daemons.Start({"cri", {bin + "/capstan-cri", "--config", config_file}}));
  auto cri = api::cri::GrpcCriClient::Connect(CriEndpoint(o));
  if (!cri) return std::unexpected(cri.error());
  bool up =
      WaitFor(p, o, [&] { return (*cri)->Version(api::cri::v1::VersionRequest()).has_value(); });
  if (!up)
    return Fail(Code::kDeadlineExceeded, "capstan-cri does not answer:{}", daemons.LogTail("cri"));
  return Ok();
}

// The kubelet's configuration: the user's --kubelet-config fields, with the ports and the
// manifest directory capstan's flags chose (JSON, which the kubelet reads as YAML does).
Result<std::string> KubeletConfig(const NodeOptions& o) {
  api::k8s::Json config = api::k8s::Json::object();
  if (!o.kubelet_config.empty()) {
    CAPSTAN_ASSIGN_OR_RETURN(std::string text, ReadFile(o.kubelet_config));
    auto parsed = api::k8s::ParseJsonOrYaml(text);
    if (!parsed || !parsed->is_object()) {
      return Fail(Code::kInvalidArgument, "--kubelet-config {}: not a YAML or JSON object{}",
                  o.kubelet_config, parsed ? "" : ": " + parsed.error().message());
    }
    config = std::move(*parsed);
  }
  config["apiVersion"] = "kubelet.config.k8s.io/v1beta1";
  config["kind"] = "KubeletConfiguration";
  config["port"] = o.kubelet_port;
  config["healthzPort"] = o.kubelet_healthz_port;
  config["staticPodPath"] = o.manifests;
  return config.dump(2);
}

// capstan-kubelet joining with `bootstrap` (a join token's kubeconfig).
Status StartKubelet(Daemons& daemons, const NodeOptions& o, Progress& p,
                    const pki::KubeconfigSpec& bootstrap) {
  std::string bin = ProgramDir();
  std::string dir = o.data_dir + "/kubelet";
  CAPSTAN_TRY(MkdirAll(dir, 0700));
  CAPSTAN_TRY(MkdirAll(o.manifests, 0755));
  CAPSTAN_TRY(pki::WriteKubeconfig(dir + "/bootstrap.kubeconfig", bootstrap));
  CAPSTAN_ASSIGN_OR_RETURN(std::string config, KubeletConfig(o));
  CAPSTAN_TRY(WriteFileAtomic(dir + "/config.yaml", config, 0600));
  std::vector<std::string> argv = {bin + "/capstan-kubelet",
                                   "--config",
                                   dir + "/config.yaml",
                                   "--container-runtime-endpoint",
                                   CriEndpoint(o),
                                   "--root-dir",
                                   dir,
                                   "--bootstrap-kubeconfig",
                                   dir + "/bootstrap.kubeconfig",
                                   "--kubeconfig",
                                   dir + "/kubelet.kubeconfig",
                                   "--hostname-override",
                                   NodeName(o)};
  if (!o.node_ip.empty()) {
    argv.push_back("--node-ip");
    argv.push_back(o.node_ip);
  }
  p.Step("starting the kubelet (capstan-kubelet)");
  CAPSTAN_TRY(daemons.Start({"kubelet", argv}));
  return Ok();
}

// capstan-csi-hostpath on this node: it registers with the kubelet through its
// plugins_registry; with `kubeconfig` it also provisions claims of its StorageClasses.
Status StartHostpathDriver(Daemons& daemons, const NodeOptions& o, Progress& p,
                           const std::string& kubeconfig) {
  std::string kubelet_dir = o.data_dir + "/kubelet";
  std::vector<std::string> argv = {
      ProgramDir() + "/capstan-csi-hostpath",
      "--endpoint",
      "unix://" + kubelet_dir + "/plugins/" + kHostpathDriver + "/csi.sock",
      "--root",
      o.data_dir + "/storage/hostpath",
      "--node-id",
      NodeName(o),
      "--registration-dir",
      kubelet_dir + "/plugins_registry"};
  if (!kubeconfig.empty()) {
    argv.push_back("--kubeconfig");
    argv.push_back(kubeconfig);
  }
  p.Step("starting the hostPath CSI driver (capstan-csi-hostpath)");
  CAPSTAN_TRY(daemons.Start({"csi-hostpath", argv}));
  return Ok();
}

// The default StorageClass, as k3s installs local-path: node-local directories, bound
// where the pod goes, deleted with their claim.
Status EnsureLocalPathClass(api::k8s::client::ApiClient* api) {
  Json sc = {{"apiVersion", "storage.k8s.io/v1"},
             {"kind", "StorageClass"},
             {"metadata",
              {{"name", "local-path"},
               {"annotations", {{"storageclass.kubernetes.io/is-default-class", "true"}}}}},
             {"provisioner", kHostpathDriver},
             {"reclaimPolicy", "Delete"},
             {"volumeBindingMode", "WaitForFirstConsumer"},
             {"allowVolumeExpansion", true}};
  auto created = api->Create(res::kStorageClasses, "", sc);
  if (!created && created.error().code() != Code::kAlreadyExists) return Fail(created.error());
  return Ok();
}

Result<std::unique_ptr<RestApiClient>> AdminClient(const std::string& data_dir) {
  return RestApiClient::FromKubeconfig(data_dir + "/server/admin.kubeconfig");
}

Result<api::k8s::BootstrapToken> CreateToken(api::k8s::client::ApiClient* api,
                                             std::chrono::seconds ttl,
                                             const std::string& description) {
  api::k8s::BootstrapToken token = api::k8s::GenerateBootstrapToken();
  auto created = api->Create(res::kSecrets, "kube-system",
                             api::k8s::BootstrapTokenSecret(token, WallNow() + ttl, description));
  if (!created) return std::unexpected(created.error());
  return token;
}

int Fails(Progress& p, const Error& e) {
  p.Failed(e.message());
  return 1;
}

}  // namespace

int Up(const UpOptions& o) {
  Progress p;
  Daemons daemons(o.data_dir);
  std::string bin = ProgramDir();
  std::string node = NodeName(o);
  fmt::print("capstan up: node {}, state in {}\n", node, o.data_dir);
  if (auto st = MkdirAll(o.data_dir, 0711); !st) return Fails(p, st.error());

  p.Step("starting the API server (capstan-server)");
  std::vector<std::string> argv = {bin + "/capstan-server", "--data-dir",   o.data_dir + "/server",
                                   "--bind-address",        o.bind_address, "--secure-port",
                                   std::to_string(o.port)};
  if (!o.advertise_address.empty()) {
    argv.push_back("--advertise-address");
    argv.push_back(o.advertise_address);
  }
  if (auto st = daemons.Start({"server", argv}); !st) return Fails(p, st.error());
  std::unique_ptr<RestApiClient> admin;
  bool ready = WaitFor(p, o, [&] {
    if (!admin) {
      auto client = AdminClient(o.data_dir);
      if (!client) return false;
      admin = std::move(*client);
    }
    return admin->List(res::kNodes, "", {}).has_value();
  });
  if (!ready) {
    return Fails(p, Error(Code::kDeadlineExceeded,
                          "capstan-server does not answer:" + daemons.LogTail("server")));
  }
  if (auto st = StartRuntime(daemons, o, p); !st) return Fails(p, st.error());

  // The kubelet joins as any node does: with a join token, through the CSR API.
  auto kubeconfig = pki::ReadKubeconfig(o.data_dir + "/server/admin.kubeconfig");
  if (!kubeconfig) return Fails(p, kubeconfig.error());
  auto token = CreateToken(admin.get(), std::chrono::hours(1), "capstan up: this node's kubelet");
  if (!token) return Fails(p, token.error());
  pki::KubeconfigSpec bootstrap;
  bootstrap.server = kubeconfig->server;
  bootstrap.ca_pem = kubeconfig->ca_pem;
  bootstrap.user_name = "kubelet-bootstrap";
  bootstrap.token = token->Text();
  if (auto st = StartKubelet(daemons, o, p, bootstrap); !st) return Fails(p, st.error());
  if (auto st = StartHostpathDriver(daemons, o, p, o.data_dir + "/server/admin.kubeconfig"); !st) {
    return Fails(p, st.error());
  }
  if (auto st = EnsureLocalPathClass(admin.get()); !st) return Fails(p, st.error());

  p.Step("waiting for node " + node + " to be Ready");
  if (!WaitFor(p, o, [&] { return NodeReady(admin.get(), node); })) {
    return Fails(p, Error(Code::kDeadlineExceeded,
                          "the node did not become Ready:" + daemons.LogTail("kubelet")));
  }
  p.Done();
  std::string kc = o.data_dir + "/server/admin.kubeconfig";
  fmt::print(
      "\ncapstan is up: node {} is Ready.\n\n"
      "  export KUBECONFIG={}\n"
      "  kubectl get nodes\n\n"
      "Logs are in {}/logs; `capstan down` stops it all and keeps the cluster's objects.\n",
      node, kc, o.data_dir);
  return 0;
}

int Join(const JoinOptions& o) {
  Progress p;
  Daemons daemons(o.data_dir);
  std::string node = NodeName(o);
  fmt::print("capstan join: node {} joins {}\n", node, o.server);
  auto ca = ReadFile(o.ca_file);
  if (!ca) return Fails(p, ca.error());
  if (auto st = MkdirAll(o.data_dir, 0711); !st) return Fails(p, st.error());
  if (auto st = StartRuntime(daemons, o, p); !st) return Fails(p, st.error());
  pki::KubeconfigSpec bootstrap;
  bootstrap.server = o.server;
  bootstrap.ca_pem = *ca;
  bootstrap.user_name = "kubelet-bootstrap";
  bootstrap.token = o.token;
  if (auto st = StartKubelet(daemons, o, p, bootstrap); !st) return Fails(p, st.error());
  // Registered for volumes made elsewhere; provisioning runs beside the control plane.
  if (auto st = StartHostpathDriver(daemons, o, p, ""); !st) return Fails(p, st.error());
  p.Step("waiting for node " + node + " to be Ready");
  std::unique_ptr<RestApiClient> self;
  bool ready = WaitFor(p, o, [&] {
    if (!self) {
      auto client = RestApiClient::FromKubeconfig(o.data_dir + "/kubelet/kubelet.kubeconfig");
      if (!client) return false;
      self = std::move(*client);
    }
    return NodeReady(self.get(), node);
  });
  if (!ready) {
    return Fails(p, Error(Code::kDeadlineExceeded,
                          "the node did not become Ready:" + daemons.LogTail("kubelet")));
  }
  p.Done();
  fmt::print("\nnode {} joined and is Ready.\n", node);
  return 0;
}

namespace {

// Unmounts every mount point below `dir`, deepest first, as k3s-killall.sh does for
// /var/lib/kubelet/pods.
Status UnmountUnder(const std::string& dir) {
  for (const auto& point : MountsUnder(dir)) {
    if (point == dir) continue;
    if (::umount2(point.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
      return Fail(Code::kInternal, "unmounting {}: {}", point, std::strerror(errno));
    }
  }
  return Ok();
}

}  // namespace

int Down(const NodeOptions& o) {
  Progress p;
  Daemons daemons(o.data_dir);
  int failures = 0;
  auto report = [&](const Status& st) {
    if (!st) {
      fmt::print(stderr, "capstan: {}\n", st.error().message());
      ++failures;
    }
  };
  p.Step("stopping the kubelet");
  report(daemons.Stop("kubelet", std::chrono::seconds(30)));
  if (daemons.Running("cri")) {
    p.Step("removing every pod (containers, network, mounts)");
    auto cri = api::cri::GrpcCriClient::Connect(CriEndpoint(o));
    if (cri) {
      auto sandboxes = (*cri)->ListPodSandbox(api::cri::v1::ListPodSandboxRequest());
      if (sandboxes) {
        for (const auto& s : sandboxes->items()) {
          api::cri::v1::StopPodSandboxRequest stop;
          stop.set_pod_sandbox_id(s.id());
          auto stopped = (*cri)->StopPodSandbox(stop);
          api::cri::v1::RemovePodSandboxRequest remove;
          remove.set_pod_sandbox_id(s.id());
          auto removed = (*cri)->RemovePodSandbox(remove);
          if (!stopped || !removed) {
            fmt::print(stderr, "capstan: removing pod {}: {}\n", s.metadata().name(),
                       !stopped ? stopped.error().message() : removed.error().message());
            ++failures;
          }
        }
      } else {
        report(std::unexpected(sandboxes.error()));
      }
    }
  }
  // The kubelet's volume mounts (secret and projected tmpfs, Memory emptyDirs), which the
  // kubelet would tear down as pods end but is no longer there to.
  report(UnmountUnder(o.data_dir + "/kubelet/pods"));
  // CSI volumes staged for those pods, then the driver that made them.
  report(UnmountUnder(o.data_dir + "/kubelet/plugins/kubernetes.io/csi"));
  report(daemons.Stop("csi-hostpath", std::chrono::seconds(10)));
  p.Step("stopping the container runtime");
  report(daemons.Stop("cri", std::chrono::seconds(15)));
  p.Step("stopping the API server");
  report(daemons.Stop("server", std::chrono::seconds(15)));
  p.Step("removing the pod network's bridge and the pods' cgroups");
  // The bridge the default pod network made (its plugin leaves it for the next pod).
  if (fs::exists("/sys/class/net/cni0")) {
    std::string ip = "/usr/sbin/ip";
    for (const char* candidate : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
      if (fs::exists(candidate)) {
        ip = candidate;
        break;
      }
    }
    auto del = RunCommand({{ip, "link", "delete", "cni0"}}, std::chrono::seconds(10));
    if (!del || del->exit_code != 0) {
      fmt::print(stderr, "capstan: removing cni0: {}\n", del ? del->err : del.error().message());
      ++failures;
    }
  }
  // The kubelet's QoS cgroups, emptied with their pods: deepest first, empty ones only.
  std::vector<fs::path> cgroups;
  std::error_code ec;
  for (const auto& root : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    for (const char* name : {"kubepods", "kubepods.slice"}) {
      fs::path top = root.path() / name;
      if (!fs::is_directory(top, ec)) {
        if (root.path().filename() == name) cgroups.push_back(root.path());
        continue;
      }
      cgroups.push_back(top);
      for (auto it = fs::recursive_directory_iterator(top, ec);
           it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_directory(ec)) cgroups.push_back(it->path());
      }
    }
  }
  std::sort(cgroups.begin(), cgroups.end(), [](const fs::path& a, const fs::path& b) {
    return a.string().size() > b.string().size();
  });
  for (const auto& cg : cgroups) ::rmdir(cg.c_str());
  p.Done();
  if (failures > 0) {
    fmt::print(stderr, "capstan down: {} step(s) failed; see above\n", failures);
    return 1;
  }
  fmt::print("capstan is down; the cluster's objects stay in {}/server.\n", o.data_dir);
  return 0;
}

int TokenCreate(const std::string& data_dir, std::chrono::hours ttl) {
  auto admin = AdminClient(data_dir);
  if (!admin) {
    fmt::print(stderr, "capstan: {} (is capstan up?)\n", admin.error().message());
    return 1;
  }
  auto token = CreateToken(admin->get(), ttl, "capstan token create");
  if (!token) {
    fmt::print(stderr, "capstan: {}\n", token.error().message());
    return 1;
  }
  auto kc = pki::ReadKubeconfig(data_dir + "/server/admin.kubeconfig");
  fmt::print("{}\n", token->Text());
  fmt::print(stderr,
             "\nOn the new node, with {}/server/pki/ca.crt copied to it:\n"
             "  capstan join {} --token {} --ca-file ca.crt\n",
             data_dir, kc ? kc->server : "https://SERVER:6443", token->Text());
  return 0;
}

int Kubeconfig(const std::string& data_dir) {
  std::string path = data_dir + "/server/admin.kubeconfig";
  if (!fs::exists(path)) {
    fmt::print(stderr, "capstan: {} does not exist (is capstan up?)\n", path);
    return 1;
  }
  fmt::print("{}\n", path);
  return 0;
}

}  // namespace capstan::cli
