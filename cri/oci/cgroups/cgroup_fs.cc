#include "cri/oci/cgroups/cgroup_fs.h"

#include <dirent.h>
#include <unistd.h>

#include <vector>

namespace capstan::cri::oci {

std::string NormalizeCgroupPath(const std::string& path) {
  std::string p = path;
  while (!p.empty() && p.back() == '/') {
    p.pop_back();
  }
  if (!p.empty() && p[0] != '/') {
    p = "/" + p;
  }
  return p;
}

std::string TrimNewline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

Status RemoveCgroupDir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return errno == ENOENT ? Ok() : Status(FailErrno("opening cgroup {}", dir));
  }
  std::vector<std::string> children;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (e->d_type == DT_DIR && name != "." && name != "..") {
      children.push_back(dir + "/" + name);
    }
  }
  ::closedir(d);
  for (const auto& c : children) {
    CAPSTAN_TRY(RemoveCgroupDir(c));
  }
  // A cgroup whose last process just exited can be busy for a moment.
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) {
      return Ok();
    }
    if (errno != EBUSY) {
      break;
    }
    ::usleep(2000);
  }
  return FailErrno("removing cgroup {}", dir);
}

}  // namespace capstan::cri::oci
