#include "kubelet/nodestatus/node_status.h"

#include <fmt/format.h>

#include "api/k8s/meta.h"
#include "api/k8s/quantity.h"

namespace capstan::kubelet::nodestatus {
namespace {

// A quantity from the config ("500m", "1Gi"), in base units (millicores for cpu).
int64_t Reserved(const NodeFacts& f, const char* resource, bool milli) {
  auto it = f.reserved.find(resource);
  if (it == f.reserved.end()) return 0;
  auto q = api::k8s::Quantity::Parse(it->second);
  if (!q) return 0;
  return milli ? q->MilliValue() : q->Value();
}

std::string Bytes(int64_t v) { return std::to_string(std::max<int64_t>(v, 0)); }

std::string Kibibytes(int64_t bytes) {
  // Memory is reported in Ki as upstream's cadvisor-derived capacity is.
  return std::to_string(std::max<int64_t>(bytes, 0) / 1024) + "Ki";
}

std::string Millicores(int64_t m) {
  m = std::max<int64_t>(m, 0);
  return m % 1000 == 0 ? std::to_string(m / 1000) : std::to_string(m) + "m";
}

Json Capacity(const NodeFacts& f) {
  Json c = {{"cpu", std::to_string(f.cpu_cores)},
            {"memory", Kibibytes(f.memory_bytes)},
            {"ephemeral-storage", Kibibytes(f.ephemeral_storage_bytes)},
            {"pods", std::to_string(f.max_pods)}};
  for (const char* size : {"1Gi", "2Mi"}) {
    auto it = f.hugepages_bytes.find(size);
    c[std::string("hugepages-") + size] = it == f.hugepages_bytes.end() ? "0" : Bytes(it->second);
  }
  return c;
}

Json Allocatable(const NodeFacts& f) {
  Json a = Capacity(f);
  int64_t hugepages = 0;
  for (const auto& [size, bytes] : f.hugepages_bytes) hugepages += bytes;
  a["cpu"] = Millicores(f.cpu_cores * 1000 - Reserved(f, "cpu", true));
  a["memory"] = Kibibytes(f.memory_bytes - Reserved(f, "memory", false) - f.eviction_memory_bytes -
                          hugepages);
  int64_t storage = f.ephemeral_storage_bytes - Reserved(f, "ephemeral-storage", false) -
                    static_cast<int64_t>(f.ephemeral_storage_bytes * f.eviction_nodefs_fraction);
  a["ephemeral-storage"] = Bytes(storage);
  return a;
}

Json Condition(const std::string& type, bool status, const char* reason, const std::string& message,
               const Json& previous, const std::string& now) {
  std::string value = status ? "True" : "False";
  std::string transition = now;
  if (previous.is_object()) {
    for (const auto& c : previous.value("conditions", Json::array())) {
      if (c.value("type", "") == type && c.value("status", "") == value) {
        transition = c.value("lastTransitionTime", now);
      }
    }
  }
  return {{"type", type},
          {"status", value},
          {"lastHeartbeatTime", now},
          {"lastTransitionTime", transition},
          {"reason", reason},
          {"message", message}};
}

Json Conditions(const NodeHealth& h, const Json& previous, const std::string& now) {
  Json out = Json::array();
  out.push_back(
      Condition("MemoryPressure", h.memory_pressure,
                h.memory_pressure ? "KubeletHasInsufficientMemory" : "KubeletHasSufficientMemory",
                h.memory_pressure ? "kubelet has insufficient memory available"
                                  : "kubelet has sufficient memory available",
                previous, now));
  out.push_back(
      Condition("DiskPressure", h.disk_pressure,
                h.disk_pressure ? "KubeletHasDiskPressure" : "KubeletHasNoDiskPressure",
                h.disk_pressure ? "kubelet has disk pressure" : "kubelet has no disk pressure",
                previous, now));
  out.push_back(Condition("PIDPressure", h.pid_pressure,
                          h.pid_pressure ? "KubeletHasInsufficientPID" : "KubeletHasSufficientPID",
                          h.pid_pressure ? "kubelet has insufficient PID available"
                                         : "kubelet has sufficient PID available",
                          previous, now));
  // Ready, with upstream's order of reasons: the runtime, then its network.
  std::string why;
  if (!h.runtime_ready) {
    why = "container runtime is down" +
          (h.runtime_message.empty() ? std::string() : ": " + h.runtime_message);
  } else if (!h.network_ready) {
    why = "container runtime network not ready: NetworkReady=false" +
          (h.network_message.empty() ? std::string() : " reason:" + h.network_message);
  }
  bool ready = why.empty();
  out.push_back(Condition("Ready", ready, ready ? "KubeletReady" : "KubeletNotReady",
                          ready ? "kubelet is posting ready status" : why, previous, now));
  return out;
}

}  // namespace

Json NodeStatus(const NodeFacts& f, const NodeHealth& h, const Json& previous, WallTime now) {
  std::string stamp = api::k8s::FormatTime(now);
  Json addresses = Json::array();
  if (!f.node_ip.empty()) addresses.push_back({{"type", "InternalIP"}, {"address", f.node_ip}});
  if (!f.hostname.empty()) addresses.push_back({{"type", "Hostname"}, {"address", f.hostname}});
  return {{"capacity", Capacity(f)},
          {"allocatable", Allocatable(f)},
          {"conditions", Conditions(h, previous, stamp)},
          {"addresses", addresses},
          {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", f.kubelet_port}}}}},
          {"nodeInfo",
           {{"machineID", f.machine_id},
            {"systemUUID", f.system_uuid},
            {"bootID", f.boot_id},
            {"kernelVersion", f.kernel_version},
            {"osImage", f.os_image},
            {"containerRuntimeVersion", f.container_runtime_version},
            {"kubeletVersion", f.kubelet_version},
            {"kubeProxyVersion", ""},
            {"operatingSystem", "linux"},
            {"architecture", f.architecture}}}};
}

std::vector<std::string> ConditionEventReasons(const Json& previous_status, const Json& status) {
  auto condition = [](const Json& st, const std::string& type) -> std::string {
    for (const auto& c : st.value("conditions", Json::array())) {
      if (c.value("type", "") == type) return c.value("status", "");
    }
    return "";
  };
  struct Names {
    const char* type;
    const char* when_true;
    const char* otherwise;
  };
  // Upstream's order: the pressure conditions, then Ready.
  static constexpr Names kNames[] = {
      {"MemoryPressure", "NodeHasInsufficientMemory", "NodeHasSufficientMemory"},
      {"DiskPressure", "NodeHasDiskPressure", "NodeHasNoDiskPressure"},
      {"PIDPressure", "NodeHasInsufficientPID", "NodeHasSufficientPID"},
      {"Ready", "NodeReady", "NodeNotReady"}};
  std::vector<std::string> out;
  for (const auto& n : kNames) {
    std::string now = condition(status, n.type);
    if (now.empty() || now == condition(previous_status, n.type)) continue;
    out.push_back(now == "True" ? n.when_true : n.otherwise);
  }
  return out;
}

Json NodeForRegistration(const NodeFacts& f, const NodeHealth& h, WallTime now) {
  Json labels = {{"kubernetes.io/hostname", f.name},
                 {"kubernetes.io/os", "linux"},
                 {"kubernetes.io/arch", f.architecture},
                 {"beta.kubernetes.io/os", "linux"},
                 {"beta.kubernetes.io/arch", f.architecture}};
  for (const auto& [k, v] : f.labels) labels[k] = v;
  Json spec = Json::object();
  if (!f.taints.empty()) spec["taints"] = f.taints;
  if (!f.pod_cidr.empty()) {
    spec["podCIDR"] = f.pod_cidr;
    spec["podCIDRs"] = Json::array({f.pod_cidr});
  }
  if (!f.provider_id.empty()) spec["providerID"] = f.provider_id;
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata",
           {{"name", f.name},
            {"labels", labels},
            {"annotations", {{"volumes.kubernetes.io/controller-managed-attach-detach", "true"}}}}},
          {"spec", spec},
          {"status", NodeStatus(f, h, Json(), now)}};
}

Json WithoutHeartbeats(Json status) {
  if (status.is_object() && status.contains("conditions") && status["conditions"].is_array()) {
    for (auto& c : status["conditions"]) {
      if (c.is_object()) c.erase("lastHeartbeatTime");
    }
  }
  return status;
}

}  // namespace capstan::kubelet::nodestatus
