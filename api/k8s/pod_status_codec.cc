// PodStatus <-> JSON: what the kubelet reports (and reads back from mirror pods later).
#include "api/k8s/codec.h"

namespace capstan::api::k8s {
namespace {

using Path = const std::string&;

void PutTime(Json& j, const char* key, const std::optional<WallTime>& t) {
  if (t) {
    j[key] = FormatTime(*t);
  }
}
void PutString(Json& j, const char* key, const std::string& v) {
  if (!v.empty()) {
    j[key] = v;
  }
}

Result<ContainerState> DecodeContainerState(const Json& j, Path path) {
  FieldReader r(j, path);
  ContainerState s;
  s.waiting = r.Object<ContainerStateWaiting>(
      "waiting", [](const Json& j, Path p) -> Result<ContainerStateWaiting> {
        FieldReader r(j, p);
        ContainerStateWaiting w{r.String("reason"), r.String("message")};
        CAPSTAN_TRY(r.Finish());
        return w;
      });
  s.running = r.Object<ContainerStateRunning>(
      "running", [](const Json& j, Path p) -> Result<ContainerStateRunning> {
        FieldReader r(j, p);
        ContainerStateRunning run{r.Time("startedAt")};
        CAPSTAN_TRY(r.Finish());
        return run;
      });
  s.terminated = r.Object<ContainerStateTerminated>(
      "terminated", [](const Json& j, Path p) -> Result<ContainerStateTerminated> {
        FieldReader r(j, p);
        ContainerStateTerminated t;
        t.exit_code = r.Int32("exitCode");
        t.signal = r.Int32("signal");
        t.reason = r.String("reason");
        t.message = r.String("message");
        t.started_at = r.Time("startedAt");
        t.finished_at = r.Time("finishedAt");
        t.container_id = r.String("containerID");
        CAPSTAN_TRY(r.Finish());
        return t;
      });
  CAPSTAN_TRY(r.Finish());
  return s;
}

Result<ContainerStatus> DecodeContainerStatus(const Json& j, Path path) {
  FieldReader r(j, path);
  ContainerStatus s;
  s.name = r.String("name");
  s.state = r.Object<ContainerState>("state", DecodeContainerState).value_or(ContainerState{});
  s.last_state =
      r.Object<ContainerState>("lastState", DecodeContainerState).value_or(ContainerState{});
  s.ready = r.Bool("ready");
  s.restart_count = r.Int32("restartCount");
  s.image = r.String("image");
  s.image_id = r.String("imageID");
  s.container_id = r.String("containerID");
  s.started = r.OptBool("started");
  CAPSTAN_TRY(r.Finish());
  return s;
}

Result<PodIP> DecodePodIP(const Json& j, Path path) {
  FieldReader r(j, path);
  PodIP ip{r.String("ip")};
  CAPSTAN_TRY(r.Finish());
  return ip;
}

Json EncodeContainerState(const ContainerState& s) {
  Json j = Json::object();
  if (s.waiting) {
    Json w = Json::object();
    PutString(w, "reason", s.waiting->reason);
    PutString(w, "message", s.waiting->message);
    j["waiting"] = w;
  }
  if (s.running) {
    Json run = Json::object();
    PutTime(run, "startedAt", s.running->started_at);
    j["running"] = run;
  }
  if (s.terminated) {
    const auto& t = *s.terminated;
    Json tj = {{"exitCode", t.exit_code}};
    if (t.signal != 0) {
      tj["signal"] = t.signal;
    }
    PutString(tj, "reason", t.reason);
    PutString(tj, "message", t.message);
    PutTime(tj, "startedAt", t.started_at);
    PutTime(tj, "finishedAt", t.finished_at);
    PutString(tj, "containerID", t.container_id);
    j["terminated"] = tj;
  }
  return j;
}

Json EncodeContainerStatus(const ContainerStatus& s) {
  Json j = {{"name", s.name},
            {"state", EncodeContainerState(s.state)},
            {"lastState", EncodeContainerState(s.last_state)},
            {"ready", s.ready},
            {"restartCount", s.restart_count},
            {"image", s.image},
            {"imageID", s.image_id}};
  PutString(j, "containerID", s.container_id);
  if (s.started) {
    j["started"] = *s.started;
  }
  return j;
}

}  // namespace

Result<PodStatus> DecodePodStatus(const Json& j, const std::string& path) {
  FieldReader r(j, path);
  PodStatus s;
  s.phase = r.String("phase");
  s.conditions =
      r.List<PodCondition>("conditions", [](const Json& j, Path p) -> Result<PodCondition> {
        FieldReader r(j, p);
        PodCondition c;
        c.type = r.String("type");
        c.status = r.String("status");
        c.last_probe_time = r.Time("lastProbeTime");
        c.last_transition_time = r.Time("lastTransitionTime");
        c.reason = r.String("reason");
        c.message = r.String("message");
        CAPSTAN_TRY(r.Finish());
        return c;
      });
  s.message = r.String("message");
  s.reason = r.String("reason");
  s.host_ip = r.String("hostIP");
  s.host_ips = r.List<PodIP>("hostIPs", DecodePodIP);
  s.pod_ip = r.String("podIP");
  s.pod_ips = r.List<PodIP>("podIPs", DecodePodIP);
  s.start_time = r.Time("startTime");
  s.nominated_node_name = r.String("nominatedNodeName");
  s.init_container_statuses =
      r.List<ContainerStatus>("initContainerStatuses", DecodeContainerStatus);
  s.container_statuses = r.List<ContainerStatus>("containerStatuses", DecodeContainerStatus);
  s.qos_class = r.String("qosClass");
  CAPSTAN_TRY(r.Finish());
  return s;
}

Json EncodePodStatus(const PodStatus& s) {
  Json j = Json::object();
  PutString(j, "phase", s.phase);
  if (!s.conditions.empty()) {
    Json conds = Json::array();
    for (const auto& c : s.conditions) {
      Json cj = {{"type", c.type}, {"status", c.status}};
      cj["lastProbeTime"] = c.last_probe_time ? Json(FormatTime(*c.last_probe_time)) : Json();
      PutTime(cj, "lastTransitionTime", c.last_transition_time);
      PutString(cj, "reason", c.reason);
      PutString(cj, "message", c.message);
      conds.push_back(cj);
    }
    j["conditions"] = conds;
  }
  PutString(j, "message", s.message);
  PutString(j, "reason", s.reason);
  PutString(j, "hostIP", s.host_ip);
  auto ips = [](const std::vector<PodIP>& v) {
    Json a = Json::array();
    for (const auto& ip : v) {
      a.push_back({{"ip", ip.ip}});
    }
    return a;
  };
  if (!s.host_ips.empty()) {
    j["hostIPs"] = ips(s.host_ips);
  }
  PutString(j, "podIP", s.pod_ip);
  if (!s.pod_ips.empty()) {
    j["podIPs"] = ips(s.pod_ips);
  }
  PutTime(j, "startTime", s.start_time);
  PutString(j, "nominatedNodeName", s.nominated_node_name);
  auto statuses = [](const std::vector<ContainerStatus>& v) {
    Json a = Json::array();
    for (const auto& cs : v) {
      a.push_back(EncodeContainerStatus(cs));
    }
    return a;
  };
  if (!s.init_container_statuses.empty()) {
    j["initContainerStatuses"] = statuses(s.init_container_statuses);
  }
  if (!s.container_statuses.empty()) {
    j["containerStatuses"] = statuses(s.container_statuses);
  }
  PutString(j, "qosClass", s.qos_class);
  return j;
}

}  // namespace capstan::api::k8s
