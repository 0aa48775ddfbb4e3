// capstan-csi-hostpath: a CSI driver whose volumes are directories on this node. It serves
// Identity, Controller and Node on one socket and registers itself with the kubelet through
// the plugin-registration socket, so no sidecar is needed beside it.
#include <sys/statvfs.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "api/k8s/quantity.h"
#include "common/file.h"
#include "common/log.h"
#include "common/process.h"
#include "common/stop_signals.h"
#include "csi/hostpath/driver.h"
#include "csi/lib/identity.h"
#include "csi/lib/serve_driver.h"

namespace {

// The size of the filesystem holding `root`: the default capacity.
int64_t FilesystemSize(const std::string& root) {
  struct statvfs st {};
  if (::statvfs(root.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.f_blocks) * static_cast<int64_t>(st.f_frsize);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace capstan;
  BlockStopSignals();
  CLI::App app{"capstan-csi-hostpath: a CSI driver of directory volumes on this node"};
  capstan::csi::ServeOptions serve;
  serve.driver.name = "hostpath.csi.capstan.io";
  serve.driver.lifecycle_modes = {"Persistent", "Ephemeral"};
  serve.endpoint = "unix:///var/lib/kubelet/plugins/hostpath.csi.capstan.io/csi.sock";
  std::string root = "/var/lib/capstan-csi-hostpath";
  std::string node_id = HostName();
  std::string capacity_text;
  std::string log_level = "info";
  app.add_option("--driver-name", serve.driver.name, "the CSI driver's name");
  app.add_option("--endpoint", serve.endpoint, "the CSI socket");
  app.add_option("--root", root, "where volumes, snapshots and state live");
  app.add_option("--node-id", node_id, "this node's name (default: the host name)");
  app.add_option("--capacity", capacity_text,
                 "bytes all volumes together may take, as a quantity (default: the size of "
                 "the filesystem holding --root)");
  app.add_option("--registration-dir", serve.registration_dir,
                 "the kubelet's plugins_registry directory to register in ('' : do not)");
  app.add_option("--kubeconfig", serve.kubeconfig,
                 "an API server's kubeconfig: publish the CSIDriver object and provision claims "
                 "of this driver's StorageClasses for this node ('' : neither)");
  app.add_option("--log-level", log_level, "debug|info|warn|error");
  CLI11_PARSE(app, argc, argv);
  log::SetLevel(log::ParseLevel(log_level));

  if (auto st = MkdirAll(root, 0711); !st) {
    std::fprintf(stderr, "capstan-csi-hostpath: %s\n", st.error().message().c_str());
    return 1;
  }
  int64_t capacity = FilesystemSize(root);
  if (!capacity_text.empty()) {
    auto q = api::k8s::Quantity::Parse(capacity_text);
    if (!q || q->Value() <= 0) {
      std::fprintf(stderr, "capstan-csi-hostpath: --capacity %s is not a positive quantity\n",
                   capacity_text.c_str());
      return 2;
    }
    capacity = q->Value();
  }
  auto volumes = capstan::csi::hostpath::OpenVolumes(root, node_id, capacity);
  if (!volumes) {
    std::fprintf(stderr, "capstan-csi-hostpath: %s\n", volumes.error().message().c_str());
    return 1;
  }
  capstan::csi::IdentityService identity({serve.driver.name, "0.1.0", true, true, true});
  auto controller = capstan::csi::NewDirectoryController(*volumes);
  auto node = capstan::csi::hostpath::NewNodeService(*volumes);
  // Volumes live on this node: its provisioner serves the claims that chose it.
  serve.provision_node = node_id;
  return capstan::csi::ServeDriver(serve, {&identity, controller.get(), node.get()});
}
