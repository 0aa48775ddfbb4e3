#include "cadvisor-lite/metrics_text.h"

#include <fmt/format.h>

namespace capstan::cadvisor {

std::string PrometheusLabelValue(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

int64_t Millis(WallTime t) { return UnixNanos(t) / 1000000; }

std::string Seconds(uint64_t ns) { return fmt::format("{:.9f}", static_cast<double>(ns) / 1e9); }

// {container, namespace, pod} as cAdvisor labels a container's cgroup ("" for a pod's own).
std::string ContainerLabels(const PodStats& p, std::string_view container) {
  return fmt::format("container=\"{}\",namespace=\"{}\",pod=\"{}\"",
                     PrometheusLabelValue(container), PrometheusLabelValue(p.namespace_),
                     PrometheusLabelValue(p.name));
}

}  // namespace

std::string ResourceMetricsText(const Summary& s, bool scrape_error) {
  std::string out;
  auto header = [&](std::string_view name, std::string_view type, std::string_view help) {
    out += fmt::format("# HELP {} [STABLE] {}\n# TYPE {} {}\n", name, help, name, type);
  };
  auto pod_labels = [](const PodStats& p) {
    return fmt::format("namespace=\"{}\",pod=\"{}\"", PrometheusLabelValue(p.namespace_),
                       PrometheusLabelValue(p.name));
  };

  header("container_cpu_usage_seconds_total", "counter",
         "Cumulative cpu time consumed by the container in core-seconds");
  for (const auto& p : s.pods) {
    for (const auto& c : p.containers) {
      if (c.cpu && c.cpu->usage_core_nano_seconds) {
        out += fmt::format("container_cpu_usage_seconds_total{{{}}} {} {}\n",
                           ContainerLabels(p, c.name), Seconds(*c.cpu->usage_core_nano_seconds),
                           Millis(c.cpu->time));
      }
    }
  }
  header("container_memory_working_set_bytes", "gauge",
         "Current working set of the container in bytes");
  for (const auto& p : s.pods) {
    for (const auto& c : p.containers) {
      if (c.memory && c.memory->working_set_bytes) {
        out += fmt::format("container_memory_working_set_bytes{{{}}} {} {}\n",
                           ContainerLabels(p, c.name), *c.memory->working_set_bytes,
                           Millis(c.memory->time));
      }
    }
  }
  header("container_start_time_seconds", "gauge",
         "Start time of the container since unix epoch in seconds");
  for (const auto& p : s.pods) {
    for (const auto& c : p.containers) {
      out += fmt::format("container_start_time_seconds{{{}}} {} {}\n", ContainerLabels(p, c.name),
                         Seconds(static_cast<uint64_t>(UnixNanos(c.start_time))),
                         Millis(c.start_time));
    }
  }
  header("node_cpu_usage_seconds_total", "counter",
         "Cumulative cpu time consumed by the node in core-seconds");
  if (s.node.cpu && s.node.cpu->usage_core_nano_seconds) {
    out += fmt::format("node_cpu_usage_seconds_total {} {}\n",
                       Seconds(*s.node.cpu->usage_core_nano_seconds), Millis(s.node.cpu->time));
  }
  header("node_memory_working_set_bytes", "gauge", "Current working set of the node in bytes");
  if (s.node.memory && s.node.memory->working_set_bytes) {
    out += fmt::format("node_memory_working_set_bytes {} {}\n", *s.node.memory->working_set_bytes,
                       Millis(s.node.memory->time));
  }
  header("pod_cpu_usage_seconds_total", "counter",
         "Cumulative cpu time consumed by the pod in core-seconds");
  for (const auto& p : s.pods) {
    if (p.cpu && p.cpu->usage_core_nano_seconds) {
      out += fmt::format("pod_cpu_usage_seconds_total{{{}}} {} {}\n", pod_labels(p),
                         Seconds(*p.cpu->usage_core_nano_seconds), Millis(p.cpu->time));
    }
  }
  header("pod_memory_working_set_bytes", "gauge", "Current working set of the pod in bytes");
  for (const auto& p : s.pods) {
    if (p.memory && p.memory->working_set_bytes) {
      out += fmt::format("pod_memory_working_set_bytes{{{}}} {} {}\n", pod_labels(p),
                         *p.memory->working_set_bytes, Millis(p.memory->time));
    }
  }
  header("resource_scrape_error", "gauge",
         "1 if there was an error while getting container metrics, 0 otherwise");
  out += fmt::format("resource_scrape_error {}\n", scrape_error ? 1 : 0);
  return out;
}

std::string CadvisorMetricsText(const Summary& s) {
  std::string out;
  auto header = [&](std::string_view name, std::string_view type, std::string_view help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  const std::string node_labels = "container=\"\",id=\"/\",namespace=\"\",pod=\"\"";
  // One series per container (and the node's root cgroup) from a field of its stats.
  auto each = [&](std::string_view name, auto&& cpu_or_memory_of, auto&& value_of) {
    if (auto node = cpu_or_memory_of(s.node); node && value_of(*node)) {
      out +=
          fmt::format("{}{{{}}} {} {}\n", name, node_labels, *value_of(*node), Millis(node->time));
    }
    for (const auto& p : s.pods) {
      for (const auto& c : p.containers) {
        if (auto part = cpu_or_memory_of(c); part && value_of(*part)) {
          out += fmt::format("{}{{{}}} {} {}\n", name, ContainerLabels(p, c.name), *value_of(*part),
                             Millis(part->time));
        }
      }
    }
  };
  auto cpu = [](const auto& x) { return x.cpu; };
  auto memory = [](const auto& x) { return x.memory; };

  header("container_cpu_usage_seconds_total", "counter",
         "Cumulative cpu time consumed in seconds.");
  each("container_cpu_usage_seconds_total", cpu,
       [](const CpuStats& c) -> std::optional<std::string> {
         if (!c.usage_core_nano_seconds) return std::nullopt;
         return Seconds(*c.usage_core_nano_seconds);
       });
  header("container_memory_usage_bytes", "gauge",
         "Current memory usage in bytes, including all memory regardless of when it was "
         "accessed");
  each("container_memory_usage_bytes", memory, [](const MemoryStats& m) { return m.usage_bytes; });
  header("container_memory_working_set_bytes", "gauge", "Current working set in bytes.");
  each("container_memory_working_set_bytes", memory,
       [](const MemoryStats& m) { return m.working_set_bytes; });
  header("container_memory_rss", "gauge", "Size of RSS in bytes.");
  each("container_memory_rss", memory, [](const MemoryStats& m) { return m.rss_bytes; });
  header("container_memory_failures_total", "counter",
         "Cumulative count of memory allocation failures.");
  auto faults = [&](const std::string& labels, const MemoryStats& m) {
    if (m.page_faults) {
      out += fmt::format(
          "container_memory_failures_total{{{},failure_type=\"pgfault\","
          "scope=\"container\"}} {} {}\n",
          labels, *m.page_faults, Millis(m.time));
    }
    if (m.major_page_faults) {
      out += fmt::format(
          "container_memory_failures_total{{{},failure_type=\"pgmajfault\","
          "scope=\"container\"}} {} {}\n",
          labels, *m.major_page_faults, Millis(m.time));
    }
  };
  if (s.node.memory) faults(node_labels, *s.node.memory);
  for (const auto& p : s.pods) {
    for (const auto& c : p.containers) {
      if (c.memory) faults(ContainerLabels(p, c.name), *c.memory);
    }
  }
  header("container_fs_usage_bytes", "gauge",
         "Number of bytes that are consumed by the container on this filesystem.");
  for (const auto& p : s.pods) {
    for (const auto& c : p.containers) {
      if (c.rootfs && c.rootfs->used_bytes) {
        out += fmt::format("container_fs_usage_bytes{{{}}} {} {}\n", ContainerLabels(p, c.name),
                           *c.rootfs->used_bytes, Millis(c.rootfs->time));
      }
    }
  }
  // Network counters belong to the pod's sandbox: cAdvisor reports them on the pod's
  // infrastructure container; here with container "" (the pod).
  struct NetSeries {
    const char* name;
    const char* help;
    uint64_t InterfaceStats::*field;
  };
  for (const NetSeries& n :
       {NetSeries{"container_network_receive_bytes_total", "Cumulative count of bytes received",
                  &InterfaceStats::rx_bytes},
        NetSeries{"container_network_receive_errors_total",
                  "Cumulative count of errors encountered while receiving",
                  &InterfaceStats::rx_errors},
        NetSeries{"container_network_transmit_bytes_total", "Cumulative count of bytes transmitted",
                  &InterfaceStats::tx_bytes},
        NetSeries{"container_network_transmit_errors_total",
                  "Cumulative count of errors encountered while transmitting",
                  &InterfaceStats::tx_errors}}) {
    header(n.name, "counter", n.help);
    for (const auto& p : s.pods) {
      if (!p.network) continue;
      for (const auto& i : p.network->interfaces) {
        out += fmt::format("{}{{{},interface=\"{}\"}} {} {}\n", n.name, ContainerLabels(p, ""),
                           PrometheusLabelValue(i.name), i.*n.field, Millis(p.network->time));
      }
    }
  }
  header("container_start_time_seconds", "gauge",
         "Start time of the container since unix epoch in seconds.");
  for (const auto& p : s.pods) {
    for (const auto& c : p.containers) {
      out += fmt::format("container_start_time_seconds{{{}}} {}\n", ContainerLabels(p, c.name),
                         UnixNanos(c.start_time) / 1'000'000'000);
    }
  }
  // The node's available bytes are its capacity less its working set.
  if (s.node.memory && s.node.memory->working_set_bytes && s.node.memory->available_bytes) {
    header("machine_memory_bytes", "gauge", "Amount of memory installed on the machine.");
    out += fmt::format("machine_memory_bytes {}\n",
                       *s.node.memory->working_set_bytes + *s.node.memory->available_bytes);
  }
  return out;
}

}  // namespace capstan::cadvisor
