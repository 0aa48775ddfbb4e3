// capstan-cri: the CRI runtime daemon (RuntimeService + ImageService on a unix socket).
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>

#include "common/file.h"
#include "common/log.h"
#include "common/process.h"
#include "common/sd_notify.h"
#include "common/stop_signals.h"
#include "cri/image/import_watcher.h"
#include "cri/image/store.h"
#include "cri/network/cni_plugin.h"
#include "cri/network/default_config.h"
#include "cri/oci/cgroups/manager.h"
#include "cri/runtime/config.h"
#include "cri/runtime/image_service.h"
#include "cri/runtime/runtime.h"
#include "cri/server/grpc_services.h"

namespace {

using namespace capstan;
const log::Logger kLog("cri");

int Run(cri::runtime::RuntimeConfig config) {
  if (config.monitor_path.empty()) {
    config.monitor_path = ExecutableDir() + "/capstan-monitor";
  }
  auto cgroups = cri::oci::DetectCgroupManager(config.cgroup_root);
  if (!cgroups) {
    kLog.Error("cgroups", {{"error", cgroups.error().message()}});
    return 1;
  }
  cri::image::RegistryConfig reg{config.insecure_registries, config.registry_mirrors};
  auto images = cri::image::Store::Open(config.root, reg);
  if (!images) {
    kLog.Error("opening the image store", {{"error", images.error().message()}});
    return 1;
  }
  // Tarballs renamed into <root>/images later (`capstan image import`) are imported at once;
  // watched before the first scan, so none slips in between.
  cri::image::ImportWatcher import_watcher(images->get(), config.root + "/images");
  if (auto st = import_watcher.Start(); !st) {
    kLog.Warn("watching for image tarballs", {{"error", st.error().message()}});
  }
  if (auto st = (*images)->ImportDirectory(config.root + "/images"); !st) {
    kLog.Warn("importing air-gap images", {{"error", st.error().message()}});
  }
  std::string listen = config.listen;
  // Pod networks come from CNI; without a usable config pods get loopback only and Status
  // reports NetworkReady=false.
  auto network = std::make_unique<cri::network::CniNetworkPlugin>(
      cri::network::CniOptions{config.cni_conf_dir, config.cni_bin_dirs, config.cni_cache_dir});
  cri::network::CniNetworkPlugin* cni = network.get();
  cri::runtime::Runtime::Deps deps{config, std::move(*cgroups), images->get(), std::move(network)};
  auto runtime = cri::runtime::Runtime::Create(std::move(deps));
  if (!runtime) {
    kLog.Error("starting the runtime", {{"error", runtime.error().message()}});
    return 1;
  }
  // Networks held by sandboxes that did not survive (a crash between CNI ADD and recording the
  // sandbox) are released before serving; ready sandboxes keep theirs.
  if (auto pods = (*runtime)->ListPodSandbox({})) {
    std::vector<std::string> live;
    for (const auto& p : pods->items()) {
      if (p.state() == ::runtime::v1::SANDBOX_READY) {
        live.push_back(p.id());
      }
    }
    if (auto st = cni->GarbageCollect(live); !st) {
      kLog.Warn("CNI garbage collection", {{"error", st.error().message()}});
    }
  }
  (*images)->SetInUseCheck(
      [rt = runtime->get()](std::string_view id) { return rt->ImageInUse(id); });
  cri::streaming::StreamingOptions stream_options;
  stream_options.address = config.stream_address;
  stream_options.port = config.stream_port;
  stream_options.limits.idle_timeout = std::chrono::seconds(config.stream_idle_timeout_seconds);
  auto streaming = cri::streaming::StreamingServer::Start(stream_options, runtime->get());
  if (!streaming) {
    kLog.Error("starting the streaming server", {{"error", streaming.error().message()}});
    return 1;
  }
  (*runtime)->SetStreamingServer(streaming->get());
  cri::runtime::ImageServiceImpl image_service(images->get());
  auto runtime_grpc = cri::server::NewRuntimeGrpcService(runtime->get());
  auto image_grpc = cri::server::NewImageGrpcService(&image_service);

  std::string path = listen.rfind("unix://", 0) == 0 ? listen.substr(7) : listen;
  (void)MkdirAll(std::filesystem::path(path).parent_path(), 0755);
  ::unlink(path.c_str());
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix://" + path, grpc::InsecureServerCredentials());
  builder.RegisterService(runtime_grpc.get());
  builder.RegisterService(image_grpc.get());
  builder.SetMaxReceiveMessageSize(16 << 20);
  builder.SetMaxSendMessageSize(16 << 20);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    kLog.Error("cannot listen", {{"address", listen}});
    return 1;
  }
  ::chmod(path.c_str(), 0660);
  kLog.Info("serving CRI",
            {{"address", "unix://" + path},
             {"streaming", config.stream_address + ":" + std::to_string((*streaming)->port())},
             {"root", config.root},
             {"state", config.state}});
  NotifyReady("serving CRI on unix://" + path);

  // SIGTERM/SIGINT stop the daemon; containers keep running under their monitors.
  kLog.Info("shutting down", {{"signal", WaitForStopSignal()}});
  NotifyStopping();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  server->Wait();
  (*streaming)->Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  capstan::BlockStopSignals();
  // Monitors detach by double fork; as their subreaper we reap them when they end.
  prctl(PR_SET_CHILD_SUBREAPER, 1);

  CLI::App app{"capstan-cri: a CRI container runtime"};
  std::string config_path, listen, root, state, log_level = "info";
  bool write_cni = false;
  app.add_option("--config", config_path, "YAML config file");
  app.add_option("--listen", listen, "CRI socket (unix:///run/capstan/cri.sock)");
  app.add_option("--root", root, "persistent state (/var/lib/capstan)");
  app.add_option("--state", state, "runtime state (/run/capstan)");
  app.add_option("--log-level", log_level, "debug|info|warn|error");
  app.add_flag("--write-default-cni-config", write_cni,
               "write capstan's default pod network (10-capstan.conflist) into the CNI conf dir "
               "unless it has a config, and exit");
  CLI11_PARSE(app, argc, argv);

  capstan::log::SetLevel(capstan::log::ParseLevel(log_level));
  capstan::cri::runtime::RuntimeConfig config;
  if (!config_path.empty()) {
    auto loaded = capstan::cri::runtime::LoadRuntimeConfig(config_path);
    if (!loaded) {
      std::fprintf(stderr, "capstan-cri: %s\n", loaded.error().message().c_str());
      return 2;
    }
    config = *loaded;
  }
  if (!listen.empty()) config.listen = listen;
  if (!root.empty()) config.root = root;
  if (!state.empty()) config.state = state;
  if (write_cni) {
    auto wrote = capstan::cri::network::WriteDefaultConflist(config.cni_conf_dir);
    if (!wrote) {
      std::fprintf(stderr, "capstan-cri: %s\n", wrote.error().message().c_str());
      return 1;
    }
    std::printf("%s\n", *wrote ? "wrote the default CNI config" : "a CNI config exists; unchanged");
    return 0;
  }
  return Run(std::move(config));
}
