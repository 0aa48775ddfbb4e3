#include "csi/nfs/nfs_client.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/time.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <vector>

extern "C" {
#include <nfsc/libnfs.h>
}

namespace capstan::csi::nfs {

void ApplyMountOptions(const std::string& options, NfsTarget* target) {
  std::stringstream in(options);
  for (std::string opt; std::getline(in, opt, ',');) {
    auto eq = opt.find('=');
    if (eq == std::string::npos) continue;
    std::string key = opt.substr(0, eq), value = opt.substr(eq + 1);
    try {
      if (key == "port") target->port = std::stoi(value);
      if (key == "mountport") target->mount_port = std::stoi(value);
      if (key == "nfsvers" || key == "vers") target->version = std::stoi(value) >= 4 ? 4 : 3;
    } catch (const std::exception&) {
      // A malformed number is the kernel client's to refuse; libnfs keeps its default.
    }
  }
}

std::string UrlOf(const NfsTarget& target) {
  std::string url = "nfs://" + target.server + target.share +
                    "?version=" + std::to_string(target.version == 3 ? 3 : 4);
  if (target.port > 0) url += "&nfsport=" + std::to_string(target.port);
  if (target.mount_port > 0 && target.version == 3) {
    url += "&mountport=" + std::to_string(target.mount_port);
  }
  return url;
}

Result<std::unique_ptr<NfsClient>> NfsClient::Connect(const NfsTarget& target) {
  if (target.server.empty() || target.share.empty() || target.share[0] != '/') {
    return Fail(Code::kInvalidArgument, "an NFS server and an absolute share are required");
  }
  std::unique_ptr<NfsClient> client(new NfsClient());
  client->nfs_ = nfs_init_context();
  if (client->nfs_ == nullptr) return Fail(Code::kInternal, "libnfs: cannot make a context");
  std::string url = UrlOf(target);
  struct nfs_url* parsed = nfs_parse_url_dir(client->nfs_, url.c_str());
  if (parsed == nullptr) {
    return Fail(Code::kInvalidArgument, "{}: {}", url, nfs_get_error(client->nfs_));
  }
  nfs_set_timeout(client->nfs_, 30000);
  client->write_chunk_ = target.version == 4 ? kMaxWriteChunk : (64u << 20);
  int rc = nfs_mount(client->nfs_, parsed->server, parsed->path);
  nfs_destroy_url(parsed);
  if (rc != 0) {
    return Fail(Code::kUnavailable, "connecting to {}: {}", url, nfs_get_error(client->nfs_));
  }
  return client;
}

NfsClient::~NfsClient() {
  if (nfs_ != nullptr) nfs_destroy_context(nfs_);
}

std::string NfsClient::LastError() const { return nfs_get_error(nfs_); }

bool NfsClient::Exists(const std::string& path) {
  struct nfs_stat_64 st {};
  return nfs_stat64(nfs_, path.c_str(), &st) == 0;
}

Status NfsClient::MkdirAll(const std::string& path, int mode) {
  std::string at;
  std::stringstream in(path);
  for (std::string part; std::getline(in, part, '/');) {
    if (part.empty()) continue;
    at += "/" + part;
    if (Exists(at)) continue;
    if (nfs_mkdir2(nfs_, at.c_str(), mode) != 0 && !Exists(at)) {
      return Fail(Code::kUnavailable, "mkdir {}: {}", at, LastError());
    }
    // The server applies its umask; the mode asked for is set explicitly.
    nfs_chmod(nfs_, at.c_str(), mode);
  }
  return Ok();
}

Status NfsClient::RemoveAll(const std::string& path) {
  struct nfs_stat_64 st {};
  if (nfs_lstat64(nfs_, path.c_str(), &st) != 0) return Ok();  // already gone
  if ((st.nfs_mode & S_IFMT) != S_IFDIR) {
    if (nfs_unlink(nfs_, path.c_str()) != 0) {
      return Fail(Code::kUnavailable, "unlink {}: {}", path, LastError());
    }
    return Ok();
  }
  struct nfsdir* dir = nullptr;
  if (nfs_opendir(nfs_, path.c_str(), &dir) != 0) {
    return Fail(Code::kUnavailable, "opendir {}: {}", path, LastError());
  }
  std::vector<std::string> children;
  while (struct nfsdirent* ent = nfs_readdir(nfs_, dir)) {
    std::string name = ent->name;
    if (name != "." && name != "..") children.push_back(path + "/" + name);
  }
  nfs_closedir(nfs_, dir);
  for (const auto& child : children) CAPSTAN_TRY(RemoveAll(child));
  if (nfs_rmdir(nfs_, path.c_str()) != 0) {
    return Fail(Code::kUnavailable, "rmdir {}: {}", path, LastError());
  }
  return Ok();
}

Status NfsClient::Rename(const std::string& from, const std::string& to) {
  if (nfs_rename(nfs_, from.c_str(), to.c_str()) != 0) {
    return Fail(Code::kUnavailable, "rename {} to {}: {}", from, to, LastError());
  }
  return Ok();
}

Status CopyTree(NfsClient* src, const std::string& from, NfsClient* dst, const std::string& to) {
  nfs_context* in = src->context();
  nfs_context* out = dst->context();
  struct nfs_stat_64 st {};
  if (nfs_lstat64(in, from.c_str(), &st) != 0) {
    return Fail(Code::kNotFound, "stat {}: {}", from, src->LastError());
  }
  int mode = static_cast<int>(st.nfs_mode & 07777);
  switch (st.nfs_mode & S_IFMT) {
    case S_IFDIR: {
      if (!dst->Exists(to) && nfs_mkdir2(out, to.c_str(), mode) != 0) {
        return Fail(Code::kUnavailable, "mkdir {}: {}", to, dst->LastError());
      }
      struct nfsdir* dir = nullptr;
      if (nfs_opendir(in, from.c_str(), &dir) != 0) {
        return Fail(Code::kUnavailable, "opendir {}: {}", from, src->LastError());
      }
      std::vector<std::string> names;
      while (struct nfsdirent* ent = nfs_readdir(in, dir)) {
        std::string name = ent->name;
        if (name != "." && name != "..") names.push_back(name);
      }
      nfs_closedir(in, dir);
      for (const auto& name : names) {
        CAPSTAN_TRY(CopyTree(src, from + "/" + name, dst, to + "/" + name));
      }
      nfs_chmod(out, to.c_str(), mode);
      return Ok();
    }
    case S_IFLNK: {
      char* target = nullptr;
      if (nfs_readlink2(in, from.c_str(), &target) != 0) {
        return Fail(Code::kUnavailable, "readlink {}: {}", from, src->LastError());
      }
      std::string link = target;
      free(target);
      if (nfs_symlink(out, link.c_str(), to.c_str()) != 0) {
        return Fail(Code::kUnavailable, "symlink {}: {}", to, dst->LastError());
      }
      return Ok();
    }
    case S_IFREG: {
      struct nfsfh* r = nullptr;
      struct nfsfh* w = nullptr;
      if (nfs_open(in, from.c_str(), O_RDONLY, &r) != 0) {
        return Fail(Code::kUnavailable, "open {}: {}", from, src->LastError());
      }
      if (nfs_open2(out, to.c_str(), O_CREAT | O_WRONLY | O_TRUNC, mode, &w) != 0) {
        nfs_close(in, r);
        return Fail(Code::kUnavailable, "create {}: {}", to, dst->LastError());
      }
      std::vector<char> buf(1 << 20);
      uint64_t offset = 0;
      Status result = Ok();
      while (true) {
        int n = nfs_pread(in, r, offset, buf.size(), buf.data());
        if (n < 0) {
          result = Fail(Code::kUnavailable, "read {}: {}", from, src->LastError());
          break;
        }
        if (n == 0) break;
        for (int done = 0; done < n;) {
          int m = nfs_pwrite(out, w, offset + done,
                             std::min<uint64_t>(n - done, dst->write_chunk()), buf.data() + done);
          if (m <= 0) {
            result = Fail(Code::kUnavailable, "write {}: {}", to, dst->LastError());
            break;
          }
          done += m;
        }
        if (!result) break;
        offset += static_cast<uint64_t>(n);
      }
      nfs_close(in, r);
      nfs_close(out, w);
      nfs_chmod(out, to.c_str(), mode);
      return result;
    }
    default: return Ok();  // devices, fifos, sockets: not data, not copied
  }
}

}  // namespace capstan::csi::nfs
