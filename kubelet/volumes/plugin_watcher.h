#pragma once
// The kubelet's plugin watcher: finds registration sockets in <root>/plugins_registry/,
// asks each plugin who it is (pluginregistration v1 GetInfo), registers CSI drivers after
// asking them NodeGetInfo, and tells the plugin the outcome. A socket that goes away (or is
// replaced by a restarted driver) unregisters its driver. Scans once a second, as a socket
// made while the kubelet was down must be found as well as one made later.

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "kubelet/volumes/csi_registry.h"

namespace capstan::kubelet::volumes {

class PluginWatcher {
 public:
  // `on_change` runs (on the watcher's thread) after the first scan and after a driver is
  // added or removed; it is retried on later scans until it returns true.
  PluginWatcher(std::string registry_dir, CsiRegistry* registry, std::function<bool()> on_change);
  ~PluginWatcher();

  void Start();
  void Stop();
  // One pass: registers new sockets, unregisters vanished ones. Public for tests.
  void Scan();

 private:
  struct Known {
    uint64_t inode = 0;
    std::string driver;  // "" : refused or not reachable yet
  };
  void Register(const std::string& socket, Known* known);

  std::string dir_;
  CsiRegistry* registry_;
  std::function<bool()> on_change_;
  bool sync_pending_ = true;
  std::map<std::string, Known> sockets_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace capstan::kubelet::volumes
