#pragma once
// ContainerdDaemon: Debian's containerd as a CRI runtime of the test's own: its root, state,
// socket and config under `dir`, images from the local test registry over plain http, pods on
// the CNI config the test wrote, with capstan's plugins. The sandbox ("pause") image is the
// busybox fixture made to sleep, pushed to the same registry.

#include <sys/types.h>

#include <string>

namespace capstan::integration::kubelet {

struct ContainerdOptions {
  std::string dir;          // everything of this daemon lives here
  std::string registry;     // "127.0.0.1:PORT", served over http
  std::string pause_image;  // e.g. 127.0.0.1:PORT/pause:latest
  std::string cni_bin_dir;
  std::string cni_conf_dir;
};

class ContainerdDaemon {
 public:
  explicit ContainerdDaemon(ContainerdOptions options) : options_(std::move(options)) {}
  ~ContainerdDaemon();

  // Starts containerd and waits until its CRI answers with the network ready; on failure
  // returns why ("" on success).
  std::string Start();
  std::string socket() const { return options_.dir + "/containerd.sock"; }
  std::string log() const { return options_.dir + "/containerd.log"; }

 private:
  void Stop();

  ContainerdOptions options_;
  pid_t pid_ = -1;
};

// The containerd binaries, or "" when one is missing.
std::string ContainerdMissing();

}  // namespace capstan::integration::kubelet
