#include "kubelet/logs/log_files.h"

#include <algorithm>
#include <system_error>

namespace capstan::kubelet::logs {

namespace fs = std::filesystem;

std::vector<fs::path> RotatedLogs(const fs::path& log) {
  std::vector<fs::path> out;
  std::string prefix = log.filename().string() + ".";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(log.parent_path(), ec)) {
    if (e.path().filename().string().starts_with(prefix)) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace capstan::kubelet::logs
