// The NFS backend of capstan-csi-nfs: directories on the share, made, copied and removed
// through libnfs.
#include <fmt/format.h>

#include "csi/lib/validate.h"
#include "csi/nfs/nfs_client.h"
#include "csi/nfs/nfs_driver.h"

namespace capstan::csi::nfs {
namespace {

constexpr char kSnapshots[] = "/.capstan-snapshots/";

NfsTarget TargetOf(const std::map<std::string, std::string>& location) {
  NfsTarget t;
  auto get = [&](const char* k) {
    auto it = location.find(k);
    return it == location.end() ? std::string() : it->second;
  };
  t.server = get("server");
  t.share = get("share");
  ApplyMountOptions(get("mountOptions"), &t);
  return t;
}

std::string Get(const std::map<std::string, std::string>& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() ? "" : it->second;
}

class NfsBackend : public DirectoryBackend {
 public:
  grpc::Status Place(const ::csi::v1::CreateVolumeRequest& req, VolumeRecord* rec) override {
    std::map<std::string, std::string> loc;
    std::string sub_dir_template = req.name();
    for (const auto& [k, v] : req.parameters()) {
      if (k.rfind("csi.storage.k8s.io/", 0) == 0) continue;  // the provisioner's metadata
      if (k == "server" || k == "share" || k == "mountPermissions" || k == "onDelete") {
        loc[k] = v;
      } else if (k == "subDir") {
        sub_dir_template = v;
      } else {
        return InvalidArgument(fmt::format("invalid parameter \"{}\" in storage class", k));
      }
    }
    if (Get(loc, "server").empty()) return InvalidArgument("parameter server is required");
    if (Get(loc, "share").empty() || Get(loc, "share")[0] != '/') {
      return InvalidArgument("parameter share is required (an absolute path on the server)");
    }
    std::string on_delete = Get(loc, "onDelete").empty() ? "delete" : Get(loc, "onDelete");
    if (on_delete != "delete" && on_delete != "retain" && on_delete != "archive") {
      return InvalidArgument(
          fmt::format("onDelete {} is not delete, retain or archive", on_delete));
    }
    loc["onDelete"] = on_delete;
    if (std::string perms = Get(loc, "mountPermissions"); !perms.empty()) {
      try {
        size_t used = 0;
        unsigned long mode = std::stoul(perms, &used, 8);
        if (used != perms.size() || mode > 07777) throw std::out_of_range(perms);
      } catch (const std::exception&) {
        return InvalidArgument(fmt::format("mountPermissions {} is not an octal mode", perms));
      }
    }
    auto sub_dir = ExpandSubDir(sub_dir_template, req.parameters());
    if (!sub_dir) return InvalidArgument(sub_dir.error().message());
    loc["subdir"] = *sub_dir;
    std::string options;
    for (const auto& cap : req.volume_capabilities()) {
      for (const auto& flag : cap.mount().mount_flags()) {
        options += (options.empty() ? "" : ",") + flag;
      }
    }
    if (!options.empty()) loc["mountOptions"] = options;
    rec->id = NewId("nfs-");
    rec->context = {{"server", loc["server"]}, {"share", loc["share"]}, {"subdir", *sub_dir}};
    if (!Get(loc, "mountPermissions").empty()) {
      rec->context["mountPermissions"] = loc["mountPermissions"];
    }
    rec->location = std::move(loc);
    return grpc::Status::OK;
  }

  Status Create(const VolumeRecord& rec) override {
    CAPSTAN_ASSIGN_OR_RETURN(auto client, NfsClient::Connect(TargetOf(rec.location)));
    return client->MkdirAll(Dir(rec), Mode(rec));
  }

  Status Clone(const VolumeRecord& from, const VolumeRecord& to) override {
    CAPSTAN_ASSIGN_OR_RETURN(auto src, NfsClient::Connect(TargetOf(from.location)));
    CAPSTAN_ASSIGN_OR_RETURN(auto dst, NfsClient::Connect(TargetOf(to.location)));
    CAPSTAN_TRY(dst->MkdirAll(Dir(to), Mode(to)));
    return CopyTree(src.get(), Dir(from), dst.get(), Dir(to));
  }

  Status Remove(const VolumeRecord& rec) override {
    std::string on_delete = Get(rec.location, "onDelete");
    if (on_delete == "retain") return Ok();
    CAPSTAN_ASSIGN_OR_RETURN(auto client, NfsClient::Connect(TargetOf(rec.location)));
    if (on_delete == "archive") {
      std::string dir = Dir(rec);
      if (!client->Exists(dir)) return Ok();
      size_t slash = dir.rfind('/');
      return client->Rename(dir, dir.substr(0, slash + 1) + "archived-" + dir.substr(slash + 1));
    }
    return client->RemoveAll(Dir(rec));
  }

  Status TakeSnapshot(const VolumeRecord& from, SnapshotRecord* snap) override {
    snap->location = {{"server", Get(from.location, "server")},
                      {"share", Get(from.location, "share")},
                      {"mountOptions", Get(from.location, "mountOptions")},
                      {"path", kSnapshots + snap->id}};
    CAPSTAN_ASSIGN_OR_RETURN(auto client, NfsClient::Connect(TargetOf(from.location)));
    CAPSTAN_TRY(client->MkdirAll(snap->location["path"], 0700));
    return CopyTree(client.get(), Dir(from), client.get(), snap->location["path"]);
  }

  Status Restore(const SnapshotRecord& snap, const VolumeRecord& to) override {
    CAPSTAN_ASSIGN_OR_RETURN(auto src, NfsClient::Connect(TargetOf(snap.location)));
    CAPSTAN_ASSIGN_OR_RETURN(auto dst, NfsClient::Connect(TargetOf(to.location)));
    CAPSTAN_TRY(dst->MkdirAll(Dir(to), Mode(to)));
    return CopyTree(src.get(), Get(snap.location, "path"), dst.get(), Dir(to));
  }

  Status RemoveSnapshot(const SnapshotRecord& snap) override {
    if (Get(snap.location, "path").empty()) return Ok();
    CAPSTAN_ASSIGN_OR_RETURN(auto client, NfsClient::Connect(TargetOf(snap.location)));
    return client->RemoveAll(Get(snap.location, "path"));
  }

  bool Healthy(const VolumeRecord& rec) override {
    auto client = NfsClient::Connect(TargetOf(rec.location));
    return client && (*client)->Exists(Dir(rec));
  }

 private:
  static std::string Dir(const VolumeRecord& rec) { return "/" + Get(rec.location, "subdir"); }
  static int Mode(const VolumeRecord& rec) {
    std::string perms = Get(rec.location, "mountPermissions");
    return perms.empty() ? 0777 : static_cast<int>(std::stoul(perms, nullptr, 8));
  }
};

}  // namespace

Result<std::string> ExpandSubDir(const std::string& tmpl,
                                 const google::protobuf::Map<std::string, std::string>& params) {
  std::string out = tmpl;
  for (const auto& [var, key] :
       {std::pair{"${pvc.metadata.name}", "csi.storage.k8s.io/pvc/name"},
        std::pair{"${pvc.metadata.namespace}", "csi.storage.k8s.io/pvc/namespace"},
        std::pair{"${pv.metadata.name}", "csi.storage.k8s.io/pv/name"}}) {
    for (size_t at = out.find(var); at != std::string::npos; at = out.find(var)) {
      auto it = params.find(key);
      if (it == params.end() || it->second.empty()) {
        return Fail(Code::kInvalidArgument, "subDir {}: {} is not known here", tmpl, var);
      }
      out.replace(at, std::string(var).size(), it->second);
    }
  }
  if (out.find("${") != std::string::npos) {
    return Fail(Code::kInvalidArgument, "subDir {} has an unknown ${{...}} template", tmpl);
  }
  // Normalized: no empty parts, no "." or "..", never outside the share.
  std::string clean;
  size_t start = 0;
  while (start <= out.size()) {
    size_t end = out.find('/', start);
    if (end == std::string::npos) end = out.size();
    std::string part = out.substr(start, end - start);
    if (part == "..") return Fail(Code::kInvalidArgument, "subDir {} leaves the share", tmpl);
    if (!part.empty() && part != ".") clean += (clean.empty() ? "" : "/") + part;
    start = end + 1;
  }
  if (clean.empty()) return Fail(Code::kInvalidArgument, "subDir {} names no directory", tmpl);
  return clean;
}

std::unique_ptr<DirectoryBackend> NewNfsBackend() { return std::make_unique<NfsBackend>(); }

}  // namespace capstan::csi::nfs
