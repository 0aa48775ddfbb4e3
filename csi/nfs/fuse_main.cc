// capstan-nfs-fuse: an NFS directory mounted through FUSE, served by libnfs in userspace, for
// nodes whose kernel has no NFS client. capstan-csi-nfs starts one per published volume; it
// stays in the background until the mount is unmounted, so a restarted driver (or kubelet)
// leaves running pods' files where they were.
//
//   capstan-nfs-fuse SERVER SHARE SUBDIR MOUNTPOINT [MOUNT-OPTIONS: port=N,vers=4,ro]
//
// The kernel resolves symlinks itself (readlink), so the paths that reach here name no link:
// links are not followed on the server either (O_NOFOLLOW, the l* calls), so one swapped in
// by another client cannot lead out of the volume.
// Every call goes to the server (attribute and entry timeouts of one second), serialized on
// one libnfs connection. Files a pod creates are chowned to its uid/gid on the server (the
// connection itself is root's), as the kernel client's AUTH_SYS would have made them.
// libnfs's NFSv4 path-based SETATTR opens and closes the file under the connection's one
// open-owner, which ends the state of a handle already open on it: attributes of an open
// file are set through its handle (fchmod, fchown, ftruncate), and O_TRUNC is an ftruncate
// after the open (libnfs 4.0 cannot OPEN an existing file with O_TRUNC over NFSv4).
#define FUSE_USE_VERSION 31

#include <fcntl.h>
#include <fuse.h>
#include <stdint.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

extern "C" {
#include <nfsc/libnfs.h>
}

#include "csi/nfs/nfs_client.h"

namespace {

using capstan::csi::nfs::NfsClient;

NfsClient* g_client = nullptr;
std::string g_root;  // the subdirectory inside the export that is the mount's root
int g_version = 3;

nfs_context* Nfs() { return g_client->context(); }
std::string At(const char* path) { return g_root + (std::strcmp(path, "/") == 0 ? "" : path); }
struct nfsfh* Fh(const fuse_file_info* fi) {
  return reinterpret_cast<struct nfsfh*>(static_cast<uintptr_t>(fi->fh));
}

void ToStat(const nfs_stat_64& in, struct stat* out) {
  std::memset(out, 0, sizeof(*out));
  out->st_ino = in.nfs_ino;
  out->st_mode = static_cast<mode_t>(in.nfs_mode);
  out->st_nlink = in.nfs_nlink;
  out->st_uid = static_cast<uid_t>(in.nfs_uid);
  out->st_gid = static_cast<gid_t>(in.nfs_gid);
  out->st_rdev = in.nfs_rdev;
  out->st_size = static_cast<off_t>(in.nfs_size);
  out->st_blksize = static_cast<blksize_t>(in.nfs_blksize ? in.nfs_blksize : 4096);
  out->st_blocks = static_cast<blkcnt_t>(in.nfs_blocks ? in.nfs_blocks : (in.nfs_used + 511) / 512);
  out->st_atim = {static_cast<time_t>(in.nfs_atime), static_cast<long>(in.nfs_atime_nsec)};
  out->st_mtim = {static_cast<time_t>(in.nfs_mtime), static_cast<long>(in.nfs_mtime_nsec)};
  out->st_ctim = {static_cast<time_t>(in.nfs_ctime), static_cast<long>(in.nfs_ctime_nsec)};
}

// Gives a new file or directory to the caller, as the kernel client would have.
void OwnToCaller(const std::string& path) {
  fuse_context* ctx = fuse_get_context();
  if (ctx != nullptr && (ctx->uid != 0 || ctx->gid != 0)) {
    nfs_lchown(Nfs(), path.c_str(), static_cast<int>(ctx->uid), static_cast<int>(ctx->gid));
  }
}

int GetAttr(const char* path, struct stat* st, fuse_file_info* fi) {
  std::lock_guard lock(g_client->mu());
  nfs_stat_64 in{};
  int rc = fi != nullptr && fi->fh != 0 ? nfs_fstat64(Nfs(), Fh(fi), &in)
                                        : nfs_lstat64(Nfs(), At(path).c_str(), &in);
  if (rc != 0) return rc < 0 ? rc : -EIO;
  ToStat(in, st);
  return 0;
}

int ReadDir(const char* path, void* buf, fuse_fill_dir_t fill, off_t, fuse_file_info*,
            fuse_readdir_flags) {
  std::lock_guard lock(g_client->mu());
  struct nfsdir* dir = nullptr;
  if (int rc = nfs_opendir(Nfs(), At(path).c_str(), &dir); rc != 0) return rc < 0 ? rc : -EIO;
  while (struct nfsdirent* ent = nfs_readdir(Nfs(), dir)) {
    struct stat st {};
    st.st_ino = ent->inode;
    st.st_mode = ent->mode;
    fill(buf, ent->name, &st, 0, static_cast<fuse_fill_dir_flags>(0));
  }
  nfs_closedir(Nfs(), dir);
  return 0;
}

int Mkdir(const char* path, mode_t mode) {
  std::lock_guard lock(g_client->mu());
  std::string p = At(path);
  if (int rc = nfs_mkdir2(Nfs(), p.c_str(), static_cast<int>(mode)); rc != 0) return rc;
  OwnToCaller(p);
  return 0;
}

int Unlink(const char* path) {
  std::lock_guard lock(g_client->mu());
  return nfs_unlink(Nfs(), At(path).c_str());
}

int Rmdir(const char* path) {
  std::lock_guard lock(g_client->mu());
  return nfs_rmdir(Nfs(), At(path).c_str());
}

int Rename(const char* from, const char* to, unsigned int flags) {
  if (flags != 0) return -EINVAL;  // RENAME_NOREPLACE/EXCHANGE: NFS has neither
  std::lock_guard lock(g_client->mu());
  return nfs_rename(Nfs(), At(from).c_str(), At(to).c_str());
}

int Symlink(const char* target, const char* link) {
  std::lock_guard lock(g_client->mu());
  std::string p = At(link);
  if (int rc = nfs_symlink(Nfs(), target, p.c_str()); rc != 0) return rc;
  OwnToCaller(p);
  return 0;
}

int ReadLink(const char* path, char* buf, size_t size) {
  std::lock_guard lock(g_client->mu());
  return nfs_readlink(Nfs(), At(path).c_str(), buf, static_cast<int>(size));
}

int Link(const char* from, const char* to) {
  std::lock_guard lock(g_client->mu());
  return nfs_link(Nfs(), At(from).c_str(), At(to).c_str());
}

int Chmod(const char* path, mode_t mode, fuse_file_info* fi) {
  std::lock_guard lock(g_client->mu());
  if (fi != nullptr && fi->fh != 0) return nfs_fchmod(Nfs(), Fh(fi), static_cast<int>(mode));
  return nfs_lchmod(Nfs(), At(path).c_str(), static_cast<int>(mode));
}

int Chown(const char* path, uid_t uid, gid_t gid, fuse_file_info* fi) {
  std::lock_guard lock(g_client->mu());
  // (uid_t)-1 or (gid_t)-1 leaves that one as it is: NFS wants both, so it is read first.
  if (uid == static_cast<uid_t>(-1) || gid == static_cast<gid_t>(-1)) {
    nfs_stat_64 st{};
    int rc = fi != nullptr && fi->fh != 0 ? nfs_fstat64(Nfs(), Fh(fi), &st)
                                          : nfs_lstat64(Nfs(), At(path).c_str(), &st);
    if (rc != 0) return rc;
    if (uid == static_cast<uid_t>(-1)) uid = static_cast<uid_t>(st.nfs_uid);
    if (gid == static_cast<gid_t>(-1)) gid = static_cast<gid_t>(st.nfs_gid);
  }
  if (fi != nullptr && fi->fh != 0) {
    return nfs_fchown(Nfs(), Fh(fi), static_cast<int>(uid), static_cast<int>(gid));
  }
  return nfs_lchown(Nfs(), At(path).c_str(), static_cast<int>(uid), static_cast<int>(gid));
}

int Truncate(const char* path, off_t size, fuse_file_info* fi) {
  std::lock_guard lock(g_client->mu());
  if (fi != nullptr && fi->fh != 0) {
    return nfs_ftruncate(Nfs(), Fh(fi), static_cast<uint64_t>(size));
  }
  struct nfsfh* fh = nullptr;
  if (int rc = nfs_open(Nfs(), At(path).c_str(), O_WRONLY | O_NOFOLLOW, &fh); rc != 0) return rc;
  int rc = nfs_ftruncate(Nfs(), fh, static_cast<uint64_t>(size));
  nfs_close(Nfs(), fh);
  return rc;
}

int Open(const char* path, fuse_file_info* fi) {
  std::lock_guard lock(g_client->mu());
  struct nfsfh* fh = nullptr;
  int flags = (fi->flags & (O_ACCMODE | O_APPEND | O_SYNC)) | O_NOFOLLOW;
  if (int rc = nfs_open(Nfs(), At(path).c_str(), flags, &fh); rc != 0) return rc;
  if ((fi->flags & O_TRUNC) != 0) {
    if (int rc = nfs_ftruncate(Nfs(), fh, 0); rc != 0) {
      nfs_close(Nfs(), fh);
      return rc;
    }
  }
  fi->fh = reinterpret_cast<uintptr_t>(fh);
  return 0;
}

int Create(const char* path, mode_t mode, fuse_file_info* fi) {
  std::lock_guard lock(g_client->mu());
  std::string p = At(path);
  struct nfsfh* fh = nullptr;
  int flags = (fi->flags & (O_ACCMODE | O_APPEND | O_EXCL)) | O_CREAT | O_NOFOLLOW;
  if (int rc = nfs_open2(Nfs(), p.c_str(), flags, static_cast<int>(mode), &fh); rc != 0) {
    // Made meanwhile by another client: opened as it is (truncated if asked).
    if ((fi->flags & O_EXCL) != 0) return rc;
    fh = nullptr;
    if (int again =
            nfs_open(Nfs(), p.c_str(), (fi->flags & (O_ACCMODE | O_APPEND)) | O_NOFOLLOW, &fh);
        again != 0) {
      return rc;
    }
    if ((fi->flags & O_TRUNC) != 0) nfs_ftruncate(Nfs(), fh, 0);
    fi->fh = reinterpret_cast<uintptr_t>(fh);
    return 0;
  }
  // The server does not take the mode at create: it is set on the new file, as is its owner.
  nfs_fchmod(Nfs(), fh, static_cast<int>(mode & 07777));
  fuse_context* ctx = fuse_get_context();
  if (ctx != nullptr && (ctx->uid != 0 || ctx->gid != 0)) {
    nfs_fchown(Nfs(), fh, static_cast<int>(ctx->uid), static_cast<int>(ctx->gid));
  }
  fi->fh = reinterpret_cast<uintptr_t>(fh);
  return 0;
}

int Read(const char*, char* buf, size_t size, off_t offset, fuse_file_info* fi) {
  std::lock_guard lock(g_client->mu());
  size_t done = 0;
  // libnfs reads at most its negotiated size at once; a short read is not the end of file.
  while (done < size) {
    int n = nfs_pread(Nfs(), Fh(fi), static_cast<uint64_t>(offset) + done, size - done, buf + done);
    if (n < 0) return done > 0 ? static_cast<int>(done) : n;
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return static_cast<int>(done);
}

int Write(const char*, const char* buf, size_t size, off_t offset, fuse_file_info* fi) {
  std::lock_guard lock(g_client->mu());
  size_t done = 0;
  while (done < size) {
    size_t piece =
        g_version == 4 ? std::min(size - done, capstan::csi::nfs::kMaxWriteChunk) : size - done;
    int n = nfs_pwrite(Nfs(), Fh(fi), static_cast<uint64_t>(offset) + done, piece, buf + done);
    if (n < 0) return done > 0 ? static_cast<int>(done) : n;
    if (n == 0) return -EIO;
    done += static_cast<size_t>(n);
  }
  return static_cast<int>(done);
}

int Release(const char*, fuse_file_info* fi) {
  std::lock_guard lock(g_client->mu());
  return nfs_close(Nfs(), Fh(fi));
}

int Fsync(const char*, int, fuse_file_info* fi) {
  std::lock_guard lock(g_client->mu());
  return nfs_fsync(Nfs(), Fh(fi));
}

int StatFs(const char* path, struct statvfs* out) {
  std::lock_guard lock(g_client->mu());
  struct nfs_statvfs_64 in {};
  if (int rc = nfs_statvfs64(Nfs(), At(path).c_str(), &in); rc != 0) return rc;
  std::memset(out, 0, sizeof(*out));
  out->f_bsize = in.f_bsize;
  out->f_frsize = in.f_frsize;
  out->f_blocks = in.f_blocks;
  out->f_bfree = in.f_bfree;
  out->f_bavail = in.f_bavail;
  out->f_files = in.f_files;
  out->f_ffree = in.f_ffree;
  out->f_favail = in.f_favail;
  out->f_namemax = in.f_namemax ? in.f_namemax : 255;
  return 0;
}

int Utimens(const char* path, const struct timespec tv[2], fuse_file_info*) {
  std::lock_guard lock(g_client->mu());
  struct timeval times[2];
  struct timeval now {};
  gettimeofday(&now, nullptr);
  for (int i = 0; i < 2; ++i) {
    if (tv[i].tv_nsec == UTIME_NOW || tv[i].tv_nsec == UTIME_OMIT) {
      times[i] = now;  // (OMIT would need the current value: now is close enough for NFS)
    } else {
      times[i] = {tv[i].tv_sec, static_cast<suseconds_t>(tv[i].tv_nsec / 1000)};
    }
  }
  return nfs_lutimes(Nfs(), At(path).c_str(), times);
}

void* Init(fuse_conn_info* conn, fuse_config* cfg) {
  // Large transfers: fewer round trips to the server per sequential read or write.
  conn->max_write = 1 << 20;
  conn->max_readahead = 1 << 20;
  cfg->entry_timeout = 1.0;
  cfg->attr_timeout = 1.0;
  cfg->negative_timeout = 0;
  cfg->hard_remove = 1;
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s SERVER SHARE SUBDIR MOUNTPOINT [MOUNT-OPTIONS]\n", argv[0]);
    return 2;
  }
  capstan::csi::nfs::NfsTarget target{argv[1], argv[2]};
  std::string mount_options = argc > 5 ? argv[5] : "";
  capstan::csi::nfs::ApplyMountOptions(mount_options, &target);
  auto client = NfsClient::Connect(target);
  if (!client) {
    std::fprintf(stderr, "capstan-nfs-fuse: %s\n", client.error().message().c_str());
    return 1;
  }
  g_client = client->get();
  g_version = target.version;
  g_root = argv[3];
  if (!g_root.empty() && g_root[0] != '/') g_root = "/" + g_root;
  while (g_root.size() > 1 && g_root.back() == '/') g_root.pop_back();
  if (g_root == "/") g_root.clear();

  fuse_operations ops{};
  ops.getattr = GetAttr;
  ops.readlink = ReadLink;
  ops.mkdir = Mkdir;
  ops.unlink = Unlink;
  ops.rmdir = Rmdir;
  ops.symlink = Symlink;
  ops.rename = Rename;
  ops.link = Link;
  ops.chmod = Chmod;
  ops.chown = Chown;
  ops.truncate = Truncate;
  ops.open = Open;
  ops.read = Read;
  ops.write = Write;
  ops.statfs = StatFs;
  ops.release = Release;
  ops.fsync = Fsync;
  ops.readdir = ReadDir;
  ops.init = Init;
  ops.create = Create;
  ops.utimens = Utimens;

  std::string options = "allow_other,default_permissions,fsname=" + target.server + ":" +
                        target.share + g_root + ",subtype=capstan-nfs";
  // "ro" among the mount options makes the FUSE mount read-only too.
  if (("," + mount_options + ",").find(",ro,") != std::string::npos) options += ",ro";
  std::vector<std::string> args = {argv[0], argv[4], "-f", "-s", "-o", options};
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  return fuse_main(static_cast<int>(cargs.size()), cargs.data(), &ops, nullptr);
}
