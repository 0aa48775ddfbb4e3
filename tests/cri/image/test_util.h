#pragma once
// Shared helpers for image store tests: temp dirs and file access.

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "common/file.h"
#include "common/unique_fd.h"

namespace capstan::cri::image::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "capstan-image-test-XXXXXX");
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    // Layers may hold read-only directories; make them writable for removal (non-root).
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory(ec) && !it->is_symlink(ec)) {
        ::chmod(it->path().c_str(), 0700);
      }
    }
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string Slurp(const std::filesystem::path& p) {
  auto r = ReadFile(p);
  return r ? *r : std::string("<unreadable>");
}

inline std::filesystem::path WriteTemp(const std::filesystem::path& dir, const std::string& name,
                                       const std::string& data) {
  std::filesystem::path p = dir / name;
  (void)WriteFileAtomic(p, data);
  return p;
}

inline struct stat Lstat(const std::filesystem::path& p) {
  struct stat st {};
  ::lstat(p.c_str(), &st);
  return st;
}

}  // namespace capstan::cri::image::testing
