#include "control-plane/apiserver/server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "api/k8s/client/rest_client.h"
#include "common/log.h"
#include "common/pki/cluster_pki.h"
#include "common/pki/kubeconfig.h"
#include "control-plane/apiserver/api_server.h"
#include "control-plane/apiserver/bootstrap_policy.h"
#include "control-plane/apiserver/bootstrap_tokens.h"
#include "control-plane/apiserver/crds.h"
#include "control-plane/apiserver/csr_signer.h"
#include "control-plane/apiserver/handlers.h"
#include "control-plane/apiserver/loopback_client.h"
#include "control-plane/apiserver/namespace_cleaner.h"
#include "control-plane/apiserver/namespace_defaults.h"
#include "control-plane/apiserver/node_authorizer.h"
#include "control-plane/apiserver/priority_admission.h"
#include "control-plane/apiserver/rbac.h"
#include "control-plane/apiserver/service_account_admission.h"
#include "control-plane/apiserver/service_account_tokens.h"
#include "control-plane/apiserver/service_addresses.h"
#include "control-plane/apiserver/storage_admission.h"
#include "control-plane/controllers/controller_manager.h"
#include "control-plane/controllers/leader_elector.h"
#include "control-plane/metrics/scraper.h"
#include "control-plane/scheduler/scheduler.h"
#include "control-plane/storage/sqlite_store.h"
#include "control-plane/storage/watch_cache.h"

namespace capstan::control_plane::apiserver {
namespace {

const log::Logger kLog("server");

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  return buf;
}

// Creates `obj` unless it exists (bootstrap objects are never overwritten).
Status Ensure(Registry& registry, const ResourceRegistry& resources, const std::string& plural,
              const std::string& group, const std::string& ns, Json obj) {
  auto r = resources.Find(group, "v1", plural);  // every bootstrap kind is at v1
  if (!r) return Fail(Code::kInternal, "no resource {}", plural);
  // A restart finds them stored: kept as they are (admission, such as the Service address
  // allocator, would refuse a second create for other reasons than AlreadyExists).
  if (registry.Get(*r, ns, MetaString(obj, "name"))) return Ok();
  auto created = registry.Create(*r, ns, std::move(obj), false);
  if (!created && created.error().code != 409) {
    return Fail(Code::kInternal, "creating {} {}: {}", plural, ns, created.error().message);
  }
  return Ok();
}

// The Ready nodes and their kubelets' addresses, for the metrics scraper.
metrics::TargetsFunc ScrapeTargets(Registry* registry, const ResourceRegistry* resources) {
  return [registry, resources] {
    std::vector<metrics::ScrapeTarget> out;
    auto nodes_resource = resources->Find("", "v1", "nodes");
    auto nodes = registry->List(*nodes_resource, ListQuery{});
    if (!nodes) return out;
    for (const auto& node : (*nodes)["items"]) {
      bool ready = false;
      const Json& conditions = Lookup(node, {"status", "conditions"});
      for (const auto& c : conditions.is_array() ? conditions : Json::array()) {
        // Stored objects passed validation, but a hostile status must not stop the scraper.
        ready |=
            StringOr(Lookup(c, {"type"})) == "Ready" && StringOr(Lookup(c, {"status"})) == "True";
      }
      auto address = internal::KubeletAddress(node);
      if (!ready || !address) continue;
      out.push_back({MetaString(node, "name"), address->first, address->second});
    }
    return out;
  };
}

// GET /metrics/resource from a kubelet, as its API client (the kubelet client certificate).
metrics::FetchFunc ScrapeFetcher(const KubeletConnection& kubelet) {
  return [kubelet](const metrics::ScrapeTarget& target) -> Result<std::string> {
    if (!kubelet.configured()) return Fail(Code::kFailedPrecondition, "no kubelet client");
    CAPSTAN_ASSIGN_OR_RETURN(auto client,
                             kubelet.Client(target.host, target.port, std::chrono::seconds(10)));
    CAPSTAN_ASSIGN_OR_RETURN(auto response, client->Do("GET", "/metrics/resource"));
    if (response.status != 200) {
      return Fail(Code::kUnavailable, "kubelet answered {}: {}", response.status,
                  response.body.substr(0, 200));
    }
    return std::move(response.body);
  };
}

// The lease of one component (kube-system/<lease>), held as this host and data dir.
controllers::LeaderElectionConfig ElectionFor(const std::string& lease,
                                              const ServerOptions& options) {
  controllers::LeaderElectionConfig config;
  config.name = lease;
  config.identity = controllers::LeaderIdentity(options.data_dir);
  return config;
}

}  // namespace

struct Server::Parts {
  ServerOptions options;
  RealClock clock;
  std::unique_ptr<storage::SqliteStore> sqlite;
  std::unique_ptr<storage::WatchCache> store;
  ResourceRegistry resources;
  std::unique_ptr<Registry> registry;
  std::unique_ptr<ServiceAddresses> service_addresses;
  std::unique_ptr<ServiceAccountTokens> tokens;
  UnionAuthenticator authn;
  UnionAuthorizer authz;
  std::unique_ptr<ApiServer> api;
  std::unique_ptr<HttpServer> http;
  std::unique_ptr<NamespaceCleaner> namespace_cleaner;
  std::unique_ptr<NamespaceDefaults> namespace_defaults;
  std::unique_ptr<CsrSigner> csr_signer;
  // Each component gets a new client each time it starts leading: stopping one cancels its
  // client's watches for good. The electors keep clients of their own.
  std::unique_ptr<api::k8s::client::RestApiClient> scheduler_client;
  std::unique_ptr<scheduler::Scheduler> scheduler;
  std::unique_ptr<api::k8s::client::RestApiClient> scheduler_lease_client;
  std::unique_ptr<controllers::LeaderElector> scheduler_election;
  std::unique_ptr<api::k8s::client::RestApiClient> controllers_client;
  std::unique_ptr<controllers::ControllerManager> controllers;
  std::unique_ptr<api::k8s::client::RestApiClient> controllers_lease_client;
  std::unique_ptr<controllers::LeaderElector> controllers_election;
  metrics::MetricsStore metrics;
  std::unique_ptr<metrics::Scraper> metrics_scraper;
  std::string kubeconfig;
};

Server::Server(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
Server::~Server() { Stop(); }
int Server::port() const { return parts_->http ? parts_->http->port() : 0; }
std::string Server::kubeconfig_path() const { return parts_->kubeconfig; }

void Server::Stop() {
  if (parts_->metrics_scraper) parts_->metrics_scraper->Stop();
  // Stepping down stops the component and releases its lease for a standby server.
  if (parts_->controllers_election) parts_->controllers_election->Stop();
  if (parts_->scheduler_election) parts_->scheduler_election->Stop();
  if (parts_->http) parts_->http->Stop();
  if (parts_->namespace_cleaner) parts_->namespace_cleaner->Stop();
  if (parts_->namespace_defaults) parts_->namespace_defaults->Stop();
  if (parts_->csr_signer) parts_->csr_signer->Stop();
}

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  auto p = std::make_unique<Parts>();
  p->options = options;
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) return Fail(Code::kInternal, "creating {}: {}", options.data_dir, ec.message());
  ::chmod(options.data_dir.c_str(), 0700);

  storage::SqliteOptions store_options;
  store_options.compact_interval = options.compact_interval;
  store_options.compact_keep_revisions = options.compact_keep_revisions;
  CAPSTAN_ASSIGN_OR_RETURN(
      p->sqlite, storage::SqliteStore::Open(options.data_dir + "/state.db", store_options));
  // Every watch (kubectl -w, informers, RBAC's own) is served from one SQLite watch.
  CAPSTAN_ASSIGN_OR_RETURN(p->store, storage::WatchCache::Create(p->sqlite.get(), {}));

  std::string advertise =
      options.advertise_address.empty() ? "127.0.0.1" : options.advertise_address;
  pki::ClusterPkiOptions pki_options;
  pki_options.server_names = {HostName(), "localhost"};
  pki_options.server_ips = {"127.0.0.1", "10.43.0.1"};
  if (advertise != "127.0.0.1") pki_options.server_ips.push_back(advertise);
  for (const auto& san : options.extra_sans) {
    bool ip = san.find_first_not_of("0123456789.:abcdef") == std::string::npos &&
              san.find_first_of(".:") != std::string::npos;
    (ip ? pki_options.server_ips : pki_options.server_names).push_back(san);
  }
  CAPSTAN_ASSIGN_OR_RETURN(
      auto cluster_pki, pki::EnsureClusterPki(options.data_dir + "/pki", pki_options, WallNow()));

  p->registry = std::make_unique<Registry>(p->store.get(), &p->clock);
  LoadCrds(p->resources, *p->registry);
  p->service_addresses = std::make_unique<ServiceAddresses>(p->store.get(), options.service_cidr);
  {
    ServiceAddresses* addresses = p->service_addresses.get();
    storage::Store* store = p->store.get();
    p->registry->SetCreateAdmission(
        [addresses, store](const ResourceInfo& r, Json& obj) -> ApiResult<void> {
          if (r.group.empty() && r.kind == "Service") return addresses->Allocate(obj);
          if (r.group.empty() && r.kind == "Pod") {
            if (auto priority = AdmitPodPriority(store, obj); !priority) return priority;
            return AdmitServiceAccount(store, obj);
          }
          if (r.group.empty() && r.kind == "PersistentVolumeClaim") {
            return AdmitPersistentVolumeClaim(store, obj);
          }
          if (r.group.empty() && r.kind == "PersistentVolume") return AdmitPersistentVolume(obj);
          if (r.group == "scheduling.k8s.io" && r.kind == "PriorityClass") {
            return AdmitPriorityClass(store, obj);
          }
          return {};
        });
  }
  {
    ResourceRegistry* resources = &p->resources;
    Registry* registry = p->registry.get();
    Parts* parts = p.get();
    p->registry->SetWriteObserver(
        [resources, registry, parts](const ResourceInfo& r, const Json& obj, bool deleted) {
          if (r.group == "apiextensions.k8s.io" && r.kind == "CustomResourceDefinition") {
            ApplyCrdChange(*resources, *registry, obj, deleted);
          }
          if (r.group == "certificates.k8s.io" && !deleted && parts->csr_signer) {
            parts->csr_signer->Notify();
          }
          // A new namespace, or a default of one deleted or edited.
          if (r.group.empty() && parts->namespace_defaults &&
              (r.kind == "Namespace" || r.kind == "ServiceAccount" || r.kind == "ConfigMap")) {
            parts->namespace_defaults->Notify();
          }
        });
  }
  p->authn.Add(std::make_unique<ClientCertAuthenticator>());
  // Before the service-account authenticator: both take dotted bearer tokens.
  p->authn.Add(std::make_unique<BootstrapTokenAuthenticator>(p->store.get(), &p->clock));
  CAPSTAN_ASSIGN_OR_RETURN(p->tokens, ServiceAccountTokens::Create(cluster_pki, &p->clock));
  p->authn.Add(std::make_unique<ServiceAccountTokenAuthenticator>(p->tokens.get(), p->store.get()));
  p->authz.Add(std::make_unique<MastersAuthorizer>());
  p->authz.Add(std::make_unique<NodeAuthorizer>(p->store.get()));
  p->authz.Add(std::make_unique<RbacAuthorizer>(p->store.get()));

  // What every cluster has.
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    CAPSTAN_TRY(
        Ensure(*p->registry, p->resources, "namespaces", "", "",
               {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}}));
  }
  for (auto& role : BootstrapClusterRoles()) {
    CAPSTAN_TRY(Ensure(*p->registry, p->resources, "clusterroles", "rbac.authorization.k8s.io", "",
                       std::move(role)));
  }
  for (auto& binding : BootstrapClusterRoleBindings()) {
    CAPSTAN_TRY(Ensure(*p->registry, p->resources, "clusterrolebindings",
                       "rbac.authorization.k8s.io", "", std::move(binding)));
  }
  for (auto& pc : SystemPriorityClasses()) {
    CAPSTAN_TRY(Ensure(*p->registry, p->resources, "priorityclasses", "scheduling.k8s.io", "",
                       std::move(pc)));
  }
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    CAPSTAN_TRY(Ensure(*p->registry, p->resources, "serviceaccounts", "", ns,
                       {{"apiVersion", "v1"},
                        {"kind", "ServiceAccount"},
                        {"metadata", {{"name", "default"}, {"namespace", ns}}}}));
  }

  HttpServerOptions http_options;
  http_options.address = options.bind_address;
  http_options.port = options.port;
  http_options.cert_file = cluster_pki.server_cert_file;
  http_options.key_file = cluster_pki.server_key_file;
  http_options.client_ca_file = cluster_pki.ca_cert_file;
  ApiServerOptions api_options;
  api_options.kubelet = {cluster_pki.ca_cert_pem, cluster_pki.kubelet_client_cert_pem,
                         cluster_pki.kubelet_client_key_pem};
  api_options.metrics = &p->metrics;
  p->api = std::make_unique<ApiServer>(api_options, &p->resources, p->registry.get(), &p->authn,
                                       &p->authz, p->tokens.get(), &p->clock);
  ApiServer* api = p->api.get();
  CAPSTAN_ASSIGN_OR_RETURN(
      p->http, HttpServer::Start(http_options, [api](const HttpRequest& req, ResponseWriter& w) {
        api->Serve(req, w);
      }));
  int port = p->http->port();

  CAPSTAN_TRY(Ensure(
      *p->registry, p->resources, "services", "", "default",
      {{"apiVersion", "v1"},
       {"kind", "Service"},
       {"metadata",
        {{"name", "kubernetes"},
         {"namespace", "default"},
         {"labels", {{"component", "apiserver"}, {"provider", "kubernetes"}}}}},
       {"spec",
        {{"clusterIP", "10.43.0.1"},
         {"ports",
          {{{"name", "https"}, {"port", 443}, {"protocol", "TCP"}, {"targetPort", port}}}}}}}));
  // A restart on another port: the Service follows.
  if (auto services = p->resources.Find("", "v1", "services")) {
    auto moved = p->registry->GuaranteedUpdate(*services, "default", "kubernetes", "", false,
                                               [port](const Json& current) -> ApiResult<Json> {
                                                 Json next = current;
                                                 Json& ports = next["spec"]["ports"];
                                                 if (ports.is_array() && !ports.empty())
                                                   ports[0]["targetPort"] = port;
                                                 return next;
                                               });
    if (!moved) kLog.Warn("updating the kubernetes Service", {{"error", moved.error().message}});
  }

  p->kubeconfig = options.data_dir + "/admin.kubeconfig";
  pki::KubeconfigSpec kc;
  kc.cluster_name = "capstan";
  kc.server = "https://" + advertise + ":" + std::to_string(port);
  kc.ca_pem = cluster_pki.ca_cert_pem;
  kc.user_name = "admin";
  kc.client_cert_pem = cluster_pki.admin_cert_pem;
  kc.client_key_pem = cluster_pki.admin_key_pem;
  CAPSTAN_TRY(pki::WriteKubeconfig(p->kubeconfig, kc));

  p->namespace_cleaner = std::make_unique<NamespaceCleaner>(p->registry.get(), &p->resources);
  p->namespace_cleaner->Start();
  p->namespace_defaults = std::make_unique<NamespaceDefaults>(p->registry.get(), &p->resources,
                                                              cluster_pki.ca_cert_pem);
  p->namespace_defaults->Start();
  p->csr_signer = std::make_unique<CsrSigner>(
      p->registry.get(), &p->resources, &p->authz,
      pki::CertAndKey{cluster_pki.ca_cert_pem, cluster_pki.ca_key_pem}, &p->clock);
  p->csr_signer->Start();
  pki::CertAndKey ca{cluster_pki.ca_cert_pem, cluster_pki.ca_key_pem};
  if (options.scheduler) {
    CAPSTAN_ASSIGN_OR_RETURN(p->scheduler_lease_client,
                             LoopbackClient(ca, port, "system:kube-scheduler"));
    Parts* parts = p.get();
    p->scheduler_election = std::make_unique<controllers::LeaderElector>(
        p->scheduler_lease_client.get(), &p->clock, ElectionFor("kube-scheduler", options),
        [parts, ca, port] {
          auto client = LoopbackClient(ca, port, "system:kube-scheduler");
          if (!client) {
            kLog.Error("no client for the scheduler", {{"error", client.error().message()}});
            return;
          }
          parts->scheduler_client = std::move(*client);
          parts->scheduler =
              std::make_unique<scheduler::Scheduler>(parts->scheduler_client.get(), &parts->clock);
          parts->scheduler->Start();
        },
        [parts] {
          if (parts->scheduler) parts->scheduler->Stop();
          parts->scheduler.reset();
          parts->scheduler_client.reset();
        });
    p->scheduler_election->Start();
  }
  if (options.controllers) {
    CAPSTAN_ASSIGN_OR_RETURN(p->controllers_lease_client,
                             LoopbackClient(ca, port, "system:kube-controller-manager"));
    controllers::ControllerManagerOptions manager_options;
    manager_options.node_lifecycle.grace_period = options.node_monitor_grace_period;
    Parts* parts = p.get();
    p->controllers_election = std::make_unique<controllers::LeaderElector>(
        p->controllers_lease_client.get(), &p->clock,
        ElectionFor("kube-controller-manager", options),
        [parts, manager_options, ca, port] {
          auto client = LoopbackClient(ca, port, "system:kube-controller-manager");
          if (!client) {
            kLog.Error("no client for the controllers", {{"error", client.error().message()}});
            return;
          }
          parts->controllers_client = std::move(*client);
          parts->controllers = std::make_unique<controllers::ControllerManager>(
              parts->controllers_client.get(), &parts->clock, manager_options);
          parts->controllers->Start();
        },
        [parts] {
          if (parts->controllers) parts->controllers->Stop();
          parts->controllers.reset();
          parts->controllers_client.reset();
        });
    p->controllers_election->Start();
  }
  p->metrics_scraper = std::make_unique<metrics::Scraper>(
      ScrapeTargets(p->registry.get(), &p->resources), ScrapeFetcher(api_options.kubelet),
      &p->metrics, &p->clock, options.metrics_interval);
  p->metrics_scraper->Start();
  api->SetReady(true);
  kLog.Info("capstan-server ready", {{"port", port}, {"data-dir", options.data_dir}});
  return std::unique_ptr<Server>(new Server(std::move(p)));
}

}  // namespace capstan::control_plane::apiserver
