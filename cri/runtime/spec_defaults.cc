#include "cri/runtime/spec_defaults.h"

namespace capstan::cri::runtime {

const std::vector<std::string>& DefaultMaskedPaths() {
  static const std::vector<std::string> k = {"/proc/acpi",
                                             "/proc/asound",
                                             "/proc/kcore",
                                             "/proc/keys",
                                             "/proc/latency_stats",
                                             "/proc/timer_list",
                                             "/proc/timer_stats",
                                             "/proc/sched_debug",
                                             "/proc/scsi",
                                             "/sys/firmware",
                                             "/sys/devices/virtual/powercap"};
  return k;
}

const std::vector<std::string>& DefaultReadonlyPaths() {
  static const std::vector<std::string> k = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                             "/proc/sysrq-trigger"};
  return k;
}

std::vector<oci::MountSpec> StandardMounts(bool privileged) {
  std::vector<oci::MountSpec> m = {
      {"proc", "/proc", "proc", {"nosuid", "noexec", "nodev"}},
  };
  if (privileged) {
    m.push_back({"/dev", "/dev", "bind", {"rbind", "rprivate", "nosuid"}});
  } else {
    m.push_back({"tmpfs", "/dev", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}});
    m.push_back({"devpts",
                 "/dev/pts",
                 "devpts",
                 {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}});
  }
  m.push_back({"mqueue", "/dev/mqueue", "mqueue", {"nosuid", "noexec", "nodev"}});
  if (privileged) {
    m.push_back({"sysfs", "/sys", "sysfs", {"nosuid", "noexec", "nodev"}});
  } else {
    m.push_back({"sysfs", "/sys", "sysfs", {"nosuid", "noexec", "nodev", "ro"}});
  }
  return m;
}

const std::vector<std::string>& DefaultDeviceRules() {
  static const std::vector<std::string> k = {
      "c *:* m",   "b *:* m",   "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",   "c 1:8 rwm",
      "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm"};
  return k;
}

}  // namespace capstan::cri::runtime
