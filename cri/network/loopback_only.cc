#include "cri/network/network_plugin.h"

namespace capstan::cri::network {
namespace {

class LoopbackOnlyPlugin : public NetworkPlugin {
 public:
  Result<PodNetworkStatus> SetUpPod(const PodNetworkRequest&) override {
    return PodNetworkStatus{};
  }
  Status TearDownPod(const PodNetworkRequest&) override { return Ok(); }
  Status Ready() const override { return Ok(); }
};

}  // namespace

std::unique_ptr<NetworkPlugin> NewLoopbackOnlyPlugin() {
  return std::make_unique<LoopbackOnlyPlugin>();
}

}  // namespace capstan::cri::network
