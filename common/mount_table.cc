#include "common/mount_table.h"

#include <fstream>
#include <sstream>

namespace capstan {

bool IsMountPoint(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, mountpoint;
    fields >> id >> parent >> dev >> root >> mountpoint;
    if (mountpoint == path) {
      return true;
    }
  }
  return false;
}

}  // namespace capstan
