#include "kubelet/prober/prober.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/log.h"
#include "kubelet/container/helpers.h"

namespace capstan::kubelet::prober {
namespace {
const log::Logger kLog("prober");
// Probes that could not run are retried this many times before giving up for the period.
constexpr int kMaxProbeRetries = 3;
}  // namespace

Result<ProbeResult> Prober::Probe(ProbeType type, const api::k8s::Pod& pod,
                                  const api::k8s::Container& c, const std::string& container_id,
                                  const std::string& pod_ip) {
  const std::optional<api::k8s::Probe>& probe = type == ProbeType::kLiveness    ? c.liveness_probe
                                                : type == ProbeType::kReadiness ? c.readiness_probe
                                                                                : c.startup_probe;
  if (!probe) {
    return ProbeResult::kSuccess;
  }
  Result<ProbeResult> r = ProbeResult::kUnknown;
  std::string detail;
  for (int i = 0; i < kMaxProbeRetries; ++i) {
    detail.clear();
    r = RunOnce(*probe, c, container_id, pod_ip, &detail);
    if (r) {
      break;
    }
  }
  if (!r) {
    kLog.Warn("probe errored", {{"type", ProbeTypeName(type)},
                                {"pod", pod.metadata.name},
                                {"container", c.name},
                                {"error", r.error().message()}});
  } else if (*r == ProbeResult::kFailure) {
    kLog.Info("probe failed", {{"type", ProbeTypeName(type)},
                               {"pod", pod.metadata.name},
                               {"container", c.name},
                               {"detail", detail}});
    if (deps_.recorder) {
      deps_.recorder->PodEvent(pod, events::ContainerFieldPath(pod, c.name), events::kWarning,
                               "Unhealthy",
                               fmt::format("{} probe failed: {}", ProbeTypeName(type), detail));
    }
  }
  return r;
}

Result<ProbeResult> Prober::RunOnce(const api::k8s::Probe& probe, const api::k8s::Container& c,
                                    const std::string& container_id, const std::string& pod_ip,
                                    std::string* detail) {
  auto timeout = std::chrono::seconds(std::max(probe.timeout_seconds, 1));
  const auto& h = probe.handler;
  if (h.exec) {
    api::cri::v1::ExecSyncRequest req;
    req.set_container_id(container_id);
    for (const auto& arg : h.exec->command) {
      req.add_cmd(arg);
    }
    req.set_timeout(timeout.count());
    auto resp = deps_.runtime->ExecSync(req);
    if (!resp) {
      // A command that outlives its timeout is a failed probe, not a broken prober.
      if (resp.error().code() == Code::kDeadlineExceeded) {
        *detail = fmt::format("command {:?} timed out", fmt::join(h.exec->command, " "));
        return ProbeResult::kFailure;
      }
      return Fail(resp.error());
    }
    *detail = resp->stdout() + resp->stderr();  // the output, as upstream reports it
    return resp->exit_code() == 0 ? ProbeResult::kSuccess : ProbeResult::kFailure;
  }
  if (h.http_get) {
    if (!deps_.http) {
      return Fail(Code::kUnimplemented, "httpGet probes are not available");
    }
    CAPSTAN_ASSIGN_OR_RETURN(int port, container::ResolvePort(h.http_get->port, c));
    util::HttpRequest req;
    req.scheme = h.http_get->scheme.empty() ? "HTTP" : h.http_get->scheme;
    req.host = h.http_get->host.empty() ? pod_ip : h.http_get->host;
    req.port = port;
    req.path = h.http_get->path.empty() ? "/" : h.http_get->path;
    for (const auto& hh : h.http_get->http_headers) {
      req.headers.emplace_back(hh.name, hh.value);
    }
    req.timeout = timeout;
    auto resp = deps_.http->Get(req);
    if (!resp) {
      if (resp.error().code() == Code::kUnimplemented) {
        return Fail(resp.error());
      }
      *detail = fmt::format("Get \"{}://{}:{}{}\": {}", req.scheme == "HTTPS" ? "https" : "http",
                            req.host, req.port, req.path, resp.error().message());
      return ProbeResult::kFailure;  // refused, reset, timed out
    }
    if (resp->status >= 200 && resp->status < 400) return ProbeResult::kSuccess;
    *detail = fmt::format("HTTP probe failed with statuscode: {}", resp->status);
    return ProbeResult::kFailure;
  }
  if (h.tcp_socket) {
    CAPSTAN_ASSIGN_OR_RETURN(int port, container::ResolvePort(h.tcp_socket->port, c));
    std::string host = h.tcp_socket->host.empty() ? pod_ip : h.tcp_socket->host;
    auto dialed = deps_.tcp_dial(host, port, timeout);
    if (dialed) return ProbeResult::kSuccess;
    *detail = fmt::format("dial tcp {}:{}: {}", host, port, dialed.error().message());
    return ProbeResult::kFailure;
  }
  if (h.grpc) {
    if (!deps_.grpc) {
      return Fail(Code::kUnimplemented, "grpc probes are not available yet");
    }
    auto serving = deps_.grpc->Check(pod_ip, h.grpc->port, h.grpc->service.value_or(""), timeout);
    if (!serving) {
      *detail = fmt::format("timeout: failed to connect service \"{}:{}\": {}", pod_ip,
                            h.grpc->port, serving.error().message());
      return ProbeResult::kFailure;
    }
    if (!*serving) *detail = "service unhealthy (responded with \"NOT_SERVING\")";
    return *serving ? ProbeResult::kSuccess : ProbeResult::kFailure;
  }
  return Fail(Code::kInvalidArgument, "probe has no action");
}

}  // namespace capstan::kubelet::prober
