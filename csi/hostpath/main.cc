// capstan-csi-hostpath: a CSI driver whose volumes are directories on this node. It serves
// Identity, Controller and Node on one socket and registers itself with the kubelet through
// the plugin-registration socket, so no sidecar is needed beside it.
#include <sys/statvfs.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "api/k8s/client/rest_api_client.h"
#include "api/k8s/quantity.h"
#include "common/file.h"
#include "common/log.h"
#include "common/sd_notify.h"
#include "common/stop_signals.h"
#include "csi/hostpath/driver.h"
#include "csi/lib/identity.h"
#include "csi/lib/registration.h"
#include "csi/lib/server.h"
#include "csi/provisioner/csi_driver_object.h"
#include "csi/provisioner/provisioner.h"

namespace {

using namespace capstan;
const log::Logger kLog("csi-hostpath");

std::string HostName() {
  char name[256] = {};
  ::gethostname(name, sizeof(name) - 1);
  return name;
}

// The size of the filesystem holding `root`: the default capacity.
int64_t FilesystemSize(const std::string& root) {
  struct statvfs st {};
  if (::statvfs(root.c_str(), &st) != 0) {
    return 0;
  }
  return static_cast<int64_t>(st.f_blocks) * static_cast<int64_t>(st.f_frsize);
}

}  // namespace

int main(int argc, char** argv) {
  capstan::BlockStopSignals();
  CLI::App app{"capstan-csi-hostpath: a CSI driver of directory volumes on this node"};
  std::string name = "hostpath.csi.capstan.io";
  std::string endpoint = "unix:///var/lib/kubelet/plugins/hostpath.csi.capstan.io/csi.sock";
  std::string root = "/var/lib/capstan-csi-hostpath";
  std::string node_id = HostName();
  std::string capacity_text;
  std::string registration_dir;
  std::string kubeconfig;
  std::string log_level = "info";
  app.add_option("--driver-name", name, "the CSI driver's name");
  app.add_option("--endpoint", endpoint, "the CSI socket");
  app.add_option("--root", root, "where volumes, snapshots and state live");
  app.add_option("--node-id", node_id, "this node's name (default: the host name)");
  app.add_option("--capacity", capacity_text,
                 "bytes all volumes together may take, as a quantity (default: the size of "
                 "the filesystem holding --root)");
  app.add_option("--registration-dir", registration_dir,
                 "the kubelet's plugins_registry directory to register in ('' : do not)");
  app.add_option("--kubeconfig", kubeconfig,
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
  auto volumes = capstan::csi::hostpath::Volumes::Open({root, node_id, capacity});
  if (!volumes) {
    std::fprintf(stderr, "capstan-csi-hostpath: %s\n", volumes.error().message().c_str());
    return 1;
  }

  capstan::csi::IdentityService identity({name, "0.1.0", true, true, true});
  auto controller = capstan::csi::hostpath::NewControllerService(*volumes);
  auto node = capstan::csi::hostpath::NewNodeService(*volumes);
  auto server = capstan::csi::ServeUnix(endpoint, {&identity, controller.get(), node.get()});
  if (!server) {
    kLog.Error("serving CSI", {{"error", server.error().message()}});
    return 1;
  }
  std::unique_ptr<capstan::csi::RegistrationService> registration;
  std::unique_ptr<grpc::Server> registration_server;
  if (!registration_dir.empty()) {
    registration = std::make_unique<capstan::csi::RegistrationService>(name, endpoint);
    auto reg = capstan::csi::ServeUnix(capstan::csi::RegistrationSocket(registration_dir, name),
                                       {registration.get()});
    if (!reg) {
      kLog.Error("serving plugin registration", {{"error", reg.error().message()}});
      return 1;
    }
    registration_server = std::move(*reg);
  }
  // The provisioner beside the driver, as external-provisioner runs beside upstream drivers.
  std::unique_ptr<api::k8s::client::RestApiClient> api;
  std::unique_ptr<capstan::csi::Provisioner> provisioner;
  RealClock clock;
  if (!kubeconfig.empty()) {
    auto client = api::k8s::client::RestApiClient::FromKubeconfig(kubeconfig);
    if (!client) {
      kLog.Error("reading the kubeconfig", {{"error", client.error().message()}});
      return 2;
    }
    api = std::move(*client);
    capstan::csi::CsiDriverSpec spec{name};
    spec.lifecycle_modes = {"Persistent", "Ephemeral"};
    if (auto st = capstan::csi::EnsureCsiDriver(api.get(), spec); !st) {
      kLog.Warn("publishing the CSIDriver object", {{"error", st.error().message()}});
    }
    auto stub = ::csi::v1::Controller::NewStub(grpc::CreateChannel(
        "unix://" + capstan::csi::SocketPath(endpoint), grpc::InsecureChannelCredentials()));
    provisioner = std::make_unique<capstan::csi::Provisioner>(
        api.get(), std::shared_ptr<::csi::v1::Controller::StubInterface>(std::move(stub)),
        capstan::csi::ProvisionerOptions{name, node_id}, &clock);
    provisioner->Start();
  }
  kLog.Info("serving CSI", {{"driver", name},
                            {"endpoint", endpoint},
                            {"node", node_id},
                            {"capacity", std::to_string(capacity)}});
  NotifyReady("serving CSI on " + endpoint);
  kLog.Info("shutting down", {{"signal", WaitForStopSignal()}});
  NotifyStopping();
  if (provisioner) provisioner->Stop();
  if (registration_server) {
    registration_server->Shutdown(std::chrono::system_clock::now());
    ::unlink(capstan::csi::RegistrationSocket(registration_dir, name).c_str());
  }
  (*server)->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  return 0;
}
