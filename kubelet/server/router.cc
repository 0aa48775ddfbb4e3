#include "kubelet/server/router.h"

#include <charconv>
#include <vector>

#include "api/k8s/codec.h"
#include "api/k8s/validation.h"
#include "cadvisor-lite/metrics_text.h"
#include "common/log.h"
#include "kubelet/server/kubelet_metrics.h"
#include "kubelet/server/log_query.h"

namespace capstan::kubelet::server {

namespace {

const log::Logger kLog("kubelet-server");

HttpResponse Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse NotFound() { return Text(404, "404 page not found\n"); }

HttpResponse PodList(const std::vector<api::k8s::Pod>& pods) {
  api::k8s::Json items = api::k8s::Json::array();
  for (const auto& p : pods) {
    items.push_back(api::k8s::EncodePod(p));
  }
  api::k8s::Json list = {{"kind", "PodList"},
                         {"apiVersion", "v1"},
                         {"metadata", api::k8s::Json::object()},
                         {"items", std::move(items)}};
  HttpResponse r;
  r.content_type = "application/json";
  // Names and messages come from manifests and the runtime: never fail on bad UTF-8.
  r.body = list.dump(-1, ' ', false, api::k8s::Json::error_handler_t::replace);
  return r;
}

// The path's segments, %-decoded: "/a/b%2Fc/" -> {"a", "b/c"} (one trailing slash ignored).
Result<std::vector<std::string>> Segments(std::string_view path) {
  std::vector<std::string> out;
  path.remove_prefix(1);
  if (!path.empty() && path.back() == '/') {
    path.remove_suffix(1);
  }
  while (true) {
    size_t slash = path.find('/');
    CAPSTAN_ASSIGN_OR_RETURN(std::string seg, PercentDecode(path.substr(0, slash), false));
    out.push_back(std::move(seg));
    if (slash == std::string_view::npos) {
      return out;
    }
    path.remove_prefix(slash + 1);
  }
}

}  // namespace

Router::Router(HostInterface* host, RouterOptions options)
    : host_(host), options_(std::move(options)) {}

HttpResponse Router::Handle(std::string_view method, std::string_view target,
                            const std::optional<PeerCertificate>& peer, bool upgrade) const {
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  if (path.empty() || path[0] != '/') {
    return Text(400, "bad request target\n");
  }
  if (options_.authorizer) {
    auto user = Authenticate(options_.authentication, peer);
    if (!user) {
      return Text(401, "Unauthorized");
    }
    RequestAttributes attrs = AttributesFor(method, path, *user, options_.node_name);
    Decision d = options_.authorizer->Authorize(attrs);
    if (!d.allowed) {
      kLog.Debug("forbidden", {{"user", attrs.user.name}, {"path", path}, {"reason", d.reason}});
      return Text(403, ForbiddenMessage(attrs, d.reason));
    }
  }
  return Route(method, path, query, upgrade);
}

HttpResponse Router::Route(std::string_view method, std::string_view path, std::string_view query,
                           bool upgrade) const {
  auto segs = Segments(path);
  if (!segs) {
    return Text(400, segs.error().message());
  }
  const auto& s = *segs;
  bool streaming = !s.empty() && (s[0] == "exec" || s[0] == "attach" || s[0] == "portForward");
  if (options_.endpoints == Endpoints::kAll && (streaming || (!s.empty() && s[0] == "run"))) {
    if (method != "GET" && method != "POST") {
      return Text(405, "Method Not Allowed");
    }
    if (s[0] == "run") {
      return method == "POST" ? Run(s, query) : Text(405, "Method Not Allowed");
    }
    return Stream(s, query, upgrade);
  }
  if (method != "GET") {
    return Text(405, "Method Not Allowed");
  }
  if (s.size() == 1 && s[0] == "healthz") {
    return Text(200, "ok");
  }
  if (options_.endpoints == Endpoints::kHealthzOnly) {
    return NotFound();
  }
  if (s.size() == 1 && s[0] == "pods") {
    return Pods();
  }
  if (s.size() == 2 && s[0] == "stats" && s[1] == "summary") {
    return StatsSummary(query);
  }
  if (s.size() == 2 && s[0] == "metrics" && s[1] == "resource") {
    return ResourceMetrics();
  }
  if (s.size() == 2 && s[0] == "metrics" && s[1] == "cadvisor") {
    return CadvisorMetrics();
  }
  if (s.size() == 1 && s[0] == "metrics") {
    return Prometheus(KubeletMetricsText(options_.node_name, host_->GetPods()));
  }
  if (options_.endpoints == Endpoints::kReadOnly) {
    return NotFound();
  }
  if (s.size() == 1 && s[0] == "runningpods") {
    return RunningPods();
  }
  if (s.size() == 4 && s[0] == "containerLogs") {
    return ContainerLogs(s[1], s[2], s[3], query);
  }
  return NotFound();
}

namespace {

// Every value of `key` in a query string (command=sh&command=-c...), decoded.
std::vector<std::string> QueryValues(std::string_view query, std::string_view key) {
  std::vector<std::string> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    auto name = PercentDecode(pair.substr(0, eq), true);
    if (name && *name == key) {
      auto value = PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
      if (value) out.push_back(std::move(*value));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

// A stream flag as upstream reads it: "1" or "true".
bool QueryFlag(std::string_view query, std::string_view key) {
  auto v = QueryValues(query, key);
  return !v.empty() && (v.back() == "1" || v.back() == "true");
}

int StatusFor(const Error& e) {
  switch (e.code()) {
    case Code::kNotFound: return 404;
    case Code::kInvalidArgument: return 400;
    case Code::kFailedPrecondition: return 400;
    default: return 500;
  }
}

}  // namespace

// /exec, /attach and /portForward: the runtime's URL for it, which the connection is then
// relayed to (upstream proxies rather than redirects since 1.20; so do we).
HttpResponse Router::Stream(const std::vector<std::string>& s, std::string_view query,
                            bool upgrade) const {
  StreamRequest r;
  bool port_forward = s[0] == "portForward";
  // /exec/ns/pod/container or /exec/ns/pod/uid/container; /portForward/ns/pod[/uid].
  size_t want_min = port_forward ? 3 : 4, want_max = want_min + 1;
  if (s.size() < want_min || s.size() > want_max) {
    return NotFound();
  }
  r.kind = s[0] == "exec"     ? StreamRequest::Kind::kExec
           : s[0] == "attach" ? StreamRequest::Kind::kAttach
                              : StreamRequest::Kind::kPortForward;
  r.ns = s[1];
  r.pod = s[2];
  if (!port_forward) {
    r.container = s.back();
    if (s.size() == want_max) r.uid = s[3];
  } else if (s.size() == want_max) {
    r.uid = s[3];
  }
  if (!api::k8s::IsDnsLabel(r.ns) || !api::k8s::IsDnsSubdomain(r.pod)) {
    return Text(404, fmt::format("pod {:?} does not exist", r.pod));
  }
  if (!port_forward && !api::k8s::IsDnsLabel(r.container)) {
    return Text(404, fmt::format("container {:?} not found in pod {:?}", r.container, r.pod));
  }
  if (port_forward) {
    for (const auto& p : QueryValues(query, "port")) {
      int port = 0;
      auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
      if (ec != std::errc() || end != p.data() + p.size() || port <= 0 || port > 65535) {
        return Text(400, fmt::format("invalid port {:?}", p));
      }
      r.ports.push_back(port);
    }
  } else {
    r.cmd = QueryValues(query, "command");
    r.tty = QueryFlag(query, "tty");
    r.stdin = QueryFlag(query, "input");
    r.stdout = QueryFlag(query, "output");
    // With a terminal, stderr is the terminal too (upstream's NewOptions drops it).
    r.stderr = QueryFlag(query, "error") && !r.tty;
    if (!r.stdin && !r.stdout && !r.stderr) {
      return Text(400, "you must specify at least 1 of stdin, stdout, stderr");
    }
    if (r.kind == StreamRequest::Kind::kExec && r.cmd.empty()) {
      return Text(400, "you must specify a command");
    }
  }
  if (!upgrade) {
    return Text(400, "Upgrade request required");
  }
  auto url = host_->GetStreamingUrl(r);
  if (!url) {
    return Text(StatusFor(url.error()), url.error().message());
  }
  HttpResponse resp;
  resp.proxy_url = std::move(*url);
  return resp;
}

HttpResponse Router::Run(const std::vector<std::string>& s, std::string_view query) const {
  if (s.size() != 4 && s.size() != 5) {
    return NotFound();
  }
  std::vector<std::string> cmd = QueryValues(query, "cmd");
  if (cmd.size() == 1) {
    // ?cmd=ls -l: upstream splits a single value on spaces.
    std::string one = cmd[0];
    cmd.clear();
    size_t at = 0;
    while (at < one.size()) {
      size_t sp = one.find(' ', at);
      if (sp == std::string::npos) sp = one.size();
      if (sp > at) cmd.push_back(one.substr(at, sp - at));
      at = sp + 1;
    }
  }
  if (cmd.empty()) {
    return Text(400, "you must specify a command");
  }
  if (!api::k8s::IsDnsLabel(s[1]) || !api::k8s::IsDnsSubdomain(s[2]) ||
      !api::k8s::IsDnsLabel(s.back())) {
    return NotFound();
  }
  auto out = host_->RunInContainer(s[1], s[2], s.size() == 5 ? s[3] : "", s.back(), cmd);
  if (!out) {
    return Text(StatusFor(out.error()), out.error().message());
  }
  return Text(200, std::move(*out));
}

HttpResponse Router::Prometheus(std::string text) {
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = std::move(text);
  return r;
}

HttpResponse Router::Pods() const { return PodList(host_->GetPods()); }

HttpResponse Router::StatsSummary(std::string_view query) const {
  // ?only_cpu_and_memory=true: what metrics-server asked for before /metrics/resource.
  bool only_cpu_and_memory = query.find("only_cpu_and_memory=true") != std::string_view::npos;
  auto summary = host_->GetSummary(only_cpu_and_memory, nullptr);
  if (!summary) {
    kLog.Warn("stats summary", {{"error", summary.error().message()}});
    return Text(500, summary.error().message());
  }
  HttpResponse r;
  r.content_type = "application/json";
  r.body = cadvisor::SummaryToJson(*summary).dump(-1, ' ', false,
                                                  nlohmann::json::error_handler_t::replace);
  return r;
}

HttpResponse Router::ResourceMetrics() const {
  bool incomplete = false;
  auto summary = host_->GetSummary(true, &incomplete);
  if (!summary) {
    kLog.Warn("resource metrics", {{"error", summary.error().message()}});
    return Text(500, summary.error().message());
  }
  return Prometheus(cadvisor::ResourceMetricsText(*summary, incomplete));
}

HttpResponse Router::CadvisorMetrics() const {
  auto summary = host_->GetSummary(false, nullptr);
  if (!summary) {
    kLog.Warn("cadvisor metrics", {{"error", summary.error().message()}});
    return Text(500, summary.error().message());
  }
  return Prometheus(cadvisor::CadvisorMetricsText(*summary));
}

HttpResponse Router::RunningPods() const {
  auto pods = host_->GetRunningPods();
  if (!pods) {
    kLog.Warn("listing running pods", {{"error", pods.error().message()}});
    return Text(500, pods.error().message());
  }
  return PodList(*pods);
}

HttpResponse Router::ContainerLogs(const std::string& ns, const std::string& pod,
                                   const std::string& container, std::string_view query) const {
  const Clock& clock = options_.clock ? *options_.clock : real_clock_;
  auto req = ParseLogQuery(query, clock.Now());
  if (!req) {
    int status = req.error().code() == Code::kFailedPrecondition ? 422 : 400;
    return Text(status, req.error().message());
  }
  // Names go to the host only once they are valid Kubernetes names; anything else (dots,
  // slashes, NULs) cannot name a pod and gets the same answer as an unknown one.
  if (!api::k8s::IsDnsLabel(ns) || !api::k8s::IsDnsSubdomain(pod)) {
    return Text(404, fmt::format("pod {:?} does not exist", pod));
  }
  if (!api::k8s::IsDnsLabel(container)) {
    return Text(404, fmt::format("container {:?} not found in pod {:?}", container, pod));
  }
  auto target = host_->ContainerLog(ns, pod, container, req->previous);
  if (!target) {
    return Text(target.error().code() == Code::kNotFound ? 404 : 400, target.error().message());
  }
  logs::FollowOptions follow;
  if (req->options.follow) {
    follow.container_running =
        target->is_running ? target->is_running : std::function<bool()>([] { return false; });
    follow.clock = options_.clock;
    follow.running_check_period = options_.running_check_period;
  }
  auto reader = logs::LogReader::Open(target->path, req->options, std::move(follow));
  if (!reader) {
    kLog.Warn(
        "opening a container log",
        {{"pod", ns + "/" + pod}, {"container", container}, {"error", reader.error().message()}});
    return Text(400, reader.error().message());
  }
  HttpResponse r;
  r.stream = std::move(*reader);
  return r;
}

}  // namespace capstan::kubelet::server
