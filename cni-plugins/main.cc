// capstan-cni: capstan's CNI plugins in one executable, run through a link named after the
// plugin type (bin/cni/bridge -> capstan-cni). One binary keeps the install small, and lets
// the bridge plugin run its IPAM delegate in process when CNI_PATH resolves "host-local" to
// this same executable (lib/delegate.h).
#include <array>

#include "cni-plugins/bridge/bridge.h"
#include "cni-plugins/host-local/host_local.h"
#include "cni-plugins/lib/skel.h"
#include "cni-plugins/loopback/loopback.h"
#include "cni-plugins/portmap/portmap.h"

namespace {

using capstan::cni::Builtin;

// Every plugin this executable contains, by the type name it is run as.
constexpr std::array<Builtin, 4> kBuiltins = {{
    {"bridge", capstan::cni::bridge::BridgePlugin},
    {"host-local", capstan::cni::host_local::HostLocalPlugin},
    {"loopback", capstan::cni::loopback::LoopbackPlugin},
    {"portmap", capstan::cni::portmap::PortmapPlugin},
}};

}  // namespace

int main(int argc, char** argv) { return capstan::cni::MultiCallMain(kBuiltins, argc, argv); }
