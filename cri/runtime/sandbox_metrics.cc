// ListMetricDescriptors and ListPodSandboxMetrics: the figures of ListPodSandboxStats as
// cAdvisor-named metrics, for a kubelet that serves /metrics/cadvisor from the CRI (upstream's
// PodAndContainerStatsFromCRI) and `crictl metricsp`. The label keys are only the metric's
// own (interface, failure type); the kubelet adds container, pod and namespace. CPU seconds
// are whole seconds, as CRI-O reports them: a metric's value is an integer.
#include "cri/runtime/runtime.h"

namespace capstan::cri::runtime {

namespace {

struct Descriptor {
  const char* name;
  const char* help;
  std::vector<std::string> label_keys;
  v1::MetricType type;
};

const std::vector<Descriptor>& Descriptors() {
  static const auto* d = new std::vector<Descriptor>{
      {"container_cpu_usage_seconds_total",
       "Cumulative cpu time consumed in seconds.",
       {},
       v1::COUNTER},
      {"container_memory_usage_bytes",
       "Current memory usage in bytes, including all memory regardless of when it was accessed",
       {},
       v1::GAUGE},
      {"container_memory_working_set_bytes", "Current working set in bytes.", {}, v1::GAUGE},
      {"container_memory_rss", "Size of RSS in bytes.", {}, v1::GAUGE},
      {"container_memory_failures_total",
       "Cumulative count of memory allocation failures.",
       {"failure_type", "scope"},
       v1::COUNTER},
      {"container_fs_usage_bytes",
       "Number of bytes that are consumed by the container on this filesystem.",
       {},
       v1::GAUGE},
      {"container_network_receive_bytes_total",
       "Cumulative count of bytes received",
       {"interface"},
       v1::COUNTER},
      {"container_network_receive_errors_total",
       "Cumulative count of errors encountered while receiving",
       {"interface"},
       v1::COUNTER},
      {"container_network_transmit_bytes_total",
       "Cumulative count of bytes transmitted",
       {"interface"},
       v1::COUNTER},
      {"container_network_transmit_errors_total",
       "Cumulative count of errors encountered while transmitting",
       {"interface"},
       v1::COUNTER},
  };
  return *d;
}

v1::MetricType TypeOf(const std::string& name) {
  for (const auto& d : Descriptors()) {
    if (name == d.name) return d.type;
  }
  return v1::GAUGE;
}

void Add(google::protobuf::RepeatedPtrField<v1::Metric>* out, const std::string& name,
         int64_t timestamp, uint64_t value, std::vector<std::string> labels = {}) {
  auto* m = out->Add();
  m->set_name(name);
  m->set_timestamp(timestamp);
  m->set_metric_type(TypeOf(name));
  for (auto& l : labels) m->add_label_values(std::move(l));
  m->mutable_value()->set_value(value);
}

void AddContainerMetrics(const v1::ContainerStats& s, v1::ContainerMetrics* out) {
  out->set_container_id(s.attributes().id());
  auto* m = out->mutable_metrics();
  if (s.has_cpu() && s.cpu().has_usage_core_nano_seconds()) {
    Add(m, "container_cpu_usage_seconds_total", s.cpu().timestamp(),
        s.cpu().usage_core_nano_seconds().value() / 1'000'000'000);
  }
  if (s.has_memory()) {
    const auto& mem = s.memory();
    if (mem.has_usage_bytes()) {
      Add(m, "container_memory_usage_bytes", mem.timestamp(), mem.usage_bytes().value());
    }
    if (mem.has_working_set_bytes()) {
      Add(m, "container_memory_working_set_bytes", mem.timestamp(),
          mem.working_set_bytes().value());
    }
    if (mem.has_rss_bytes()) {
      Add(m, "container_memory_rss", mem.timestamp(), mem.rss_bytes().value());
    }
    if (mem.has_page_faults()) {
      Add(m, "container_memory_failures_total", mem.timestamp(), mem.page_faults().value(),
          {"pgfault", "container"});
    }
    if (mem.has_major_page_faults()) {
      Add(m, "container_memory_failures_total", mem.timestamp(), mem.major_page_faults().value(),
          {"pgmajfault", "container"});
    }
  }
  if (s.has_writable_layer() && s.writable_layer().has_used_bytes()) {
    Add(m, "container_fs_usage_bytes", s.writable_layer().timestamp(),
        s.writable_layer().used_bytes().value());
  }
}

}  // namespace

Result<v1::ListMetricDescriptorsResponse> Runtime::ListMetricDescriptors(
    const v1::ListMetricDescriptorsRequest&) {
  v1::ListMetricDescriptorsResponse resp;
  for (const auto& d : Descriptors()) {
    auto* out = resp.add_descriptors();
    out->set_name(d.name);
    out->set_help(d.help);
    for (const auto& k : d.label_keys) out->add_label_keys(k);
  }
  return resp;
}

Result<v1::ListPodSandboxMetricsResponse> Runtime::ListPodSandboxMetrics(
    const v1::ListPodSandboxMetricsRequest&) {
  auto stats = ListPodSandboxStats(v1::ListPodSandboxStatsRequest{});
  if (!stats) return Fail(stats.error());
  v1::ListPodSandboxMetricsResponse resp;
  for (const auto& s : stats->stats()) {
    auto* pod = resp.add_pod_metrics();
    pod->set_pod_sandbox_id(s.attributes().id());
    const auto& net = s.linux().network();
    auto add_interface = [&](const v1::NetworkInterfaceUsage& i) {
      for (auto [name, value] :
           {std::pair{"container_network_receive_bytes_total", i.rx_bytes().value()},
            std::pair{"container_network_receive_errors_total", i.rx_errors().value()},
            std::pair{"container_network_transmit_bytes_total", i.tx_bytes().value()},
            std::pair{"container_network_transmit_errors_total", i.tx_errors().value()}}) {
        Add(pod->mutable_metrics(), name, net.timestamp(), value, {i.name()});
      }
    };
    if (net.has_default_interface()) add_interface(net.default_interface());
    for (const auto& i : net.interfaces()) add_interface(i);
    for (const auto& c : s.linux().containers()) {
      AddContainerMetrics(c, pod->add_container_metrics());
    }
  }
  return resp;
}

}  // namespace capstan::cri::runtime
