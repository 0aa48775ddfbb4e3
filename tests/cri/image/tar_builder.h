#pragma once
// Crafts tar archives in memory with libarchive's writer, for unpack and import tests.

#include <sys/stat.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <archive.h>
#include <archive_entry.h>

namespace capstan::cri::image::testing {

enum class Compression { kNone, kGzip, kZstd };

class TarBuilder {
 public:
  struct Entry {
    std::string name;
    mode_t type = AE_IFREG;
    mode_t mode = 0644;
    int64_t uid = 0, gid = 0;
    std::string data;
    std::string link;  // symlink target
    std::string hardlink;
    unsigned major = 0, minor = 0;
    std::map<std::string, std::string> xattrs;
    int64_t mtime = 1700000000;
  };

  TarBuilder& Add(Entry e) {
    entries_.push_back(std::move(e));
    return *this;
  }
  TarBuilder& Dir(std::string name, mode_t mode = 0755, int64_t uid = 0, int64_t gid = 0) {
    return Add({.name = std::move(name), .type = AE_IFDIR, .mode = mode, .uid = uid, .gid = gid});
  }
  TarBuilder& File(std::string name, std::string data, mode_t mode = 0644, int64_t uid = 0,
                   int64_t gid = 0, std::map<std::string, std::string> xattrs = {}) {
    return Add({.name = std::move(name),
                .mode = mode,
                .uid = uid,
                .gid = gid,
                .data = std::move(data),
                .xattrs = std::move(xattrs)});
  }
  TarBuilder& Symlink(std::string name, std::string target) {
    return Add(
        {.name = std::move(name), .type = AE_IFLNK, .mode = 0777, .link = std::move(target)});
  }
  TarBuilder& Hardlink(std::string name, std::string target) {
    return Add({.name = std::move(name), .hardlink = std::move(target)});
  }
  TarBuilder& Device(std::string name, mode_t type, unsigned major, unsigned minor) {
    return Add(
        {.name = std::move(name), .type = type, .mode = 0600, .major = major, .minor = minor});
  }

  std::string Build(Compression c = Compression::kNone) const {
    std::string out;
    archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (c == Compression::kGzip) {
      archive_write_add_filter_gzip(a);
    } else if (c == Compression::kZstd) {
      archive_write_add_filter_zstd(a);
    }
    archive_write_set_bytes_in_last_block(a, 1);
    archive_write_open2(a, &out, nullptr, &TarBuilder::OnWrite, nullptr, nullptr);
    for (const Entry& e : entries_) {
      archive_entry* ae = archive_entry_new();
      archive_entry_set_pathname(ae, e.name.c_str());
      archive_entry_set_uid(ae, e.uid);
      archive_entry_set_gid(ae, e.gid);
      archive_entry_set_mtime(ae, e.mtime, 0);
      if (!e.hardlink.empty()) {
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, e.mode);
        archive_entry_set_hardlink(ae, e.hardlink.c_str());
        archive_entry_set_size(ae, 0);
      } else {
        archive_entry_set_filetype(ae, e.type);
        archive_entry_set_perm(ae, e.mode);
        if (e.type == AE_IFLNK) {
          archive_entry_set_symlink(ae, e.link.c_str());
        }
        if (e.type == AE_IFCHR || e.type == AE_IFBLK) {
          archive_entry_set_rdevmajor(ae, e.major);
          archive_entry_set_rdevminor(ae, e.minor);
        }
        archive_entry_set_size(ae, e.type == AE_IFREG ? static_cast<int64_t>(e.data.size()) : 0);
      }
      for (const auto& [k, v] : e.xattrs) {
        archive_entry_xattr_add_entry(ae, k.c_str(), v.data(), v.size());
      }
      archive_write_header(a, ae);
      if (e.type == AE_IFREG && e.hardlink.empty() && !e.data.empty()) {
        archive_write_data(a, e.data.data(), e.data.size());
      }
      archive_entry_free(ae);
    }
    archive_write_close(a);
    archive_write_free(a);
    return out;
  }

 private:
  static la_ssize_t OnWrite(archive*, void* ctx, const void* buf, size_t len) {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(buf), len);
    return static_cast<la_ssize_t>(len);
  }
  std::vector<Entry> entries_;
};

}  // namespace capstan::cri::image::testing
