#include "kubelet/kuberuntime/hooks.h"

#include <fmt/ranges.h>

#include <thread>

#include "common/log.h"
#include "kubelet/container/helpers.h"

namespace capstan::kubelet::kuberuntime {
namespace {
const log::Logger kLog("kubelet");
}  // namespace

HandlerRunner::HandlerRunner(api::cri::RuntimeService* runtime, util::HttpGetter* http,
                             Sleeper sleep)
    : runtime_(runtime), http_(http), sleep_(std::move(sleep)) {
  if (!sleep_) {
    sleep_ = [](std::chrono::seconds s) { std::this_thread::sleep_for(s); };
  }
}

Status HandlerRunner::Run(const std::string& container_id, const api::k8s::Pod& pod,
                          const api::k8s::Container& c, const api::k8s::LifecycleHandler& h,
                          const std::string& pod_ip, std::chrono::seconds timeout) {
  if (h.exec) {
    api::cri::v1::ExecSyncRequest req;
    req.set_container_id(container_id);
    for (const auto& arg : h.exec->command) {
      req.add_cmd(arg);
    }
    req.set_timeout(timeout.count());
    auto resp = runtime_->ExecSync(req);
    if (!resp) {
      return Fail(resp.error().Wrap("exec hook"));
    }
    if (resp->exit_code() != 0) {
      return Fail(Code::kFailedPrecondition, "command {:?} exited with {}: {}{}",
                  fmt::join(h.exec->command, " "), resp->exit_code(), resp->stdout(),
                  resp->stderr());
    }
    return Ok();
  }
  if (h.http_get) {
    if (!http_) {
      return Fail(Code::kUnimplemented, "httpGet hooks are not available");
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
    req.timeout = timeout.count() > 0 ? std::chrono::milliseconds(timeout)
                                      : std::chrono::milliseconds(std::chrono::minutes(2));
    auto resp = http_->Get(req);
    if (!resp) {
      return Fail(resp.error().Wrap("http hook"));
    }
    return Ok();
  }
  if (h.sleep) {
    sleep_(std::chrono::seconds(h.sleep->seconds));
    return Ok();
  }
  if (h.tcp_socket) {
    kLog.Warn("tcpSocket lifecycle handlers are deprecated and not run",
              {{"pod", pod.metadata.name}, {"container", c.name}});
    return Ok();
  }
  return Fail(Code::kInvalidArgument, "lifecycle handler has no action");
}

}  // namespace capstan::kubelet::kuberuntime
