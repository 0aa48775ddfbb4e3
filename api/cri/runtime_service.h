#pragma once
// The CRI as a C++ interface, as k8s.io/cri-api holds it for Go: capstan-cri implements it,
// the gRPC server adapts it onto the wire, the kubelet consumes it through a gRPC client, and
// tests use the in-memory fake (api/cri/testing). Messages are the runtime.v1 protos.
// Every method is thread-safe; unimplemented RPCs answer Unimplemented.

#include <functional>

#include "api/cri/runtime/v1/api.pb.h"
#include "common/cancel.h"
#include "common/error.h"

namespace capstan::api::cri {

namespace v1 = ::runtime::v1;

// Unary RuntimeService RPCs: X(Name) for rpc Name(NameRequest) returns (NameResponse).
#define CAPSTAN_CRI_RUNTIME_RPCS(X)                                                                \
  X(Version)                                                                                       \
  X(RunPodSandbox) X(StopPodSandbox) X(RemovePodSandbox) X(PodSandboxStatus) X(ListPodSandbox)     \
      X(CreateContainer) X(StartContainer) X(StopContainer) X(RemoveContainer) X(ListContainers)   \
          X(ContainerStatus) X(UpdateContainerResources) X(ReopenContainerLog) X(ExecSync) X(Exec) \
              X(Attach) X(PortForward) X(ContainerStats) X(ListContainerStats) X(PodSandboxStats)  \
                  X(ListPodSandboxStats) X(UpdateRuntimeConfig) X(Status) X(CheckpointContainer)   \
                      X(ListMetricDescriptors) X(ListPodSandboxMetrics) X(RuntimeConfig)

#define CAPSTAN_CRI_IMAGE_RPCS(X) \
  X(ListImages) X(ImageStatus) X(PullImage) X(RemoveImage) X(ImageFsInfo)

#define CAPSTAN_CRI_DECLARE_RPC(name)                                         \
  virtual Result<v1::name##Response> name(const v1::name##Request& request) { \
    return Fail(Code::kUnimplemented, "{} is not implemented", #name);        \
  }

// Receives one event of a GetContainerEvents stream; returning false ends the stream.
using ContainerEventSink = std::function<bool(const v1::ContainerEventResponse&)>;

class RuntimeService {
 public:
  virtual ~RuntimeService() = default;
  CAPSTAN_CRI_RUNTIME_RPCS(CAPSTAN_CRI_DECLARE_RPC)

  // rpc GetContainerEvents(GetEventsRequest) returns (stream ContainerEventResponse).
  // Blocks the calling thread, handing each event to `sink` in order, until:
  //   - `cancel` is cancelled or `sink` returns false: Ok;
  //   - the stream breaks (runtime gone, or this subscriber fell behind and the runtime
  //     dropped its events: ResourceExhausted): an error. Events may have been missed, so the
  //     caller relists before it trusts the stream again.
  // `on_connected` (may be empty) runs on the calling thread once the runtime has accepted
  // the subscription: every change after that point reaches `sink`. Runtimes that do not
  // say so up front (containerd) only confirm it with their first event.
  // Runtimes without events (older containerd) answer Unimplemented.
  virtual ::capstan::Status GetContainerEvents(const v1::GetEventsRequest& request,
                                               const ContainerEventSink& sink,
                                               const CancelToken& cancel,
                                               const std::function<void()>& on_connected) {
    return Fail(Code::kUnimplemented, "GetContainerEvents is not implemented");
  }
};

class ImageService {
 public:
  virtual ~ImageService() = default;
  CAPSTAN_CRI_IMAGE_RPCS(CAPSTAN_CRI_DECLARE_RPC)
};

}  // namespace capstan::api::cri
