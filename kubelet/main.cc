// capstan-kubelet: runs the pods of this node over CRI (static pods from staticPodPath).
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/sysinfo.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "api/cri/grpc_client.h"
#include "api/k8s/client/reflector.h"
#include "api/k8s/client/rest_api_client.h"
#include "cadvisor-lite/cgroup_reader.h"
#include "cadvisor-lite/host_reader.h"
#include "common/file.h"
#include "common/log.h"
#include "common/pki/base64.h"
#include "common/pki/kubeconfig.h"
#include "common/sd_notify.h"
#include "common/stop_signals.h"
#include "kubelet/cluster_join.h"
#include "kubelet/config/flags.h"
#include "kubelet/events/api_recorder.h"
#include "kubelet/eviction/eviction_manager.h"
#include "kubelet/kubelet.h"
#include "kubelet/kubelet_server_host.h"
#include "kubelet/lifecycle/admission.h"
#include "kubelet/mirror/mirror_pods.h"
#include "kubelet/nodestatus/node_facts.h"
#include "kubelet/nodestatus/node_reporter.h"
#include "kubelet/prober/grpc_health.h"
#include "kubelet/sar_authorizer.h"
#include "kubelet/server/server.h"
#include "kubelet/sources/api/api_source.h"
#include "kubelet/sources/file/file_source.h"
#include "kubelet/stats/summary_provider.h"
#include "kubelet/status/api_status_reporter.h"
#include "kubelet/token/token_manager.h"
#include "kubelet/volumes/csi_node.h"
#include "kubelet/volumes/plugin_watcher.h"

namespace {

using namespace capstan;
const log::Logger kLog("kubelet");

int64_t MemoryCapacity() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  int64_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit) {
    if (key == "MemTotal:") {
      return kb * 1024;
    }
  }
  return 0;
}

// When the machine booted: the node's startTime in the stats summary, as cAdvisor gives it.
WallTime BootTime(const Clock& clock) {
  struct sysinfo info {};
  if (::sysinfo(&info) != 0) {
    return clock.Now();
  }
  return std::chrono::floor<std::chrono::seconds>(clock.Now() - std::chrono::seconds(info.uptime));
}

// The first global IPv4 address, as upstream picks the node IP when none is given.
std::string DefaultNodeIp() {
  ifaddrs* addrs = nullptr;
  if (::getifaddrs(&addrs) != 0) {
    return "";
  }
  std::string found;
  for (ifaddrs* a = addrs; a && found.empty(); a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET) {
      continue;
    }
    auto* sin = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
    char buf[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));
    if (std::string(buf).rfind("127.", 0) != 0) {
      found = buf;
    }
  }
  ::freeifaddrs(addrs);
  return found;
}

// The kubelet's pods that came from `sources` (the config.source annotation).
std::vector<api::k8s::Pod> PodsFrom(const kubelet::Kubelet& k,
                                    std::initializer_list<std::string_view> sources) {
  std::vector<api::k8s::Pod> out;
  for (auto& pod : k.GetPods()) {
    auto source = pod.metadata.annotations.find(kubelet::sources::kConfigSourceAnnotation);
    if (source == pod.metadata.annotations.end()) continue;
    for (std::string_view wanted : sources) {
      if (source->second == wanted) {
        out.push_back(std::move(pod));
        break;
      }
    }
  }
  return out;
}

int Run(const kubelet::config::KubeletFlags& flags) {
  auto cfg = kubelet::config::ResolveConfiguration(flags);
  if (!cfg) {
    std::fprintf(stderr, "capstan-kubelet: %s\n", cfg.error().message().c_str());
    return 2;
  }
  api::cri::GrpcClientOptions client_opts;
  client_opts.timeout = cfg->runtime_request_timeout;
  auto cri = api::cri::GrpcCriClient::Connect(cfg->container_runtime_endpoint, client_opts);
  if (!cri) {
    std::fprintf(stderr, "capstan-kubelet: %s\n", cri.error().message().c_str());
    return 2;
  }
  // The API's own CRI calls (a followed log asking whether its container still runs) get a
  // short deadline: a hung runtime must not hold the server's workers for minutes.
  api::cri::GrpcClientOptions api_client_opts;
  api_client_opts.timeout =
      std::min<std::chrono::milliseconds>(cfg->runtime_request_timeout, std::chrono::seconds(10));
  auto api_cri = api::cri::GrpcCriClient::Connect(cfg->container_runtime_endpoint, api_client_opts);
  if (!api_cri) {
    std::fprintf(stderr, "capstan-kubelet: %s\n", api_cri.error().message().c_str());
    return 2;
  }
  RealClock clock;
  // Pod syncs and probes block on the runtime; separate pools keep slow probes (exec with
  // long timeouts) from holding up pod syncs.
  auto executor = std::make_unique<kubelet::util::ThreadPoolExecutor>(8);
  auto probe_executor = std::make_unique<kubelet::util::ThreadPoolExecutor>(4);
  // Log rotation (and its fast-logger checks), log compression, container GC and image GC: a
  // thread each, so a slow image removal or a large compression never holds up the log size
  // checks.
  auto gc_executor = std::make_unique<kubelet::util::ThreadPoolExecutor>(5);
  kubelet::sources::PodConfig pod_config;
  kubelet::util::ProbeHttpGetter http;
  kubelet::prober::GrpcHealthClient grpc_health;
  auto mounter = kubelet::volumes::NewSystemMounter();

  kubelet::KubeletOptions opts;
  opts.config = *cfg;
  opts.node_name = kubelet::config::NodeName(flags);
  opts.node_ip = flags.node_ip.empty() ? DefaultNodeIp() : flags.node_ip;
  opts.root_dir = flags.root_dir;
  // Container events when the runtime has them; relisting every second when it does not.
  opts.evented_pleg = true;
  opts.memory_capacity_bytes = MemoryCapacity();
  if (auto resolv = ReadFile(cfg->resolv_conf)) {
    opts.host_dns = kubelet::kuberuntime::ParseResolvConf(*resolv);
  }
  kubelet::KubeletDeps deps;
  deps.clock = &clock;
  deps.runtime = cri->get();
  deps.images = cri->get();
  deps.executor = executor.get();
  deps.probe_executor = probe_executor.get();
  deps.gc_executor = gc_executor.get();
  deps.pod_config = &pod_config;
  deps.mounter = mounter.get();
  deps.http = &http;
  deps.grpc = &grpc_health;
  // The kubepods hierarchy: QoS parents and pod cgroups with pod-level limits.
  std::unique_ptr<kubelet::cm::CgroupManager> cgroups;
  if (cfg->cgroups_per_qos) {
    auto m = kubelet::cm::NewCgroupfsManager("/sys/fs/cgroup");
    if (!m) {
      kLog.Error("cgroups", {{"error", m.error().message()}});
      return 1;
    }
    cgroups = std::move(*m);
  }
  deps.cgroups = cgroups.get();
  // CSI drivers announce themselves by a socket in <root>/plugins_registry.
  kubelet::volumes::CsiRegistry csi_registry;
  deps.csi_registry = &csi_registry;

  if (auto st = MkdirAll(flags.root_dir, 0750); !st) {
    kLog.Error("root dir", {{"error", st.error().message()}});
    return 1;
  }
  // A node of a cluster: its API client, its serving certificate from the cluster's CA, the
  // cluster CA as the client CA of its API, and SubjectAccessReviews to authorize.
  std::unique_ptr<api::k8s::client::RestApiClient> api;
  std::unique_ptr<kubelet::SubjectAccessReviewAuthorizer> sar;
  std::unique_ptr<kubelet::events::ApiEventRecorder> recorder;
  std::unique_ptr<kubelet::token::TokenManager> tokens;
  std::unique_ptr<api::k8s::client::Reflector> node_reflector;
  std::function<Result<bool>()> renew_serving;
  if (!flags.kubeconfig.empty()) {
    auto joined = kubelet::JoinCluster(flags, opts, *cfg, &clock);
    if (!joined) {
      kLog.Error("joining the cluster", {{"error", joined.error().message()}});
      return 2;
    }
    api = std::move(joined->api);
    renew_serving = std::move(joined->renew_serving);
    sar = std::make_unique<kubelet::SubjectAccessReviewAuthorizer>(api.get(), &clock);
    recorder =
        std::make_unique<kubelet::events::ApiEventRecorder>(api.get(), opts.node_name, &clock);
    deps.recorder = recorder.get();
    api::k8s::client::ApiClient* reader = api.get();
    deps.object_data = [reader](
                           const std::string& kind, const std::string& ns,
                           const std::string& name) -> Result<std::map<std::string, std::string>> {
      bool secret = kind == "Secret";
      CAPSTAN_ASSIGN_OR_RETURN(auto obj,
                               reader->Get(secret ? api::k8s::client::resources::kSecrets
                                                  : api::k8s::client::resources::kConfigMaps,
                                           ns, name));
      // Secret data and ConfigMap binaryData are base64; ConfigMap data is text.
      std::map<std::string, std::string> out;
      const api::k8s::client::Json data = obj.value("data", api::k8s::client::Json::object());
      for (const auto& [k, v] : data.items()) {
        if (!v.is_string()) continue;
        out[k] =
            secret ? pki::Base64Decode(v.get<std::string>()).value_or("") : v.get<std::string>();
      }
      const api::k8s::client::Json binary =
          secret ? api::k8s::client::Json::object()
                 : obj.value("binaryData", api::k8s::client::Json::object());
      for (const auto& [k, v] : binary.items()) {
        if (v.is_string()) out[k] = pki::Base64Decode(v.get<std::string>()).value_or("");
      }
      return out;
    };
    deps.api_object = [reader](const std::string& kind, const std::string& ns,
                               const std::string& name) -> Result<api::k8s::client::Json> {
      namespace r = api::k8s::client::resources;
      if (kind == "CSIDriver") return reader->Get(r::kCsiDrivers, "", name);
      return reader->Get(
          kind == "PersistentVolume" ? r::kPersistentVolumes : r::kPersistentVolumeClaims, ns,
          name);
    };
    // Its own Node, watched, for admission (node labels and taints change under it).
    api::k8s::client::ListOptions own_node;
    own_node.field_selector = "metadata.name=" + opts.node_name;
    node_reflector = std::make_unique<api::k8s::client::Reflector>(
        api.get(), api::k8s::client::resources::kNodes, "", own_node);
    node_reflector->Start();
    deps.node_info = [r = node_reflector.get(),
                      name = opts.node_name]() -> std::optional<kubelet::lifecycle::NodeInfo> {
      auto node = r->Get("", name);
      if (!node) return std::nullopt;
      return kubelet::lifecycle::NodeInfoFromJson(*node);
    };
    tokens = std::make_unique<kubelet::token::TokenManager>(api.get(), &clock);
    deps.service_account_token = [t = tokens.get()](
                                     const api::k8s::Pod& pod,
                                     const api::k8s::ServiceAccountTokenProjection& p) {
      return t->GetServiceAccountToken(pod, p);
    };
  }
  // Node-pressure eviction from the stats summary, every 10 s (started below); its pressure
  // conditions also gate admission.
  auto thresholds = kubelet::eviction::ParseThresholds(cfg->eviction_hard, cfg->eviction_soft,
                                                       cfg->eviction_soft_grace_period);
  if (!thresholds) {
    kLog.Error("eviction thresholds", {{"error", thresholds.error().message()}});
    return 1;
  }
  kubelet::eviction::EvictionOptions eviction_options;
  eviction_options.thresholds = std::move(*thresholds);
  eviction_options.pressure_transition_period =
      std::chrono::duration_cast<std::chrono::seconds>(cfg->eviction_pressure_transition_period);
  eviction_options.max_pod_grace_period = cfg->eviction_max_pod_grace_period;
  eviction_options.memory_capacity_bytes = opts.memory_capacity_bytes;
  kubelet::eviction::EvictionManager eviction(std::move(eviction_options), &clock);
  deps.node_pressure = [&eviction] {
    std::vector<std::string> conditions;
    if (eviction.MemoryPressure()) conditions.push_back("MemoryPressure");
    if (eviction.DiskPressure()) conditions.push_back("DiskPressure");
    if (eviction.PidPressure()) conditions.push_back("PIDPressure");
    return conditions;
  };
  if (!flags.kubeconfig.empty()) opts.sources.push_back(kubelet::sources::kApiSource);
  kubelet::Kubelet k(opts, deps);
  // The runtime may start after us (systemd ordering is a hint): keep asking.
  while (true) {
    auto st = k.Init();
    if (st) {
      break;
    }
    kLog.Warn("waiting for the container runtime",
              {{"endpoint", cfg->container_runtime_endpoint}, {"error", st.error().message()}});
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  kubelet::volumes::PluginWatcher plugin_watcher(
      flags.root_dir + "/plugins_registry", &csi_registry,
      [&csi_registry, &api, node = opts.node_name] {
        if (!api) return true;
        auto st = kubelet::volumes::SyncCsiNode(api.get(), node, csi_registry.All());
        if (!st) kLog.Warn("updating CSINode", {{"error", st.error().message()}});
        return st.has_value();
      });
  plugin_watcher.Start();
  kubelet::sources::FileSource files(cfg->static_pod_path, opts.node_name, &pod_config, &clock,
                                     cfg->file_check_frequency);
  files.Start();
  // The node-local API (:10250, read-only and healthz ports), once the kubelet can answer.
  // Stats for /stats/summary, /metrics/resource and kubectl top: containers from the
  // runtime's CRI stats, pods and the node from their cgroups.
  cadvisor::CgroupReader cgroup_reader("/sys/fs/cgroup");
  cadvisor::HostReader host_reader(&cgroup_reader);
  kubelet::stats::SummaryProviderOptions stats_options;
  stats_options.node_name = opts.node_name;
  stats_options.root_dir = flags.root_dir;
  stats_options.kubepods_cgroup = k.KubepodsCgroupName();
  stats_options.node_start_time = BootTime(clock);
  kubelet::stats::SummaryProviderDeps stats_deps;
  stats_deps.clock = &clock;
  stats_deps.runtime = api_cri->get();
  stats_deps.images = api_cri->get();
  stats_deps.cgroups = &cgroup_reader;
  stats_deps.host = &host_reader;
  stats_deps.pods = [&k] { return k.GetPods(); };
  stats_deps.pod_cgroup = [&k](const api::k8s::Pod& pod) { return k.PodCgroupName(pod); };
  kubelet::stats::SummaryProvider stats(stats_options, stats_deps);
  kubelet::KubeletServerHost server_host(&k, api_cri->get(), &stats);
  kubelet::server::ServerDeps server_deps{&server_host, &clock};
  server_deps.authorizer = sar.get();
  auto servers =
      kubelet::server::KubeletServers::Start(*cfg, flags.root_dir, opts.node_name, server_deps);
  if (!servers) {
    kLog.Error("kubelet server", {{"error", servers.error().message()}});
    files.Stop();
    probe_executor.reset();
    executor.reset();
    return 1;
  }
  // A node of a cluster: registers its Node, keeps its status and lease current.
  std::unique_ptr<kubelet::nodestatus::NodeReporter> reporter;
  if (api) {
    auto facts = kubelet::nodestatus::GatherNodeFacts(opts.node_name, opts.node_ip, flags.root_dir,
                                                      *cfg, api_cri->get());
    facts.labels = flags.node_labels;
    kubelet::nodestatus::NodeReporterOptions reporter_options;
    reporter_options.status_update_frequency = cfg->node_status_update_frequency;
    reporter_options.status_report_frequency = cfg->node_status_report_frequency;
    reporter_options.lease_duration_seconds = cfg->node_lease_duration_seconds;
    reporter_options.record_event = [r = recorder.get()](const std::string& reason,
                                                         const std::string& message) {
      r->NodeEvent(kubelet::events::kNormal, reason, message);
    };
    api::cri::RuntimeService* health_cri = api_cri->get();
    reporter = std::make_unique<kubelet::nodestatus::NodeReporter>(
        api.get(), &clock, std::move(facts),
        [health_cri, &eviction] {
          auto health = kubelet::nodestatus::HealthFromRuntime(health_cri);
          health.memory_pressure = eviction.MemoryPressure();
          health.disk_pressure = eviction.DiskPressure();
          health.pid_pressure = eviction.PidPressure();
          return health;
        },
        reporter_options);
  }
  if (recorder) recorder->NodeEvent(kubelet::events::kNormal, "Starting", "Starting kubelet.");
  // Pods bound to this node, and their status back to the API server.
  std::unique_ptr<kubelet::sources::ApiSource> api_pods;
  std::unique_ptr<kubelet::status::ApiStatusReporter> pod_status;
  std::unique_ptr<kubelet::mirror::MirrorPods> mirrors;
  if (api) {
    api_pods =
        std::make_unique<kubelet::sources::ApiSource>(api.get(), opts.node_name, &pod_config);
    api_pods->Start();
    kubelet::status::PodStatusView view;
    view.pods = [&k] {
      return PodsFrom(k, {kubelet::sources::kApiSource, kubelet::sources::kFileSource});
    };
    view.status =
        [&k](const std::string& uid) -> std::optional<std::pair<api::k8s::PodStatus, uint64_t>> {
      auto status = k.GetPodStatus(uid);
      if (!status) return std::nullopt;
      return std::make_pair(*status, k.PodStatusGeneration(uid));
    };
    view.terminated = [&k](const std::string& uid) { return k.IsPodTerminated(uid); };
    pod_status = std::make_unique<kubelet::status::ApiStatusReporter>(api.get(), view);
    kubelet::status::ApiStatusReporter* reporter_of_status = pod_status.get();
    mirrors = std::make_unique<kubelet::mirror::MirrorPods>(
        api.get(), opts.node_name,
        [reporter_of_status](const std::string& uid) { reporter_of_status->Resend(uid); });
  }
  kLog.Info("kubelet started", {{"node", opts.node_name},
                                {"nodeIP", opts.node_ip},
                                {"staticPodPath", cfg->static_pod_path},
                                {"runtime", cfg->container_runtime_endpoint}});
  NotifyReady("running pods of node " + opts.node_name);

  std::atomic<bool> stop{false};
  std::thread signals([&] {
    kLog.Info("shutting down", {{"signal", capstan::WaitForStopSignal()}});
    NotifyStopping();
    stop = true;
  });
  std::thread node_status;
  if (reporter) {
    // Pod statuses go out within 200 ms of a change; the node reporter keeps its own
    // schedule (10 s status checks, lease renewals) and is asked every second.
    node_status = std::thread([&] {
      std::string pod_cidr;
      for (int round = 0; !stop; ++round) {
        if (round % 5 == 0) {
          reporter->Tick();
          kubelet::SyncPodCidr(*node_reflector, opts.node_name, api_cri->get(), &pod_cidr);
          // Static pods in the API, once the Node they belong to is there.
          if (reporter->registered()) {
            mirrors->SyncOnce(PodsFrom(k, {kubelet::sources::kFileSource}));
          }
        }
        if (round % 1500 == 1499) {  // every five minutes: certificates near their end
          kubelet::RotateClientCertificate(api.get(), flags.kubeconfig, opts.node_name, clock);
          if (renew_serving) {
            auto renewed = renew_serving();
            if (!renewed) {
              kLog.Warn("renewing the serving certificate", {{"error", renewed.error().message()}});
            } else if (*renewed) {
              if (auto st = (*servers)->ReloadServingCertificate(); !st) {
                kLog.Warn("loading the renewed serving certificate",
                          {{"error", st.error().message()}});
              }
            }
          }
        }
        pod_status->SyncOnce();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    });
  }
  // Every 10 s: eviction decides from fresh stats, and CPU rates stay fresh between scrapes.
  std::thread stats_housekeeping([&] {
    for (int tick = 1; !stop; ++tick) {
      if (tick % 50 == 0) {
        if (eviction.Enabled()) {
          auto summary = stats.Get(false);
          kubelet::eviction::NodeReclaim reclaim{[&k] { k.DeleteUnusedImages(); },
                                                 [&stats] { return stats.Get(false); }};
          if (auto victim = eviction.Synchronize(summary, k.ActivePods(), reclaim)) {
            k.EvictPod(victim->pod, victim->message, victim->grace_period_override);
          }
        }
        stats.Housekeep();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  k.Run(stop);
  plugin_watcher.Stop();
  signals.join();
  stats_housekeeping.join();
  if (node_status.joinable()) node_status.join();
  if (api_pods) api_pods->Stop();
  if (node_reflector) node_reflector->Stop();
  (*servers)->Stop();  // its handlers call into the kubelet
  files.Stop();
  // Work in flight finishes before the kubelet it calls back into goes away.
  gc_executor.reset();
  probe_executor.reset();
  executor.reset();
  // Pods keep running: a restarted kubelet picks them up again.
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  capstan::BlockStopSignals();

  CLI::App app{"capstan-kubelet: runs this node's pods over CRI"};
  capstan::kubelet::config::KubeletFlags flags;
  std::string endpoint, manifests;
  app.add_option("--config", flags.config, "KubeletConfiguration file (YAML or JSON)");
  app.add_option("--container-runtime-endpoint", endpoint,
                 "CRI socket (default unix:///run/capstan/cri.sock)");
  app.add_option("--root-dir", flags.root_dir, "kubelet state (default /var/lib/kubelet)");
  app.add_option("--hostname-override", flags.hostname_override, "node name");
  app.add_option("--node-ip", flags.node_ip, "node IP address");
  app.add_option("--pod-manifest-path", manifests,
                 "static pod manifests (default /etc/kubernetes/manifests)");
  app.add_option("--log-level", flags.log_level, "debug|info|warn|error");
  app.add_option("--kubeconfig", flags.kubeconfig,
                 "the API server to register this node with (none: standalone)");
  app.add_option("--bootstrap-kubeconfig", flags.bootstrap_kubeconfig,
                 "a join token's kubeconfig: asks the cluster for the --kubeconfig client "
                 "certificate when that file is missing or expiring");
  std::string node_labels;
  app.add_option("--node-labels", node_labels, "labels of this Node: key=value,key2=value2");
  CLI11_PARSE(app, argc, argv);
  if (!endpoint.empty()) flags.container_runtime_endpoint = endpoint;
  if (!manifests.empty()) flags.pod_manifest_path = manifests;
  for (size_t start = 0; start < node_labels.size();) {
    size_t end = std::min(node_labels.find(',', start), node_labels.size());
    std::string pair = node_labels.substr(start, end - start);
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "capstan-kubelet: --node-labels: %s is not key=value\n", pair.c_str());
      return 2;
    }
    flags.node_labels[pair.substr(0, eq)] = pair.substr(eq + 1);
    start = end + 1;
  }
  capstan::log::SetLevel(capstan::log::ParseLevel(flags.log_level));
  return Run(flags);
}
