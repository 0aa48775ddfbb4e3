#include "kubelet/volumes/plugin_watcher.h"

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <filesystem>

#include "api/kubelet/pluginregistration/v1/api.grpc.pb.h"
#include "common/file.h"
#include "common/log.h"

namespace capstan::kubelet::volumes {
namespace {

const log::Logger kLog("plugin-watcher");
constexpr auto kCallTimeout = std::chrono::seconds(5);

void Notify(::pluginregistration::Registration::Stub* stub, bool ok, const std::string& error) {
  ::pluginregistration::RegistrationStatus status;
  status.set_plugin_registered(ok);
  status.set_error(error);
  ::pluginregistration::RegistrationStatusResponse out;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  (void)stub->NotifyRegistrationStatus(&ctx, status, &out);
}

bool SpeaksCsiV1(const ::pluginregistration::PluginInfo& info) {
  for (const auto& v : info.supported_versions()) {
    if (v.rfind("1.", 0) == 0 || v.rfind("v1.", 0) == 0) return true;
  }
  return false;
}

}  // namespace

PluginWatcher::PluginWatcher(std::string registry_dir, CsiRegistry* registry,
                             std::function<bool()> on_change)
    : dir_(std::move(registry_dir)), registry_(registry), on_change_(std::move(on_change)) {}

PluginWatcher::~PluginWatcher() { Stop(); }

void PluginWatcher::Start() {
  (void)MkdirAll(dir_, 0750);
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      Scan();
      lock.lock();
      cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; });
    }
  });
}

void PluginWatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PluginWatcher::Scan() {
  namespace fs = std::filesystem;
  std::map<std::string, uint64_t> present;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    struct stat st {};
    std::string path = entry.path().string();
    // Hidden files are a driver's work in progress, as upstream skips them.
    if (entry.path().filename().string().starts_with(".")) continue;
    if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) present[path] = st.st_ino;
  }
  bool changed = false;
  for (auto it = sockets_.begin(); it != sockets_.end();) {
    auto now = present.find(it->first);
    if (now != present.end() && now->second == it->second.inode) {
      ++it;
      continue;
    }
    if (!it->second.driver.empty()) {
      kLog.Info("CSI driver unregistered", {{"driver", it->second.driver}, {"socket", it->first}});
      registry_->Remove(it->second.driver);
      changed = true;
    }
    it = sockets_.erase(it);
  }
  for (const auto& [path, inode] : present) {
    Known& known = sockets_[path];
    if (known.inode == inode && !known.driver.empty()) continue;
    known.inode = inode;
    Register(path, &known);
    changed = changed || !known.driver.empty();
  }
  sync_pending_ = sync_pending_ || changed;
  if (sync_pending_ && on_change_) sync_pending_ = !on_change_();
}

void PluginWatcher::Register(const std::string& socket, Known* known) {
  auto stub = ::pluginregistration::Registration::NewStub(
      grpc::CreateChannel("unix://" + socket, grpc::InsecureChannelCredentials()));
  ::pluginregistration::PluginInfo info;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  if (grpc::Status st = stub->GetInfo(&ctx, ::pluginregistration::InfoRequest(), &info); !st.ok()) {
    kLog.Debug("plugin not answering yet", {{"socket", socket}, {"error", st.error_message()}});
    return;
  }
  if (info.type() != "CSIPlugin") {
    Notify(stub.get(), false, "plugin type " + info.type() + " is not supported by this kubelet");
    return;
  }
  if (!SpeaksCsiV1(info)) {
    Notify(stub.get(), false, "none of the plugin's versions is CSI 1.x");
    return;
  }
  std::string endpoint = info.endpoint().empty() ? socket : info.endpoint();
  auto node = CsiNodeClient(endpoint).GetInfo();
  if (!node) {
    Notify(stub.get(), false, node.error().message());
    kLog.Warn("CSI driver refused", {{"driver", info.name()}, {"error", node.error().message()}});
    return;
  }
  CsiDriverInfo driver{info.name(), endpoint, node->node_id(), {}, node->max_volumes_per_node()};
  for (const auto& [k, v] : node->accessible_topology().segments()) driver.topology[k] = v;
  registry_->Add(driver);
  known->driver = info.name();
  Notify(stub.get(), true, "");
  kLog.Info("CSI driver registered",
            {{"driver", info.name()}, {"endpoint", endpoint}, {"nodeID", node->node_id()}});
}

}  // namespace capstan::kubelet::volumes
