#include "kubelet/volumes/atomic_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "common/file.h"

namespace capstan::kubelet::volumes {
namespace {

namespace fs = std::filesystem;
constexpr char kDataLink[] = "..data";
constexpr char kDataLinkTmp[] = "..data_tmp";

std::unexpected<Error> Errno(std::string_view what, const std::string& path) {
  return Fail(Code::kInternal, "{} {}: {}", what, path, std::strerror(errno));
}

// The top-level element of a payload path ("a" of "a/b/c").
std::string TopLevel(const std::string& path) { return path.substr(0, path.find('/')); }

// "..2026_12_04_07_00_00." then mkdtemp's six characters, as upstream names generations.
Result<std::string> MakeGenerationDir(const std::string& dir) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y_%m_%d_%H_%M_%S", &tm);
  std::string templ = fmt::format("{}/..{}.XXXXXX", dir, stamp);
  if (::mkdtemp(templ.data()) == nullptr) return Errno("creating", templ);
  return fs::path(templ).filename().string();
}

Status WriteOne(const std::string& gen_dir, const std::string& rel, const FileProjection& f,
                std::optional<gid_t> group) {
  fs::path full = fs::path(gen_dir) / rel;
  // Parent directories inside the generation (paths were validated: no escapes).
  fs::path parent = full.parent_path();
  for (fs::path p = fs::path(gen_dir); const auto& part : fs::relative(parent, gen_dir)) {
    if (part == ".") break;
    p /= part;
    if (::mkdir(p.c_str(), 0755) != 0 && errno != EEXIST) return Errno("creating", p.string());
    if (group) (void)::chown(p.c_str(), static_cast<uid_t>(-1), *group);
  }
  int fd = ::open(full.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("creating", full.string());
  size_t done = 0;
  while (done < f.data.size()) {
    ssize_t n = ::write(fd, f.data.data() + done, f.data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return Errno("writing", full.string());
    }
    done += static_cast<size_t>(n);
  }
  if (group) (void)::fchown(fd, static_cast<uid_t>(-1), *group);
  // fchmod after writing: the umask must not narrow the mode the pod asked for.
  if (::fchmod(fd, static_cast<mode_t>(f.mode & 0777)) != 0) {
    ::close(fd);
    return Errno("chmod", full.string());
  }
  ::close(fd);
  return Ok();
}

// The current generation's name ("" when there is none yet).
std::string CurrentGeneration(const std::string& dir) {
  char buf[PATH_MAX];
  std::string link = dir + "/" + kDataLink;
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string target(buf, static_cast<size_t>(n));
  // Only a sibling generation of our own naming that is a real directory counts: anything
  // else is not ours to follow.
  static const std::regex kGeneration(R"(\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.[A-Za-z0-9]{6})");
  if (!std::regex_match(target, kGeneration)) return "";
  struct stat st {};
  if (::lstat((dir + "/" + target).c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return "";
  return target;
}

// A file of a generation, never through a symlink, at most `limit` bytes.
Result<std::string> ReadPlainFile(const std::string& path, size_t limit) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Errno("opening", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<size_t>(st.st_size) > limit) {
    ::close(fd);
    return Fail(Code::kFailedPrecondition, "{} is not a plain file of at most {} bytes", path,
                limit);
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < data.size()) {
    ssize_t r = ::read(fd, data.data() + done, data.size() - done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    done += static_cast<size_t>(r);
  }
  ::close(fd);
  data.resize(done);
  return data;
}

}  // namespace

Status ValidatePayloadPath(const std::string& path) {
  if (path.empty()) return Fail(Code::kInvalidArgument, "empty file path in volume payload");
  if (path[0] == '/') return Fail(Code::kInvalidArgument, "file path {:?} is absolute", path);
  if (path.rfind("..", 0) == 0) {
    return Fail(Code::kInvalidArgument, "file path {:?} starts with '..'", path);
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view part(path.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") {
      return Fail(Code::kInvalidArgument, "file path {:?} has an invalid element", path);
    }
    start = end + 1;
  }
  return Ok();
}

AtomicWriter::AtomicWriter(std::string dir, std::optional<gid_t> group)
    : dir_(std::move(dir)), group_(group) {}

Result<Payload> AtomicWriter::Read() const {
  Payload out;
  std::string gen = CurrentGeneration(dir_);
  if (gen.empty()) return out;
  fs::path root = fs::path(dir_) / gen;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    // Volumes hold API objects (1 MiB each at most): anything far larger is not ours.
    CAPSTAN_ASSIGN_OR_RETURN(std::string data, ReadPlainFile(it->path(), 64 << 20));
    out[fs::relative(it->path(), root).string()] = {std::move(data),
                                                    static_cast<int32_t>(st.st_mode & 0777)};
  }
  if (ec) return Fail(Code::kInternal, "reading {}: {}", root.string(), ec.message());
  return out;
}

Result<bool> AtomicWriter::Write(const Payload& requested) {
  Payload payload = requested;
  for (auto& [path, file] : payload) {
    CAPSTAN_TRY(ValidatePayloadPath(path));
    // Permission bits only (no setuid, setgid or sticky); with fsGroup the group may read,
    // as upstream's SetVolumeOwnership gives read-only volumes.
    file.mode &= 0777;
    if (group_) file.mode |= 0440;
  }
  std::string old_gen = CurrentGeneration(dir_);
  Payload old;
  if (!old_gen.empty()) {
    CAPSTAN_ASSIGN_OR_RETURN(old, Read());
    if (old == payload) return false;
  }

  // 1. The new generation, complete, beside the old one.
  CAPSTAN_ASSIGN_OR_RETURN(std::string gen, MakeGenerationDir(dir_));
  std::string gen_dir = dir_ + "/" + gen;
  ::chmod(gen_dir.c_str(), 0755);
  if (group_) (void)::chown(gen_dir.c_str(), static_cast<uid_t>(-1), *group_);
  for (const auto& [path, file] : payload) {
    if (auto st = WriteOne(gen_dir, path, file, group_); !st) {
      (void)RemoveAll(gen_dir);
      return Fail(st.error());
    }
  }
  // 2. The swap: a new symlink renamed over ..data.
  std::string tmp = dir_ + "/" + kDataLinkTmp;
  ::unlink(tmp.c_str());
  if (::symlink(gen.c_str(), tmp.c_str()) != 0) return Errno("linking", tmp);
  std::string data_link = dir_ + "/" + kDataLink;
  if (::rename(tmp.c_str(), data_link.c_str()) != 0) return Errno("renaming", tmp);

  // 3. The user-visible names: new ones link through ..data, gone ones are removed.
  std::set<std::string> wanted, had;
  for (const auto& [path, _] : payload) wanted.insert(TopLevel(path));
  for (const auto& [path, _] : old) had.insert(TopLevel(path));
  for (const auto& name : wanted) {
    std::string link = dir_ + "/" + name;
    struct stat st {};
    if (::lstat(link.c_str(), &st) == 0) continue;  // already links through ..data
    std::string target = std::string(kDataLink) + "/" + name;
    if (::symlink(target.c_str(), link.c_str()) != 0) return Errno("linking", link);
  }
  for (const auto& name : had) {
    if (!wanted.contains(name)) ::unlink((dir_ + "/" + name).c_str());
  }
  // 4. The old generation goes once nothing points at it.
  if (!old_gen.empty() && old_gen != gen) CAPSTAN_TRY(RemoveAll(dir_ + "/" + old_gen));
  return true;
}

}  // namespace capstan::kubelet::volumes
