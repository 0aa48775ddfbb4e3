#include "csi/lib/serve_driver.h"

#include <unistd.h>

#include "api/k8s/client/rest_api_client.h"
#include "common/log.h"
#include "common/sd_notify.h"
#include "common/stop_signals.h"
#include "csi/lib/registration.h"
#include "csi/lib/server.h"
#include "csi/provisioner/provisioner.h"

namespace capstan::csi {
namespace {
const log::Logger kLog("csi-driver");
}

int ServeDriver(const ServeOptions& o, const std::vector<grpc::Service*>& services) {
  auto server = ServeUnix(o.endpoint, services);
  if (!server) {
    kLog.Error("serving CSI", {{"error", server.error().message()}});
    return 1;
  }
  std::unique_ptr<RegistrationService> registration;
  std::unique_ptr<grpc::Server> registration_server;
  if (!o.registration_dir.empty()) {
    registration = std::make_unique<RegistrationService>(o.driver.name, o.endpoint);
    auto reg =
        ServeUnix(RegistrationSocket(o.registration_dir, o.driver.name), {registration.get()});
    if (!reg) {
      kLog.Error("serving plugin registration", {{"error", reg.error().message()}});
      return 1;
    }
    registration_server = std::move(*reg);
  }
  // The provisioner beside the driver, as external-provisioner runs beside upstream drivers.
  std::unique_ptr<api::k8s::client::RestApiClient> api;
  std::unique_ptr<Provisioner> provisioner;
  RealClock clock;
  if (!o.kubeconfig.empty()) {
    auto client = api::k8s::client::RestApiClient::FromKubeconfig(o.kubeconfig);
    if (!client) {
      kLog.Error("reading the kubeconfig", {{"error", client.error().message()}});
      return 2;
    }
    api = std::move(*client);
    if (auto st = EnsureCsiDriver(api.get(), o.driver); !st) {
      kLog.Warn("publishing the CSIDriver object", {{"error", st.error().message()}});
    }
    auto stub = ::csi::v1::Controller::NewStub(grpc::CreateChannel(
        "unix://" + SocketPath(o.endpoint), grpc::InsecureChannelCredentials()));
    provisioner = std::make_unique<Provisioner>(
        api.get(), std::shared_ptr<::csi::v1::Controller::StubInterface>(std::move(stub)),
        ProvisionerOptions{o.driver.name, o.provision_node}, &clock);
    provisioner->Start();
  }
  kLog.Info("serving CSI", {{"driver", o.driver.name}, {"endpoint", o.endpoint}});
  NotifyReady("serving CSI on " + o.endpoint);
  kLog.Info("shutting down", {{"signal", WaitForStopSignal()}});
  NotifyStopping();
  if (provisioner) provisioner->Stop();
  if (registration_server) {
    registration_server->Shutdown(std::chrono::system_clock::now());
    ::unlink(RegistrationSocket(o.registration_dir, o.driver.name).c_str());
  }
  (*server)->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  return 0;
}

}  // namespace capstan::csi
