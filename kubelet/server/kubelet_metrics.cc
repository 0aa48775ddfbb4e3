#include "kubelet/server/kubelet_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "cadvisor-lite/metrics_text.h"
#include "common/file.h"

namespace capstan::kubelet::server {

namespace {

struct ProcessFigures {
  double cpu_seconds = 0;
  double start_time_seconds = 0;
  uint64_t virtual_bytes = 0, resident_bytes = 0, open_fds = 0, max_fds = 0;
};

// /proc/self/stat fields 14-15 (utime, stime), 22 (starttime), 23 (vsize), 24 (rss pages);
// the boot time from /proc/stat's btime.
ProcessFigures ReadProcessFigures() {
  ProcessFigures f;
  double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  auto stat = ReadFile("/proc/self/stat");
  if (stat) {
    // The command (field 2) may hold spaces and parentheses: fields start after the last ')'.
    auto close = stat->rfind(')');
    std::vector<std::string> fields;
    if (close != std::string::npos) {
      std::string rest = stat->substr(close + 2);
      size_t pos = 0;
      while (pos < rest.size()) {
        size_t space = rest.find(' ', pos);
        if (space == std::string::npos) space = rest.size();
        fields.push_back(rest.substr(pos, space - pos));
        pos = space + 1;
      }
    }
    // fields[0] is field 3 (state).
    auto field = [&](size_t n) -> double {
      return n >= 3 && n - 3 < fields.size() ? std::strtod(fields[n - 3].c_str(), nullptr) : 0;
    };
    f.cpu_seconds = (field(14) + field(15)) / ticks;
    f.virtual_bytes = static_cast<uint64_t>(field(23));
    f.resident_bytes = static_cast<uint64_t>(field(24)) * static_cast<uint64_t>(::getpagesize());
    if (auto proc_stat = ReadFile("/proc/stat")) {
      auto at = proc_stat->find("\nbtime ");
      if (at != std::string::npos) {
        double boot = std::strtod(proc_stat->c_str() + at + 7, nullptr);
        f.start_time_seconds = boot + field(22) / ticks;
      }
    }
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++f.open_fds;
  }
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) f.max_fds = limit.rlim_cur;
  return f;
}

}  // namespace

std::string KubeletMetricsText(const std::string& node_name,
                               const std::vector<api::k8s::Pod>& pods) {
  std::string out;
  auto gauge = [&](const char* name, const char* help) {
    out += fmt::format("# HELP {} [ALPHA] {}\n# TYPE {} gauge\n", name, help, name);
  };
  gauge("kubelet_node_name", "The node's name. The count is always 1.");
  out += fmt::format("kubelet_node_name{{node=\"{}\"}} 1\n",
                     cadvisor::PrometheusLabelValue(node_name));

  int64_t running_pods = 0;
  std::map<std::string, int64_t> containers = {{"created", 0}, {"exited", 0}, {"running", 0}};
  for (const auto& pod : pods) {
    bool any_running = false;
    for (const auto* statuses :
         {&pod.status.init_container_statuses, &pod.status.container_statuses}) {
      for (const auto& c : *statuses) {
        if (c.state.running) {
          ++containers["running"];
          any_running = true;
        } else if (c.state.terminated) {
          ++containers["exited"];
        } else if (c.container_id.size()) {
          ++containers["created"];
        }
      }
    }
    if (any_running) ++running_pods;
  }
  gauge("kubelet_running_pods", "Number of pods that have a running pod sandbox");
  out += fmt::format("kubelet_running_pods {}\n", running_pods);
  gauge("kubelet_running_containers", "Number of containers currently running");
  for (const auto& [state, n] : containers) {
    out += fmt::format("kubelet_running_containers{{container_state=\"{}\"}} {}\n", state, n);
  }

  ProcessFigures p = ReadProcessFigures();
  out += fmt::format(
      "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
      "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total {:.2f}\n"
      "# HELP process_max_fds Maximum number of open file descriptors.\n"
      "# TYPE process_max_fds gauge\nprocess_max_fds {}\n"
      "# HELP process_open_fds Number of open file descriptors.\n"
      "# TYPE process_open_fds gauge\nprocess_open_fds {}\n"
      "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
      "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {}\n"
      "# HELP process_start_time_seconds Start time of the process since unix epoch in "
      "seconds.\n"
      "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds {:.2f}\n"
      "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
      "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes {}\n",
      p.cpu_seconds, p.max_fds, p.open_fds, p.resident_bytes, p.start_time_seconds,
      p.virtual_bytes);
  return out;
}

}  // namespace capstan::kubelet::server
