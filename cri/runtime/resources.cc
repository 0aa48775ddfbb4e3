#include "cri/runtime/resources.h"

#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <fmt/format.h>

namespace capstan::cri::runtime {

oci::CgroupResources ToCgroupResources(const ::runtime::v1::LinuxContainerResources& r,
                                       int64_t pids_limit) {
  oci::CgroupResources out;
  if (r.cpu_shares() > 0) {
    out.cpu_shares = r.cpu_shares();
  }
  if (r.cpu_period() > 0) {
    out.cpu_period = r.cpu_period();
  }
  if (r.cpu_quota() != 0) {
    out.cpu_quota = r.cpu_quota();
  }
  out.cpuset_cpus = r.cpuset_cpus();
  out.cpuset_mems = r.cpuset_mems();
  if (r.memory_limit_in_bytes() > 0) {
    out.memory_limit = r.memory_limit_in_bytes();
    if (r.memory_swap_limit_in_bytes() > 0) {
      out.memory_swap_limit = r.memory_swap_limit_in_bytes();
    }
  }
  if (pids_limit > 0) {
    out.pids_limit = pids_limit;
  }
  for (const auto& h : r.hugepage_limits()) {
    out.hugepage_limits[h.page_size()] = static_cast<int64_t>(h.limit());
  }
  out.unified.insert(r.unified().begin(), r.unified().end());
  return out;
}

std::optional<std::string> DeviceRule(const std::string& host_path, const std::string& perms) {
  struct stat st {};
  if (::stat(host_path.c_str(), &st) != 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) {
    return std::nullopt;
  }
  return fmt::format("{} {}:{} {}", S_ISCHR(st.st_mode) ? 'c' : 'b', major(st.st_rdev),
                     minor(st.st_rdev), perms.empty() ? "rwm" : perms);
}

bool CanLowerOomScore() {
  cap_t caps = cap_get_proc();
  cap_flag_value_t v = CAP_CLEAR;
  cap_get_flag(caps, CAP_SYS_RESOURCE, CAP_EFFECTIVE, &v);
  cap_free(caps);
  return v == CAP_SET;
}

}  // namespace capstan::cri::runtime
