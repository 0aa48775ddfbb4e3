#include "cri/oci/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <map>

#include "common/path_in_root.h"
#include "common/unique_fd.h"

namespace capstan::cri::oci {

MountOptions ParseMountOptions(const std::vector<std::string>& options) {
  static const std::map<std::string, std::pair<unsigned long, bool>> kFlags = {
      // option -> (flag, set?)
      {"ro", {MS_RDONLY, true}},
      {"rw", {MS_RDONLY, false}},
      {"nosuid", {MS_NOSUID, true}},
      {"suid", {MS_NOSUID, false}},
      {"nodev", {MS_NODEV, true}},
      {"dev", {MS_NODEV, false}},
      {"noexec", {MS_NOEXEC, true}},
      {"exec", {MS_NOEXEC, false}},
      {"strictatime", {MS_STRICTATIME, true}},
      {"relatime", {MS_RELATIME, true}},
      {"noatime", {MS_NOATIME, true}},
      {"nodiratime", {MS_NODIRATIME, true}},
  };
  static const std::map<std::string, unsigned long> kPropagation = {
      {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
      {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
      {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
      {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
  };
  MountOptions out;
  for (const auto& o : options) {
    if (o == "bind") {
      out.bind = true;
    } else if (o == "rbind") {
      out.bind = out.recursive = true;
    } else if (auto f = kFlags.find(o); f != kFlags.end()) {
      if (f->second.second) {
        out.flags |= f->second.first;
      } else {
        out.flags &= ~f->second.first;
      }
    } else if (auto p = kPropagation.find(o); p != kPropagation.end()) {
      out.propagation = p->second;
    } else {
      if (!out.data.empty()) {
        out.data += ',';
      }
      out.data += o;
    }
  }
  return out;
}

namespace {

Status Mount(const std::string& src, const std::string& target, const char* type,
             unsigned long flags, const std::string& data, std::string_view what) {
  if (::mount(src.c_str(), target.c_str(), type, flags, data.empty() ? nullptr : data.c_str()) !=
      0) {
    return FailErrno("mounting {} on {}", src, what);
  }
  return Ok();
}

Status MountOne(int root_fd, const MountSpec& m) {
  if (m.destination.empty() || m.destination[0] != '/') {
    return Fail(Code::kInvalidArgument, "mount destination {:?} is not absolute", m.destination);
  }
  MountOptions opts = ParseMountOptions(m.options);
  bool bind = opts.bind || m.type == "bind";
  UniqueFd target;
  if (bind) {
    struct stat st {};
    if (::stat(m.source.c_str(), &st) != 0) {
      return FailErrno("mount source {}", m.source);
    }
    if (S_ISDIR(st.st_mode)) {
      CAPSTAN_ASSIGN_OR_RETURN(target, MkdirAllInRoot(root_fd, m.destination));
    } else {
      CAPSTAN_ASSIGN_OR_RETURN(target, EnsureFileInRoot(root_fd, m.destination));
    }
    unsigned long flags = MS_BIND | (opts.recursive ? MS_REC : 0);
    CAPSTAN_TRY(Mount(m.source, FdPath(target.get()), nullptr, flags, "", m.destination));
    // Bind mounts ignore flags on the first call; a remount applies them.
    if (opts.flags != 0) {
      CAPSTAN_ASSIGN_OR_RETURN(UniqueFd mounted, OpenInRoot(root_fd, m.destination, O_PATH));
      CAPSTAN_TRY(Mount("", FdPath(mounted.get()), nullptr, MS_BIND | MS_REMOUNT | opts.flags, "",
                        m.destination));
    }
  } else {
    CAPSTAN_ASSIGN_OR_RETURN(target, MkdirAllInRoot(root_fd, m.destination));
    CAPSTAN_TRY(Mount(m.source, FdPath(target.get()), m.type.c_str(), opts.flags, opts.data,
                      m.destination));
  }
  if (opts.propagation != 0) {
    CAPSTAN_ASSIGN_OR_RETURN(UniqueFd mounted, OpenInRoot(root_fd, m.destination, O_PATH));
    CAPSTAN_TRY(Mount("", FdPath(mounted.get()), nullptr, opts.propagation, "", m.destination));
  }
  return Ok();
}

struct DefaultDevice {
  const char* name;
  unsigned major, minor;
};
constexpr DefaultDevice kDefaultDevices[] = {
    {"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

Status CreateDevice(int root_fd, const std::string& path, mode_t type_and_mode, dev_t dev) {
  size_t slash = path.find_last_of('/');
  CAPSTAN_ASSIGN_OR_RETURN(UniqueFd dir, MkdirAllInRoot(root_fd, path.substr(0, slash)));
  CAPSTAN_ASSIGN_OR_RETURN(UniqueFd real_dir,
                           OpenInRoot(root_fd, path.substr(0, slash), O_RDONLY | O_DIRECTORY));
  std::string name = path.substr(slash + 1);
  ::unlinkat(real_dir.get(), name.c_str(), 0);
  if (::mknodat(real_dir.get(), name.c_str(), type_and_mode, dev) != 0) {
    return FailErrno("creating device {}", path);
  }
  // mknod is subject to umask; devices get exactly the requested mode.
  ::fchmodat(real_dir.get(), name.c_str(), type_and_mode & 07777, 0);
  return Ok();
}

Status CreateDevices(int root_fd, const ContainerSpec& spec) {
  if (!spec.security.privileged) {
    for (const auto& d : kDefaultDevices) {
      CAPSTAN_TRY(CreateDevice(root_fd, std::string("/dev/") + d.name, S_IFCHR | 0666,
                               makedev(d.major, d.minor)));
    }
  }
  for (const auto& d : spec.devices) {
    struct stat st {};
    if (::stat(d.host_path.c_str(), &st) != 0) {
      return FailErrno("device {}", d.host_path);
    }
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
      return Fail(Code::kInvalidArgument, "{} is not a device", d.host_path);
    }
    CAPSTAN_TRY(CreateDevice(root_fd, d.container_path, (st.st_mode & S_IFMT) | 0660, st.st_rdev));
  }
  CAPSTAN_ASSIGN_OR_RETURN(UniqueFd dev, OpenInRoot(root_fd, "/dev", O_RDONLY | O_DIRECTORY));
  const std::pair<const char*, const char*> links[] = {
      {"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
      {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"},      {"pts/ptmx", "ptmx"},
  };
  for (const auto& [target, name] : links) {
    if (std::string_view(name) == "ptmx") {
      ::unlinkat(dev.get(), name, 0);
    }
    if (::symlinkat(target, dev.get(), name) != 0 && errno != EEXIST) {
      return FailErrno("creating /dev/{}", name);
    }
  }
  return Ok();
}

Status PivotRoot(int root_fd) {
  UniqueFd old_root(::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!old_root) {
    return FailErrno("opening the old root");
  }
  if (::fchdir(root_fd) != 0) {
    return FailErrno("entering rootfs");
  }
  // pivot_root(".", ".") stacks the old root on top of the new one; we then detach it
  // without needing a directory for it inside the container (as runc does).
  if (::syscall(SYS_pivot_root, ".", ".") != 0) {
    return FailErrno("pivot_root");
  }
  // Work on the old root explicitly: making the *new* root a slave here would cut the
  // container's Bidirectional mounts off from the host.
  if (::fchdir(old_root.get()) != 0) {
    return FailErrno("entering the old root");
  }
  // rslave first, so that detaching the old root does not propagate unmounts to the host.
  if (::mount("", ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0) {
    return FailErrno("making the old root a slave");
  }
  if (::umount2(".", MNT_DETACH) != 0) {
    return FailErrno("detaching the old root");
  }
  if (::chdir("/") != 0) {
    return FailErrno("chdir /");
  }
  return Ok();
}

Status MaskPaths(const ContainerSpec& spec) {
  UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  for (const auto& p : spec.security.masked_paths) {
    auto fd = OpenInRoot(root.get(), p, O_PATH);
    if (!fd) {
      continue;  // nothing there to hide
    }
    struct stat st {};
    ::fstat(fd->get(), &st);
    if (S_ISDIR(st.st_mode)) {
      CAPSTAN_TRY(Mount("tmpfs", FdPath(fd->get()), "tmpfs", MS_RDONLY, "", p));
    } else {
      CAPSTAN_TRY(Mount("/dev/null", FdPath(fd->get()), nullptr, MS_BIND, "", p));
    }
  }
  for (const auto& p : spec.security.readonly_paths) {
    auto fd = OpenInRoot(root.get(), p, O_PATH);
    if (!fd) {
      continue;
    }
    CAPSTAN_TRY(Mount(FdPath(fd->get()), FdPath(fd->get()), nullptr, MS_BIND | MS_REC, "", p));
    CAPSTAN_ASSIGN_OR_RETURN(UniqueFd mounted, OpenInRoot(root.get(), p, O_PATH));
    CAPSTAN_TRY(Mount("", FdPath(mounted.get()), nullptr,
                      MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "", p));
  }
  return Ok();
}

}  // namespace

Status PrepareRootfs(const ContainerSpec& spec) {
  // Nothing the container mounts may leak back to the host: "/" becomes rprivate, or rslave
  // when a CRI mount asks for HostToContainer propagation (host mounts still come in). With
  // a Bidirectional mount ("rshared"), "/" keeps the host's propagation so that copies of the
  // host's shared mounts stay peers; the rootfs itself is made private below, and the old
  // root is made a slave before it is detached, so only the shared CRI mounts propagate.
  if (spec.rootfs_propagation != "rshared") {
    unsigned long root_prop =
        spec.rootfs_propagation == "rslave" ? MS_SLAVE | MS_REC : MS_PRIVATE | MS_REC;
    if (::mount("", "/", nullptr, root_prop, nullptr) != 0) {
      return FailErrno("setting / propagation");
    }
  }
  // Make the rootfs a mount point of its own (pivot_root needs one), private so that the
  // container's own mounts (proc, dev, ...) never reach the host's copy of it.
  // pivot_root also needs the new root's parent to be unshared: that is the rootfs's own
  // mount (our copy of the overlay capstan-cri mounted).
  CAPSTAN_TRY(Mount("", spec.rootfs, nullptr, MS_PRIVATE, "", "rootfs parent (private)"));
  CAPSTAN_TRY(Mount(spec.rootfs, spec.rootfs, nullptr, MS_BIND | MS_REC, "", "rootfs"));
  CAPSTAN_TRY(Mount("", spec.rootfs, nullptr, MS_PRIVATE, "", "rootfs (private)"));
  UniqueFd root_fd(::open(spec.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd) {
    return FailErrno("opening rootfs {}", spec.rootfs);
  }
  bool devices_done = false;
  for (const auto& m : spec.mounts) {
    CAPSTAN_TRY_WRAP(MountOne(root_fd.get(), m), "mount {}", m.destination);
    if (m.destination == "/dev" && !devices_done) {
      CAPSTAN_TRY(CreateDevices(root_fd.get(), spec));
      devices_done = true;
    }
  }
  if (!devices_done && !spec.devices.empty()) {
    CAPSTAN_TRY(CreateDevices(root_fd.get(), spec));
  }
  // The working directory is created if the image lacks it, as runc does.
  CAPSTAN_TRY(MkdirAllInRoot(root_fd.get(), spec.process.cwd));
  UniqueFd real_root(::open(spec.rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  CAPSTAN_TRY(PivotRoot(real_root.get()));
  CAPSTAN_TRY(MaskPaths(spec));
  if (spec.security.readonly_rootfs) {
    CAPSTAN_TRY(Mount("", "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, "", "/ (read-only)"));
  }
  if (spec.rootfs_propagation == "rshared") {
    CAPSTAN_TRY(Mount("", "/", nullptr, MS_SHARED | MS_REC, "", "/ (shared)"));
  }
  return Ok();
}

}  // namespace capstan::cri::oci
