#pragma once
// ImportWatcher: image tarballs dropped into capstan-cri's `<root>/images` while it runs are
// imported at once (at start, Store::ImportDirectory takes what is already there, as k3s
// does with agent/images). A tarball must appear by rename (a copy renamed into place, as
// `capstan image import` does), so a half-written file is never read. After each import
// `<tarball>.status` says what happened, one JSON object:
//   {"images": ["docker.io/library/busybox:1.36", ...]}  or  {"error": "..."}

#include <atomic>
#include <filesystem>
#include <thread>

#include "cri/image/store.h"

namespace capstan::cri::image {

class ImportWatcher {
 public:
  ImportWatcher(Store* store, std::filesystem::path dir);
  ~ImportWatcher();
  // Creates the directory if needed and starts watching it.
  Status Start();
  void Stop();

  // Imports one tarball and writes its status file (the watcher's step; tests call it).
  void ImportOne(const std::filesystem::path& tarball);

 private:
  void Loop();

  Store* store_;
  std::filesystem::path dir_;
  int inotify_fd_ = -1;
  int stop_fd_ = -1;  // an eventfd that wakes the loop to end
  std::thread thread_;
};

// Whether `name` is an image tarball the importer takes (.tar, .tar.gz, .tgz, .tar.zst).
bool IsImageTarball(const std::string& name);

}  // namespace capstan::cri::image
