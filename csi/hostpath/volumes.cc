// The local backend of capstan-csi-hostpath: a volume is <root>/volumes/<id>, a snapshot a
// copy at <root>/snapshots/<id>.
#include <sys/stat.h>

#include <filesystem>

#include "csi/hostpath/driver.h"

namespace capstan::csi::hostpath {
namespace {

namespace fs = std::filesystem;

Status CopyTree(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
  if (ec) return Fail(Code::kInternal, "copying {} to {}: {}", from, to, ec.message());
  return Ok();
}

Status RemoveTree(const std::string& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) return Fail(Code::kInternal, "removing {}: {}", dir, ec.message());
  return Ok();
}

// Like k3s's local-path volumes: any pod user may write; fsGroup narrows it on the node.
Status Open(const std::string& dir) {
  if (::chmod(dir.c_str(), 0777) != 0) return FailErrno("chmod {}", dir);
  return Ok();
}

class LocalBackend : public DirectoryBackend {
 public:
  explicit LocalBackend(std::string root) : root_(std::move(root)) {}

  grpc::Status Place(const ::csi::v1::CreateVolumeRequest&, VolumeRecord* rec) override {
    rec->id = NewId("hp-");
    return grpc::Status::OK;
  }
  Status Create(const VolumeRecord& rec) override {
    std::error_code ec;
    fs::create_directory(VolumeDir(rec.id), ec);
    if (ec) return Fail(Code::kInternal, "creating {}: {}", VolumeDir(rec.id), ec.message());
    return Open(VolumeDir(rec.id));
  }
  Status Clone(const VolumeRecord& from, const VolumeRecord& to) override {
    CAPSTAN_TRY(CopyTree(VolumeDir(from.id), VolumeDir(to.id)));
    return Open(VolumeDir(to.id));
  }
  Status Remove(const VolumeRecord& rec) override { return RemoveTree(VolumeDir(rec.id)); }
  Status TakeSnapshot(const VolumeRecord& from, SnapshotRecord* snap) override {
    return CopyTree(VolumeDir(from.id), SnapshotDir(snap->id));
  }
  Status Restore(const SnapshotRecord& snap, const VolumeRecord& to) override {
    CAPSTAN_TRY(CopyTree(SnapshotDir(snap.id), VolumeDir(to.id)));
    return Open(VolumeDir(to.id));
  }
  Status RemoveSnapshot(const SnapshotRecord& snap) override {
    return RemoveTree(SnapshotDir(snap.id));
  }
  bool Healthy(const VolumeRecord& rec) override {
    std::error_code ec;
    return fs::is_directory(VolumeDir(rec.id), ec);
  }

 private:
  std::string VolumeDir(const std::string& id) const { return root_ + "/volumes/" + id; }
  std::string SnapshotDir(const std::string& id) const { return root_ + "/snapshots/" + id; }
  std::string root_;
};

}  // namespace

Result<std::shared_ptr<Volumes>> OpenVolumes(const std::string& root, const std::string& node_id,
                                             int64_t capacity, int64_t default_volume_size) {
  return Volumes::Open({root, node_id, kTopologyKey, capacity, default_volume_size},
                       std::make_unique<LocalBackend>(root));
}

int64_t DiskUsage(const std::string& dir) {
  int64_t total = 0;
  std::error_code ec;
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0) {
    total += static_cast<int64_t>(st.st_blocks) * 512;
  }
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    if (::lstat(it->path().c_str(), &st) == 0) {
      total += static_cast<int64_t>(st.st_blocks) * 512;
    }
  }
  return total;
}

}  // namespace capstan::csi::hostpath
