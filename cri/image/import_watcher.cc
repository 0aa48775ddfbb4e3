#include "cri/image/import_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/file.h"
#include "common/log.h"

namespace capstan::cri::image {
namespace {
const log::Logger kLog("image-import");
}

bool IsImageTarball(const std::string& name) {
  return !name.starts_with(".") && (name.ends_with(".tar") || name.ends_with(".tar.gz") ||
                                    name.ends_with(".tgz") || name.ends_with(".tar.zst"));
}

ImportWatcher::ImportWatcher(Store* store, std::filesystem::path dir)
    : store_(store), dir_(std::move(dir)) {}

ImportWatcher::~ImportWatcher() { Stop(); }

Status ImportWatcher::Start() {
  CAPSTAN_TRY(MkdirAll(dir_, 0700));
  inotify_fd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (inotify_fd_ < 0) return Fail(Code::kInternal, "inotify: {}", std::strerror(errno));
  if (::inotify_add_watch(inotify_fd_, dir_.c_str(), IN_MOVED_TO) < 0) {
    return Fail(Code::kInternal, "watching {}: {}", dir_.string(), std::strerror(errno));
  }
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] { Loop(); });
  return Ok();
}

void ImportWatcher::Stop() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)::write(stop_fd_, &one, sizeof one);
    thread_.join();
  }
  for (int* fd : {&inotify_fd_, &stop_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void ImportWatcher::ImportOne(const std::filesystem::path& tarball) {
  nlohmann::json status = nlohmann::json::object();
  auto imported = store_->Import(tarball);
  if (imported) {
    status["images"] = nlohmann::json::array();
    for (const auto& image : *imported) {
      for (const auto& tag : image.repo_tags) status["images"].push_back(tag);
      if (image.repo_tags.empty()) status["images"].push_back(image.id);
    }
    kLog.Info("imported", {{"tarball", tarball.string()}, {"images", status["images"].dump()}});
  } else {
    status["error"] = imported.error().message();
    kLog.Warn("import failed", {{"tarball", tarball.string()}, {"error", status["error"]}});
  }
  if (auto st = WriteFileAtomic(tarball.string() + ".status", status.dump() + "\n", 0600); !st) {
    kLog.Warn("writing import status", {{"error", st.error().message()}});
  }
}

void ImportWatcher::Loop() {
  alignas(inotify_event) char buf[4096];
  while (true) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    ssize_t n = ::read(inotify_fd_, buf, sizeof buf);
    for (ssize_t off = 0; n > 0 && off < n;) {
      auto* ev = reinterpret_cast<inotify_event*>(buf + off);
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      if (ev->len == 0) continue;
      std::string name(ev->name);
      if (IsImageTarball(name)) ImportOne(dir_ / name);
    }
  }
}

}  // namespace capstan::cri::image
