#pragma once
// What capstan's CRI gRPC server and client agree on beyond the runtime.v1 protos. Other
// runtimes and clients ignore it, so both sides stay wire-compatible with the ecosystem.

namespace capstan::api::cri {

// Initial metadata a GetContainerEvents stream sends once the runtime has subscribed the
// caller: the client knows no event is missed from then on without waiting for the first
// event (containerd and CRI-O send none; their first event says the same).
inline constexpr char kEventsSubscribedMetadata[] = "capstan-events-subscribed";

}  // namespace capstan::api::cri
