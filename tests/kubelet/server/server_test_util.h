#pragma once
// Shared pieces of the kubelet server tests: a temporary directory, a pod, a log file.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "api/k8s/pod.h"
#include "common/file.h"

namespace capstan::kubelet::server::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = std::filesystem::temp_directory_path() / "capstan-server-test-XXXXXX";
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(*this / name) << text;
    return *this / name;
  }

 private:
  std::string path_;
};

inline api::k8s::Pod TestPod(const std::string& ns, const std::string& name,
                             const std::string& uid) {
  api::k8s::Pod p;
  p.metadata.namespace_ = ns;
  p.metadata.name = name;
  p.metadata.uid = uid;
  api::k8s::Container c;
  c.name = "app";
  c.image = "busybox:1.36";
  p.spec.containers.push_back(c);
  p.status.phase = "Running";
  return p;
}

// A CRI log line at second `sec` of 2026-01-01T00:00.
inline std::string CriLine(int sec, const std::string& text) {
  return fmt::format("2026-01-01T00:00:{:02}.000000000Z stdout F {}\n", sec, text);
}

inline void AppendFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::app) << data;
}

}  // namespace capstan::kubelet::server::testing
