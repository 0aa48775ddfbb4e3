#include "cri/runtime/records.h"

#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

namespace capstan::cri::runtime {
namespace {

using nlohmann::json;

json ProtoToJson(const google::protobuf::Message& m) {
  std::string text;
  (void)google::protobuf::util::MessageToJsonString(m, &text);
  return json::parse(text);
}

Status ProtoFromJson(const json& j, google::protobuf::Message* m) {
  auto st = google::protobuf::util::JsonStringToMessage(j.dump(), m);
  if (!st.ok()) {
    return Fail(Code::kInvalidArgument, "record config: {}", st.ToString());
  }
  return Ok();
}

}  // namespace

std::string SandboxToJson(const SandboxRecord& r) {
  json j{{"id", r.id},
         {"config", ProtoToJson(r.config)},
         {"runtime_handler", r.runtime_handler},
         {"state", static_cast<int>(r.state)},
         {"created_at", r.created_at},
         {"netns", r.netns},
         {"ipcns", r.ipcns},
         {"utsns", r.utsns},
         {"shm", r.shm},
         {"ip", r.ip},
         {"additional_ips", r.additional_ips},
         {"network_ready", r.network_ready},
         {"pid_init", r.pid_init},
         {"pid_init_start", r.pid_init_start}};
  return j.dump(1);
}

Result<std::shared_ptr<SandboxRecord>> SandboxFromJson(std::string_view text) {
  try {
    json j = json::parse(text);
    auto r = std::make_shared<SandboxRecord>();
    r->id = j.at("id");
    CAPSTAN_TRY(ProtoFromJson(j.at("config"), &r->config));
    r->runtime_handler = j.value("runtime_handler", "");
    r->state = static_cast<v1::PodSandboxState>(j.value("state", 1));
    r->created_at = j.value("created_at", int64_t{0});
    r->netns = j.value("netns", "");
    r->ipcns = j.value("ipcns", "");
    r->utsns = j.value("utsns", "");
    r->shm = j.value("shm", "");
    r->ip = j.value("ip", "");
    r->additional_ips = j.value("additional_ips", std::vector<std::string>{});
    r->network_ready = j.value("network_ready", false);
    r->pid_init = j.value("pid_init", pid_t{0});
    r->pid_init_start = j.value("pid_init_start", uint64_t{0});
    return r;
  } catch (const json::exception& e) {
    return Fail(Code::kInvalidArgument, "sandbox record: {}", e.what());
  }
}

std::string ContainerToJson(const ContainerRecord& r) {
  json j{{"id", r.id},
         {"sandbox_id", r.sandbox_id},
         {"config", ProtoToJson(r.config)},
         {"image_id", r.image_id},
         {"image_ref", r.image_ref},
         {"state", static_cast<int>(r.state)},
         {"created_at", r.created_at},
         {"started_at", r.started_at},
         {"finished_at", r.finished_at},
         {"exit_code", r.exit_code},
         {"reason", r.reason},
         {"message", r.message},
         {"pid", r.pid},
         {"monitor_pid", r.monitor_pid},
         {"monitor_start_time", r.monitor_start_time},
         {"log_path", r.log_path},
         {"cgroup_path", r.cgroup_path},
         {"stop_signal", r.stop_signal}};
  return j.dump(1);
}

Result<std::shared_ptr<ContainerRecord>> ContainerFromJson(std::string_view text) {
  try {
    json j = json::parse(text);
    auto r = std::make_shared<ContainerRecord>();
    r->id = j.at("id");
    r->sandbox_id = j.at("sandbox_id");
    CAPSTAN_TRY(ProtoFromJson(j.at("config"), &r->config));
    r->image_id = j.value("image_id", "");
    r->image_ref = j.value("image_ref", "");
    r->state = static_cast<v1::ContainerState>(j.value("state", 3));
    r->created_at = j.value("created_at", int64_t{0});
    r->started_at = j.value("started_at", int64_t{0});
    r->finished_at = j.value("finished_at", int64_t{0});
    r->exit_code = j.value("exit_code", 0);
    r->reason = j.value("reason", "");
    r->message = j.value("message", "");
    r->pid = j.value("pid", 0);
    r->monitor_pid = j.value("monitor_pid", 0);
    r->monitor_start_time = j.value("monitor_start_time", uint64_t{0});
    r->log_path = j.value("log_path", "");
    r->cgroup_path = j.value("cgroup_path", "");
    r->stop_signal = j.value("stop_signal", "");
    return r;
  } catch (const json::exception& e) {
    return Fail(Code::kInvalidArgument, "container record: {}", e.what());
  }
}

}  // namespace capstan::cri::runtime
