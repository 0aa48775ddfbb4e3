#pragma once
// FileSource: static pods from the files in staticPodPath (a directory, or one file). Files
// are read at start, again on every inotify event (debounced; within a second of a write,
// rename or delete), and every fileCheckFrequency as a safety net. Hidden files are
// skipped. A file that fails to parse or validate is reported (Errors(), logged once per
// change) and skipped; the other files' pods are untouched, and the pods the bad file
// defined before stay as they were until it is fixed or removed.

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/k8s/pod.h"
#include "common/time.h"
#include "common/unique_fd.h"
#include "kubelet/sources/pod_config.h"

namespace capstan::kubelet::sources {

struct ManifestError {
  std::string path;
  std::string message;
};

class FileSource {
 public:
  FileSource(std::string path, std::string node_name, PodConfig* sink, const Clock* clock,
             std::chrono::milliseconds check_frequency = std::chrono::seconds(20));
  ~FileSource();
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  // Reads the path once and starts watching it on a thread of its own.
  void Start();
  void Stop();
  // Reads the path now and hands the result to the sink.
  void Rescan();
  std::vector<ManifestError> Errors() const;

 private:
  struct FileState {
    std::string content;
    std::vector<api::k8s::Pod> pods;  // last good ones
    std::string error;
  };
  void Loop();
  // Adds the inotify watch if the path exists now; true when it was just added.
  bool EnsureWatch();

  std::string path_;
  std::string node_name_;
  PodConfig* sink_;
  const Clock* clock_;
  std::chrono::milliseconds check_frequency_;
  mutable std::mutex mu_;  // guards files_ and scans
  std::map<std::string, FileState> files_;
  std::map<std::string, std::string> duplicates_;  // path -> why its pods were skipped
  UniqueFd inotify_;
  UniqueFd stop_event_;
  int watch_ = -1;
  std::thread thread_;
};

}  // namespace capstan::kubelet::sources
