// capstan-csi-nfs: a CSI driver of NFS volumes (subdirectories of NFS shares). Identity,
// Controller and Node on one socket; registers with the kubelet itself.
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "api/k8s/quantity.h"
#include "common/file.h"
#include "common/log.h"
#include "common/process.h"
#include "common/stop_signals.h"
#include "csi/lib/identity.h"
#include "csi/lib/serve_driver.h"
#include "csi/nfs/nfs_driver.h"

int main(int argc, char** argv) {
  using namespace capstan;
  BlockStopSignals();
  CLI::App app{"capstan-csi-nfs: a CSI driver of NFS volumes"};
  capstan::csi::ServeOptions serve;
  serve.driver.name = "nfs.csi.capstan.io";
  serve.endpoint = "unix:///var/lib/kubelet/plugins/nfs.csi.capstan.io/csi.sock";
  std::string state_dir = "/var/lib/capstan-csi-nfs";
  std::string node_id = HostName();
  std::string mount_with = "auto";
  std::string fuse_helper = ExecutableDir() + "/capstan-nfs-fuse";
  std::string log_level = "info";
  app.add_option("--driver-name", serve.driver.name, "the CSI driver's name");
  app.add_option("--endpoint", serve.endpoint, "the CSI socket");
  app.add_option("--state-dir", state_dir, "the controller's record of its volumes");
  app.add_option("--node-id", node_id, "this node's name (default: the host name)");
  app.add_option("--mount", mount_with, "auto|kernel|fuse: how a node mounts NFS");
  app.add_option("--fuse-helper", fuse_helper, "capstan-nfs-fuse (default: beside this binary)");
  app.add_option("--registration-dir", serve.registration_dir,
                 "the kubelet's plugins_registry directory to register in ('' : do not)");
  app.add_option("--kubeconfig", serve.kubeconfig,
                 "an API server's kubeconfig: publish the CSIDriver object and provision "
                 "claims of this driver's StorageClasses ('' : neither)");
  app.add_option("--log-level", log_level, "debug|info|warn|error");
  CLI11_PARSE(app, argc, argv);
  log::SetLevel(log::ParseLevel(log_level));
  if (mount_with != "auto" && mount_with != "kernel" && mount_with != "fuse") {
    std::fprintf(stderr, "capstan-csi-nfs: --mount is auto, kernel or fuse\n");
    return 2;
  }
  if (auto st = MkdirAll(state_dir, 0700); !st) {
    std::fprintf(stderr, "capstan-csi-nfs: %s\n", st.error().message().c_str());
    return 1;
  }
  // An NFS share has no size the driver could account: volumes are given what they ask.
  constexpr int64_t kUnlimited = int64_t{1} << 60;
  auto volumes = capstan::csi::Volumes::Open({state_dir, node_id, "", kUnlimited, 1LL << 30},
                                             capstan::csi::nfs::NewNfsBackend());
  if (!volumes) {
    std::fprintf(stderr, "capstan-csi-nfs: %s\n", volumes.error().message().c_str());
    return 1;
  }
  capstan::csi::nfs::NodeOptions node_options{
      node_id, fuse_helper, state_dir + "/fuse-logs",
      mount_with == "kernel" || (mount_with == "auto" && capstan::csi::nfs::KernelHasNfs())};
  capstan::csi::IdentityService identity({serve.driver.name, "0.1.0", true, false, true});
  auto controller = capstan::csi::NewDirectoryController(*volumes);
  auto node = capstan::csi::nfs::NewNodeService(node_options);
  // Every node mounts NFS volumes: no topology, and the provisioner serves all claims.
  serve.driver.pod_info_on_mount = false;
  serve.driver.fs_group_policy = "File";
  return capstan::csi::ServeDriver(serve, {&identity, controller.get(), node.get()});
}
