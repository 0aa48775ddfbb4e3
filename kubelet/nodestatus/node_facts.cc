#include "kubelet/nodestatus/node_facts.h"

#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>

#include "api/k8s/quantity.h"
#include "common/file.h"

namespace capstan::kubelet::nodestatus {
namespace {

std::string Trimmed(const std::string& s) {
  size_t b = s.find_first_not_of(" \n\t\"");
  size_t e = s.find_last_not_of(" \n\t\"");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string FileText(const char* path) {
  auto text = ReadFile(path);
  return text ? Trimmed(*text) : "";
}

std::string OsImage() {
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) return Trimmed(line.substr(12));
  }
  return "Linux";
}

int64_t MemoryBytes() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  int64_t kb = 0;
  while (in >> key >> kb >> unit) {
    if (key == "MemTotal:") return kb * 1024;
  }
  return 0;
}

// Huge pages configured, by size ("2Mi"), from /proc/meminfo's default size.
std::map<std::string, int64_t> HugePages() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  int64_t value = 0, total = 0, size_kb = 0;
  while (in >> key >> value) {
    if (key == "HugePages_Total:") total = value;
    if (key == "Hugepagesize:") {
      size_kb = value;
      in >> unit;
    }
  }
  if (size_kb == 0) return {};
  std::string size = size_kb >= 1024 * 1024 ? std::to_string(size_kb / (1024 * 1024)) + "Gi"
                                            : std::to_string(size_kb / 1024) + "Mi";
  return {{size, total * size_kb * 1024}};
}

}  // namespace

NodeFacts GatherNodeFacts(const std::string& node_name, const std::string& node_ip,
                          const std::string& root_dir, const config::KubeletConfiguration& config,
                          api::cri::RuntimeService* runtime) {
  NodeFacts f;
  f.name = node_name;
  f.node_ip = node_ip;
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  f.hostname = host[0] != '\0' ? std::string(host) : node_name;
  f.pod_cidr = config.pod_cidr;
  f.provider_id = config.provider_id;
  f.cpu_cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  f.memory_bytes = MemoryBytes();
  struct statvfs fs {};
  if (::statvfs(root_dir.c_str(), &fs) == 0) {
    f.ephemeral_storage_bytes =
        static_cast<int64_t>(fs.f_blocks) * static_cast<int64_t>(fs.f_frsize);
  }
  f.max_pods = config.max_pods;
  f.hugepages_bytes = HugePages();
  // systemReserved and kubeReserved add up (kept in milli-units, which parse back exactly).
  std::map<std::string, int64_t> reserved_milli;
  for (const auto* reserved : {&config.system_reserved, &config.kube_reserved}) {
    for (const auto& [k, v] : *reserved) {
      if (auto q = api::k8s::Quantity::Parse(v)) reserved_milli[k] += q->MilliValue();
    }
  }
  for (const auto& [k, milli] : reserved_milli) f.reserved[k] = std::to_string(milli) + "m";
  struct utsname u {};
  if (::uname(&u) == 0) {
    f.kernel_version = u.release;
    std::string machine = u.machine;
    f.architecture = machine == "x86_64" ? "amd64" : machine == "aarch64" ? "arm64" : machine;
  }
  f.os_image = OsImage();
  f.machine_id = FileText("/etc/machine-id");
  f.boot_id = FileText("/proc/sys/kernel/random/boot_id");
  f.system_uuid = FileText("/sys/class/dmi/id/product_uuid");
  f.kubelet_version = kKubeletVersion;
  f.kubelet_port = config.port;
  if (runtime != nullptr) {
    auto version = runtime->Version(api::cri::v1::VersionRequest());
    if (version) {
      f.container_runtime_version = version->runtime_name() + "://" + version->runtime_version();
    }
  }
  return f;
}

NodeHealth HealthFromRuntime(api::cri::RuntimeService* runtime) {
  NodeHealth h;
  auto status = runtime->Status(api::cri::v1::StatusRequest());
  if (!status) {
    h.runtime_ready = false;
    h.runtime_message = status.error().message();
    return h;
  }
  for (const auto& c : status->status().conditions()) {
    if (c.type() == "RuntimeReady" && !c.status()) {
      h.runtime_ready = false;
      h.runtime_message = c.reason() + (c.message().empty() ? "" : ": " + c.message());
    }
    if (c.type() == "NetworkReady" && !c.status()) {
      h.network_ready = false;
      h.network_message = c.reason() + (c.message().empty() ? "" : " message:" + c.message());
    }
  }
  return h;
}

}  // namespace capstan::kubelet::nodestatus
