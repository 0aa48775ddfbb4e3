#include "kubelet/sources/file/file_source.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "common/file.h"
#include "common/log.h"
#include "kubelet/sources/file/manifest.h"

namespace capstan::kubelet::sources {
namespace {

const log::Logger kLog("kubelet");
// Editors write a file in several steps; wait for quiet before reading.
constexpr int kDebounceMs = 100;

}  // namespace

FileSource::FileSource(std::string path, std::string node_name, PodConfig* sink, const Clock* clock,
                       std::chrono::milliseconds check_frequency)
    : path_(std::move(path)),
      node_name_(std::move(node_name)),
      sink_(sink),
      clock_(clock),
      check_frequency_(check_frequency) {}

FileSource::~FileSource() { Stop(); }

void FileSource::Start() {
  inotify_ = UniqueFd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  stop_event_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  EnsureWatch();
  Rescan();
  thread_ = std::thread([this] { Loop(); });
}

void FileSource::Stop() {
  if (!thread_.joinable()) {
    return;
  }
  uint64_t one = 1;
  (void)::write(stop_event_.get(), &one, sizeof(one));
  thread_.join();
}

bool FileSource::EnsureWatch() {
  if (watch_ >= 0 || !inotify_) {
    return false;
  }
  std::error_code ec;
  // A single manifest file is watched through its directory (editors replace files); a
  // path that does not exist yet is looked for again every second.
  std::string dir;
  if (std::filesystem::is_directory(path_, ec)) {
    dir = path_;
  } else if (std::filesystem::is_regular_file(path_, ec)) {
    dir = std::filesystem::path(path_).parent_path().string();
  } else {
    return false;
  }
  watch_ = ::inotify_add_watch(inotify_.get(), dir.c_str(),
                               IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO |
                                   IN_MOVED_FROM | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF);
  return watch_ >= 0;
}

void FileSource::Loop() {
  auto next_check = clock_->Monotonic() + check_frequency_;
  while (true) {
    // A path that just appeared may already hold files no event will announce.
    bool appeared = EnsureWatch();
    pollfd fds[2] = {{stop_event_.get(), POLLIN, 0}, {inotify_.get(), POLLIN, 0}};
    // Wake at least every second: without a watch (the directory does not exist yet) that
    // is how it is noticed, and the periodic check is due at some point.
    auto until_check =
        std::chrono::duration_cast<std::chrono::milliseconds>(next_check - clock_->Monotonic());
    int timeout = static_cast<int>(std::clamp<int64_t>(until_check.count(), 0, 1000));
    int n = ::poll(fds, 2, timeout);
    if (n > 0 && (fds[0].revents & POLLIN)) {
      return;
    }
    bool changed = false;
    if (n > 0 && (fds[1].revents & POLLIN)) {
      // Drain, then wait until the directory has been quiet for a moment.
      do {
        alignas(inotify_event) char buf[4096];
        while (true) {
          ssize_t len = ::read(inotify_.get(), buf, sizeof(buf));
          if (len <= 0) {
            break;
          }
          for (char* p = buf; p < buf + len;) {
            auto* ev = reinterpret_cast<inotify_event*>(p);
            if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
              watch_ = -1;  // the directory went away; re-add when it is back
            }
            p += sizeof(inotify_event) + ev->len;
          }
        }
        changed = true;
      } while (::poll(&fds[1], 1, kDebounceMs) > 0 && !(fds[1].revents & POLLERR));
    }
    if (changed || appeared || clock_->Monotonic() >= next_check || watch_ < 0) {
      Rescan();
      next_check = clock_->Monotonic() + check_frequency_;
    }
  }
}

void FileSource::Rescan() {
  std::lock_guard lock(mu_);
  std::error_code ec;
  std::vector<std::string> paths;
  if (std::filesystem::is_directory(path_, ec)) {
    for (const auto& e : std::filesystem::directory_iterator(path_, ec)) {
      std::string name = e.path().filename();
      if (name.empty() || name[0] == '.' || !e.is_regular_file(ec)) {
        continue;  // hidden files are editors' and tools' scratch space
      }
      paths.push_back(e.path());
    }
  } else if (std::filesystem::is_regular_file(path_, ec)) {
    paths.push_back(path_);
  }
  std::sort(paths.begin(), paths.end());

  std::map<std::string, FileState> next;
  for (const auto& path : paths) {
    FileState st;
    auto old = files_.find(path);
    auto text = ReadFile(path);
    if (!text) {
      st.error = text.error().message();
    } else if (old != files_.end() && old->second.content == *text) {
      st = old->second;  // unchanged
    } else {
      st.content = *text;
      auto pods = StaticPodsFromManifest(*text, path, node_name_, clock_->Now());
      if (pods) {
        st.pods = std::move(*pods);
      } else {
        st.error = pods.error().message();
        // Keep serving what the file defined before it broke.
        if (old != files_.end()) {
          st.pods = old->second.pods;
        }
      }
    }
    if (!st.error.empty() && (old == files_.end() || old->second.error != st.error ||
                              old->second.content != st.content)) {
      kLog.Error("static pod manifest skipped", {{"file", path}, {"error", st.error}});
    }
    next.emplace(path, std::move(st));
  }
  files_ = std::move(next);

  // Two manifests defining the same pod: the first file (by name) wins.
  std::vector<api::k8s::Pod> pods;
  std::set<std::string> names;
  std::map<std::string, std::string> duplicates;
  for (const auto& [path, st] : files_) {
    for (const auto& pod : st.pods) {
      std::string full = pod.metadata.namespace_ + "/" + pod.metadata.name;
      if (!names.insert(full).second) {
        duplicates[path] = "duplicate pod " + full + " (an earlier file defines it)";
        continue;
      }
      pods.push_back(pod);
    }
  }
  for (const auto& [path, error] : duplicates) {
    if (!duplicates_.contains(path)) {
      kLog.Error("static pod manifest skipped", {{"file", path}, {"error", error}});
    }
  }
  duplicates_ = std::move(duplicates);
  sink_->SetSourcePods(kFileSource, std::move(pods));
}

std::vector<ManifestError> FileSource::Errors() const {
  std::lock_guard lock(mu_);
  std::vector<ManifestError> out;
  for (const auto& [path, st] : files_) {
    if (!st.error.empty()) {
      out.push_back({path, st.error});
    } else if (auto d = duplicates_.find(path); d != duplicates_.end()) {
      out.push_back({path, d->second});
    }
  }
  return out;
}

}  // namespace capstan::kubelet::sources
