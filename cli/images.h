#pragma once
// `capstan image import FILE|DIR...`: image tarballs (OCI layout or docker-archive; .tar,
// .tar.gz, .tgz, .tar.zst) into the runtime's store, for air-gapped nodes. Each tarball is
// copied into <data-dir>/cri/images and renamed into place; a running capstan-cri imports
// it at once (and says so in <tarball>.status), one that is stopped imports it when it
// starts. The copies stay, as k3s keeps agent/images, so a rebuilt store gets them back.

#include <chrono>
#include <string>
#include <vector>

namespace capstan::cli {

struct ImageImportOptions {
  std::string data_dir = "/var/lib/capstan";
  std::vector<std::string> paths;
  std::chrono::seconds timeout{600};
};

int ImportImages(const ImageImportOptions& o);

}  // namespace capstan::cli
