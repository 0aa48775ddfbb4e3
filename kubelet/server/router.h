#pragma once
// Router: the kubelet API's endpoints, independent of the HTTP transport (http_server.h).
// Given a request line (and on the secure port, what TLS learned about the client) it
// authenticates, authorizes and answers, calling into the HostInterface:
//
//   GET /healthz                                     "ok"                      all ports
//   GET /pods                                        v1 PodList (JSON)         secure, read-only
//   GET /stats/summary                               stats Summary (JSON)      secure, read-only
//   GET /metrics, /metrics/resource, /metrics/cadvisor  Prometheus text        secure, read-only
//   GET /runningpods/                                v1 PodList from the CRI   secure
//   GET /containerLogs/{namespace}/{pod}/{container} the log (text, streamed)  secure
//       ?follow&previous&timestamps&tailLines=&limitBytes=&sinceSeconds=&sinceTime=
//   GET|POST /exec/{namespace}/{pod}[/{uid}]/{container}?command=..&input&output&error&tty
//   GET|POST /attach/{namespace}/{pod}[/{uid}]/{container}?input&output&error&tty
//   GET|POST /portForward/{namespace}/{pod}[/{uid}]?port=..
//                                                    upgrade, proxied to the runtime  secure
//   POST /run/{namespace}/{pod}[/{uid}]/{container}?cmd=..   the command's output    secure
//
// Errors are plain text, as upstream's: 401 "Unauthorized", 403 "Forbidden (...)", 404 for
// unknown paths, pods and containers, 400 for undecodable parameters, 422 for invalid ones
// (negative tailLines, both sinceTime and sinceSeconds, ...), 405 for methods other than GET.
// Handle is thread-safe and may block (it calls the host).

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"
#include "kubelet/logs/log_reader.h"
#include "kubelet/server/auth.h"
#include "kubelet/server/host.h"

namespace capstan::kubelet::server {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Set: the body is this log, streamed (chunked) until the reader ends.
  std::unique_ptr<logs::LogReader> stream;
  // Set: the client's (upgrade) request goes to this URL of the runtime's streaming server,
  // and the connection is relayed both ways from then on, as upstream's proxyStream does.
  std::string proxy_url;
};

enum class Endpoints {
  kHealthzOnly,  // the healthz port
  kReadOnly,     // the read-only port: /healthz, /pods, stats and metrics
  kAll,          // the secure port
};

struct RouterOptions {
  Endpoints endpoints = Endpoints::kAll;
  // Null: no authentication or authorization (the plain-HTTP ports).
  const Authorizer* authorizer = nullptr;
  AuthenticationConfig authentication;
  std::string node_name;
  const Clock* clock = nullptr;                          // for sinceSeconds (null: the real clock)
  std::chrono::milliseconds running_check_period{1000};  // while following logs
};

class Router {
 public:
  Router(HostInterface* host, RouterOptions options);

  // `target` is the request target ("/path?query"); `peer` is the verified-or-not client
  // certificate on TLS connections that presented one.
  // `upgrade`: the request asks to switch protocols (Connection: Upgrade), as exec, attach
  // and port-forward must.
  HttpResponse Handle(std::string_view method, std::string_view target,
                      const std::optional<PeerCertificate>& peer, bool upgrade = false) const;

 private:
  HttpResponse Route(std::string_view method, std::string_view path, std::string_view query,
                     bool upgrade) const;
  HttpResponse Stream(const std::vector<std::string>& segments, std::string_view query,
                      bool upgrade) const;
  HttpResponse Run(const std::vector<std::string>& segments, std::string_view query) const;
  HttpResponse Pods() const;
  HttpResponse RunningPods() const;
  HttpResponse StatsSummary(std::string_view query) const;
  HttpResponse ResourceMetrics() const;
  HttpResponse CadvisorMetrics() const;
  static HttpResponse Prometheus(std::string text);
  HttpResponse ContainerLogs(const std::string& ns, const std::string& pod,
                             const std::string& container, std::string_view query) const;

  HostInterface* host_;
  RouterOptions options_;
  RealClock real_clock_;
};

}  // namespace capstan::kubelet::server
