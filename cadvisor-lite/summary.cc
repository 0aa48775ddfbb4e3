#include "cadvisor-lite/summary.h"

#include <fmt/format.h>

namespace capstan::cadvisor {

namespace {

using Json = nlohmann::json;

void Put(Json& j, const char* key, const std::optional<uint64_t>& v) {
  if (v) {
    j[key] = *v;
  }
}

Json ToJson(const CpuStats& c) {
  Json j = {{"time", FormatRfc3339(c.time)}};
  Put(j, "usageNanoCores", c.usage_nano_cores);
  Put(j, "usageCoreNanoSeconds", c.usage_core_nano_seconds);
  return j;
}

Json ToJson(const MemoryStats& m) {
  Json j = {{"time", FormatRfc3339(m.time)}};
  Put(j, "availableBytes", m.available_bytes);
  Put(j, "usageBytes", m.usage_bytes);
  Put(j, "workingSetBytes", m.working_set_bytes);
  Put(j, "rssBytes", m.rss_bytes);
  Put(j, "pageFaults", m.page_faults);
  Put(j, "majorPageFaults", m.major_page_faults);
  return j;
}

Json ToJson(const InterfaceStats& i) {
  return {{"name", i.name},
          {"rxBytes", i.rx_bytes},
          {"rxErrors", i.rx_errors},
          {"txBytes", i.tx_bytes},
          {"txErrors", i.tx_errors}};
}

Json ToJson(const NetworkStats& n) {
  Json j = {{"time", FormatRfc3339(n.time)}};
  // The first interface is the default one (the runtime's default_interface, eth0).
  const InterfaceStats* primary = n.interfaces.empty() ? nullptr : &n.interfaces.front();
  Json ifaces = Json::array();
  for (const auto& i : n.interfaces) {
    ifaces.push_back(ToJson(i));
  }
  if (primary) {
    j.update(ToJson(*primary));  // the default interface's fields inline, as upstream
  }
  j["interfaces"] = std::move(ifaces);
  return j;
}

Json ToJson(const FsStats& f) {
  Json j = {{"time", FormatRfc3339(f.time)}};
  Put(j, "availableBytes", f.available_bytes);
  Put(j, "capacityBytes", f.capacity_bytes);
  Put(j, "usedBytes", f.used_bytes);
  Put(j, "inodesFree", f.inodes_free);
  Put(j, "inodes", f.inodes);
  Put(j, "inodesUsed", f.inodes_used);
  return j;
}

Json ToJson(const ContainerStats& c) {
  Json j = {{"name", c.name}, {"startTime", FormatRfc3339(c.start_time)}};
  if (c.cpu) {
    j["cpu"] = ToJson(*c.cpu);
  }
  if (c.memory) {
    j["memory"] = ToJson(*c.memory);
  }
  if (c.rootfs) {
    j["rootfs"] = ToJson(*c.rootfs);
  }
  if (c.logs) {
    j["logs"] = ToJson(*c.logs);
  }
  return j;
}

Json ToJson(const PodStats& p) {
  Json j = {{"podRef", {{"name", p.name}, {"namespace", p.namespace_}, {"uid", p.uid}}},
            {"startTime", FormatRfc3339(p.start_time)},
            {"containers", Json::array()}};
  for (const auto& c : p.containers) {
    j["containers"].push_back(ToJson(c));
  }
  if (p.cpu) {
    j["cpu"] = ToJson(*p.cpu);
  }
  if (p.memory) {
    j["memory"] = ToJson(*p.memory);
  }
  if (p.network) {
    j["network"] = ToJson(*p.network);
  }
  if (!p.volumes.empty()) {
    Json vols = Json::array();
    for (const auto& v : p.volumes) {
      Json vj = ToJson(v.fs);
      vj["name"] = v.name;
      if (v.pvc_ref) {
        vj["pvcRef"] = {{"name", v.pvc_ref->first}, {"namespace", v.pvc_ref->second}};
      }
      vols.push_back(std::move(vj));
    }
    j["volume"] = std::move(vols);
  }
  if (p.ephemeral_storage) {
    j["ephemeral-storage"] = ToJson(*p.ephemeral_storage);
  }
  if (p.process_count) {
    j["process_stats"] = {{"process_count", *p.process_count}};
  }
  return j;
}

}  // namespace

Json SummaryToJson(const Summary& s) {
  const NodeStats& n = s.node;
  Json node = {{"nodeName", n.node_name},
               {"systemContainers", Json::array()},
               {"startTime", FormatRfc3339(n.start_time)}};
  for (const auto& c : n.system_containers) {
    node["systemContainers"].push_back(ToJson(c));
  }
  if (n.cpu) {
    node["cpu"] = ToJson(*n.cpu);
  }
  if (n.memory) {
    node["memory"] = ToJson(*n.memory);
  }
  if (n.network) {
    node["network"] = ToJson(*n.network);
  }
  if (n.fs) {
    node["fs"] = ToJson(*n.fs);
  }
  if (n.image_fs) {
    node["runtime"] = {{"imageFs", ToJson(*n.image_fs)}};
  }
  if (n.max_pid || n.cur_proc) {
    Json r = {{"time", FormatRfc3339(n.rlimit_time)}};
    Put(r, "maxpid", n.max_pid);
    Put(r, "curproc", n.cur_proc);
    node["rlimit"] = std::move(r);
  }
  Json pods = Json::array();
  for (const auto& p : s.pods) {
    pods.push_back(ToJson(p));
  }
  return {{"node", std::move(node)}, {"pods", std::move(pods)}};
}

}  // namespace capstan::cadvisor
