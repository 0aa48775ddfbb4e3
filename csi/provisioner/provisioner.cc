#include "csi/provisioner/provisioner.h"

#include <fmt/format.h>

#include "api/grpc/status_name.h"
#include "api/k8s/quantity.h"
#include "common/log.h"

namespace capstan::csi {
namespace {

using api::k8s::client::Json;
namespace res = api::k8s::client::resources;
using ::csi::v1::VolumeCapability;

const log::Logger kLog("provisioner");

constexpr char kStorageProvisioner[] = "volume.kubernetes.io/storage-provisioner";
constexpr char kBetaStorageProvisioner[] = "volume.beta.kubernetes.io/storage-provisioner";
constexpr char kSelectedNode[] = "volume.kubernetes.io/selected-node";
constexpr char kProvisionedBy[] = "pv.kubernetes.io/provisioned-by";
constexpr char kFinalizer[] = "external-provisioner.volume.kubernetes.io/finalizer";
constexpr char kReservedPrefix[] = "csi.storage.k8s.io/";
constexpr auto kCallTimeout = std::chrono::seconds(60);

const Json& At(const Json& j, std::initializer_list<const char*> path) {
  static const Json kNull;
  const Json* at = &j;
  for (const char* key : path) {
    if (!at->is_object()) return kNull;
    auto it = at->find(key);
    if (it == at->end()) return kNull;
    at = &*it;
  }
  return *at;
}

std::string Str(const Json& j, std::initializer_list<const char*> path) {
  const Json& v = At(j, path);
  return v.is_string() ? v.get<std::string>() : "";
}

std::string ClaimKey(const Json& claim) {
  return Str(claim, {"metadata", "namespace"}) + "/" + Str(claim, {"metadata", "name"});
}

// A quantity field in bytes (0 when absent or not a quantity).
int64_t Bytes(const Json& v) {
  if (!v.is_string()) return 0;
  auto q = api::k8s::Quantity::Parse(v.get<std::string>());
  return q ? q->Value() : 0;
}

VolumeCapability::AccessMode::Mode ModeOf(const std::string& mode) {
  if (mode == "ReadOnlyMany") return VolumeCapability::AccessMode::MULTI_NODE_READER_ONLY;
  if (mode == "ReadWriteMany") return VolumeCapability::AccessMode::MULTI_NODE_MULTI_WRITER;
  if (mode == "ReadWriteOncePod") return VolumeCapability::AccessMode::SINGLE_NODE_SINGLE_WRITER;
  return VolumeCapability::AccessMode::SINGLE_NODE_WRITER;
}

Error RpcError(const grpc::Status& st, const char* call) {
  return Error(Code::kUnavailable,
               fmt::format("rpc error: {}: code = {} desc = {}", call,
                           api::grpc_util::StatusCodeName(st.error_code()), st.error_message()));
}

Json WithKind(Json object, const char* kind) {
  object["apiVersion"] =
      kind == std::string("PersistentVolume") || kind == std::string("PersistentVolumeClaim")
          ? "v1"
          : "storage.k8s.io/v1";
  object["kind"] = kind;
  return object;
}

}  // namespace

Provisioner::Provisioner(api::k8s::client::ApiClient* api,
                         std::shared_ptr<::csi::v1::Controller::StubInterface> csi,
                         ProvisionerOptions options, const Clock* clock)
    : api_(api),
      csi_(std::move(csi)),
      options_(std::move(options)),
      events_(api, clock, options_.driver_name + "_" + "external-provisioner"),
      claims_(api, res::kPersistentVolumeClaims, "", {}, [this] { Wake(); }),
      volumes_(api, res::kPersistentVolumes, "", {}, [this] { Wake(); }),
      classes_(api, res::kStorageClasses, "", {}, [this] { Wake(); }) {}

Provisioner::~Provisioner() { Stop(); }

void Provisioner::Wake() {
  {
    std::lock_guard lock(mu_);
    dirty_ = true;
  }
  cv_.notify_all();
}

void Provisioner::Start() {
  claims_.Start();
  volumes_.Start();
  classes_.Start();
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, options_.resync, [this] { return stop_ || dirty_; });
      if (stop_) break;
      dirty_ = false;
      lock.unlock();
      if (Synced()) SyncAll();
      lock.lock();
    }
  });
}

void Provisioner::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  claims_.Stop();
  volumes_.Stop();
  classes_.Stop();
}

bool Provisioner::Synced() const {
  return claims_.Synced() && volumes_.Synced() && classes_.Synced();
}

void Provisioner::SyncAll() {
  for (const Json& claim : claims_.List()) SyncClaim(claim);
  for (const Json& volume : volumes_.List()) SyncVolume(volume);
}

void Provisioner::SyncClaim(const Json& claim) {
  if (!At(claim, {"metadata", "deletionTimestamp"}).is_null()) return;
  std::string class_name = Str(claim, {"spec", "storageClassName"});
  if (class_name.empty()) return;
  auto sc = classes_.Get("", class_name);
  if (!sc || Str(*sc, {"provisioner"}) != options_.driver_name) return;
  if (!Str(claim, {"spec", "volumeName"}).empty()) {
    if (Str(claim, {"status", "phase"}) == "Bound") {
      if (auto st = Expand(claim, *sc); !st) {
        events_.Record(WithKind(claim, "PersistentVolumeClaim"), "Warning", "VolumeResizeFailed",
                       st.error().message());
      }
    }
    return;
  }
  // Handed to us by the PV controller, as external-provisioner waits for.
  std::string handed = Str(claim, {"metadata", "annotations", kStorageProvisioner});
  if (handed.empty()) handed = Str(claim, {"metadata", "annotations", kBetaStorageProvisioner});
  if (handed != options_.driver_name) return;
  std::string pv_name = "pvc-" + Str(claim, {"metadata", "uid"});
  if (volumes_.Get("", pv_name)) return;  // made; the binder takes it from here
  std::string selected = Str(claim, {"metadata", "annotations", kSelectedNode});
  bool wait = Str(*sc, {"volumeBindingMode"}) == "WaitForFirstConsumer";
  if (wait && selected.empty()) return;
  if (!options_.node_name.empty()) {
    if (selected.empty()) {
      // An Immediate claim: taken by the first node-local provisioner to write itself in.
      Json taken = claim;
      taken["metadata"]["annotations"][kSelectedNode] = options_.node_name;
      (void)api_->Update(res::kPersistentVolumeClaims, Str(claim, {"metadata", "namespace"}),
                         Str(claim, {"metadata", "name"}), taken);
      return;
    }
    if (selected != options_.node_name) return;
  }
  std::string uid = Str(claim, {"metadata", "uid"});
  auto now = std::chrono::steady_clock::now();
  if (auto it = backoff_.find(uid); it != backoff_.end() && now < it->second.next) return;
  if (auto st = Provision(claim, *sc); !st) {
    Backoff& b = backoff_[uid];
    b.delay = std::min<std::chrono::seconds>(
        std::max<std::chrono::seconds>(b.delay * 2, std::chrono::seconds(1)),
        std::chrono::minutes(5));
    b.next = now + b.delay;
    kLog.Warn("provisioning failed", {{"claim", ClaimKey(claim)}, {"error", st.error().message()}});
    events_.Record(WithKind(claim, "PersistentVolumeClaim"), "Warning", "ProvisioningFailed",
                   fmt::format("failed to provision volume with StorageClass \"{}\": {}",
                               class_name, st.error().message()));
    return;
  }
  backoff_.erase(uid);
}

Result<::csi::v1::Topology> Provisioner::TopologyOf(const std::string& node) {
  auto csi_node = api_->Get(res::kCsiNodes, "", node);
  if (!csi_node) {
    return Fail(Code::kUnavailable, "driver {} is not registered on node {} yet",
                options_.driver_name, node);
  }
  auto node_obj = api_->Get(res::kNodes, "", node);
  if (!node_obj) return Fail(node_obj.error());
  ::csi::v1::Topology topology;
  for (const Json& d : At(*csi_node, {"spec", "drivers"}).is_array()
                           ? At(*csi_node, {"spec", "drivers"})
                           : Json::array()) {
    if (Str(d, {"name"}) != options_.driver_name) continue;
    const Json& keys = At(d, {"topologyKeys"});
    for (const Json& key : keys.is_array() ? keys : Json::array()) {
      if (!key.is_string()) continue;
      std::string value = Str(*node_obj, {"metadata", "labels", key.get<std::string>().c_str()});
      if (value.empty()) {
        return Fail(Code::kUnavailable, "node {} has no label {} yet", node,
                    key.get<std::string>());
      }
      (*topology.mutable_segments())[key.get<std::string>()] = value;
    }
    return topology;
  }
  return Fail(Code::kUnavailable, "driver {} is not registered on node {} yet",
              options_.driver_name, node);
}

Status Provisioner::Provision(const Json& claim, const Json& sc) {
  std::string ns = Str(claim, {"metadata", "namespace"});
  std::string name = Str(claim, {"metadata", "name"});
  std::string pv_name = "pvc-" + Str(claim, {"metadata", "uid"});
  ::csi::v1::CreateVolumeRequest req;
  req.set_name(pv_name);
  req.mutable_capacity_range()->set_required_bytes(
      Bytes(At(claim, {"spec", "resources", "requests", "storage"})));
  if (int64_t limit = Bytes(At(claim, {"spec", "resources", "limits", "storage"}))) {
    req.mutable_capacity_range()->set_limit_bytes(limit);
  }
  std::string fs_type;
  const Json params = At(sc, {"parameters"}).is_object() ? At(sc, {"parameters"}) : Json::object();
  for (const auto& [k, v] : params.items()) {
    if (!v.is_string()) continue;
    if (k == "csi.storage.k8s.io/fstype") fs_type = v.get<std::string>();
    if (k.rfind(kReservedPrefix, 0) == 0) continue;
    (*req.mutable_parameters())[k] = v.get<std::string>();
  }
  // --extra-create-metadata: drivers template directory names from these.
  (*req.mutable_parameters())["csi.storage.k8s.io/pvc/name"] = name;
  (*req.mutable_parameters())["csi.storage.k8s.io/pvc/namespace"] = ns;
  (*req.mutable_parameters())["csi.storage.k8s.io/pv/name"] = pv_name;
  bool block = Str(claim, {"spec", "volumeMode"}) == "Block";
  const Json& modes = At(claim, {"spec", "accessModes"});
  for (const Json& m : modes.is_array() ? modes : Json::array()) {
    auto* cap = req.add_volume_capabilities();
    if (block) {
      cap->mutable_block();
    } else {
      cap->mutable_mount()->set_fs_type(fs_type);
      // The class's mountOptions, as external-provisioner passes them.
      const Json& options = At(sc, {"mountOptions"});
      for (const Json& o : options.is_array() ? options : Json::array()) {
        if (o.is_string()) cap->mutable_mount()->add_mount_flags(o.get<std::string>());
      }
    }
    cap->mutable_access_mode()->set_mode(ModeOf(m.is_string() ? m.get<std::string>() : ""));
  }
  std::string selected = Str(claim, {"metadata", "annotations", kSelectedNode});
  if (!selected.empty()) {
    CAPSTAN_ASSIGN_OR_RETURN(::csi::v1::Topology topology, TopologyOf(selected));
    *req.mutable_accessibility_requirements()->add_requisite() = topology;
    *req.mutable_accessibility_requirements()->add_preferred() = topology;
  }
  std::string source_kind = Str(claim, {"spec", "dataSource", "kind"});
  if (!source_kind.empty() && source_kind != "PersistentVolumeClaim") {
    // Snapshots need the VolumeSnapshot API, which this cluster does not serve.
    return Fail(Code::kInvalidArgument, "data source {} is not supported", source_kind);
  }
  if (source_kind == "PersistentVolumeClaim") {
    std::string source_name = Str(claim, {"spec", "dataSource", "name"});
    auto source = claims_.Get(ns, source_name);
    std::string source_pv = source ? Str(*source, {"spec", "volumeName"}) : "";
    auto source_volume = source_pv.empty() ? std::nullopt : volumes_.Get("", source_pv);
    if (!source_volume) {
      return Fail(Code::kUnavailable, "the source claim {} is not bound yet", source_name);
    }
    if (Str(*source_volume, {"spec", "csi", "driver"}) != options_.driver_name ||
        Str(*source, {"spec", "storageClassName"}) != Str(claim, {"spec", "storageClassName"})) {
      return Fail(Code::kInvalidArgument,
                  "the source claim {} is not of this claim's class and driver", source_name);
    }
    req.mutable_volume_content_source()->mutable_volume()->set_volume_id(
        Str(*source_volume, {"spec", "csi", "volumeHandle"}));
  }
  Json claim_obj = WithKind(claim, "PersistentVolumeClaim");
  events_.Record(
      claim_obj, "Normal", "Provisioning",
      fmt::format("External provisioner is provisioning volume for claim \"{}/{}\"", ns, name));
  ::csi::v1::CreateVolumeResponse created;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  if (grpc::Status st = csi_->CreateVolume(&ctx, req, &created); !st.ok()) {
    return Fail(RpcError(st, "CreateVolume"));
  }
  const auto& vol = created.volume();

  Json pv = {{"apiVersion", "v1"},
             {"kind", "PersistentVolume"},
             {"metadata",
              {{"name", pv_name},
               {"annotations", {{kProvisionedBy, options_.driver_name}}},
               {"finalizers", Json::array({kFinalizer})}}},
             {"spec",
              {{"capacity", {{"storage", api::k8s::FormatBinarySI(vol.capacity_bytes())}}},
               {"accessModes", modes},
               {"persistentVolumeReclaimPolicy",
                Str(sc, {"reclaimPolicy"}).empty() ? "Delete" : Str(sc, {"reclaimPolicy"})},
               {"storageClassName", Str(claim, {"spec", "storageClassName"})},
               {"volumeMode", "Filesystem"},
               {"claimRef",
                {{"kind", "PersistentVolumeClaim"},
                 {"apiVersion", "v1"},
                 {"namespace", ns},
                 {"name", name},
                 {"uid", Str(claim, {"metadata", "uid"})},
                 {"resourceVersion", Str(claim, {"metadata", "resourceVersion"})}}},
               {"csi", {{"driver", options_.driver_name}, {"volumeHandle", vol.volume_id()}}}}}};
  if (block) pv["spec"]["volumeMode"] = "Block";
  if (!fs_type.empty()) pv["spec"]["csi"]["fsType"] = fs_type;
  if (!vol.volume_context().empty()) {
    Json attrs = Json::object();
    for (const auto& [k, v] : vol.volume_context()) attrs[k] = v;
    pv["spec"]["csi"]["volumeAttributes"] = attrs;
  }
  if (At(sc, {"mountOptions"}).is_array()) pv["spec"]["mountOptions"] = At(sc, {"mountOptions"});
  if (!vol.accessible_topology().empty()) {
    Json terms = Json::array();
    for (const auto& t : vol.accessible_topology()) {
      Json exprs = Json::array();
      for (const auto& [k, v] : t.segments()) {
        exprs.push_back({{"key", k}, {"operator", "In"}, {"values", Json::array({v})}});
      }
      terms.push_back({{"matchExpressions", exprs}});
    }
    pv["spec"]["nodeAffinity"] = {{"required", {{"nodeSelectorTerms", terms}}}};
  }
  auto made = api_->Create(res::kPersistentVolumes, "", pv);
  if (!made && made.error().code() != Code::kAlreadyExists) {
    // No PV to remember the volume by: it must not stay behind.
    ::csi::v1::DeleteVolumeRequest undo;
    undo.set_volume_id(vol.volume_id());
    ::csi::v1::DeleteVolumeResponse ignored;
    grpc::ClientContext undo_ctx;
    undo_ctx.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
    (void)csi_->DeleteVolume(&undo_ctx, undo, &ignored);
    return Fail(made.error());
  }
  kLog.Info("provisioned", {{"claim", ns + "/" + name}, {"volume", pv_name}});
  events_.Record(claim_obj, "Normal", "ProvisioningSucceeded",
                 fmt::format("Successfully provisioned volume {}", pv_name));
  return Ok();
}

// A node-local provisioner's volumes are those pinned to its node (as external-provisioner
// --node-deployment): another node's driver does not know them and must not delete them.
bool Provisioner::Mine(const Json& volume) const {
  if (options_.node_name.empty()) return true;
  const Json& terms = At(volume, {"spec", "nodeAffinity", "required", "nodeSelectorTerms"});
  for (const Json& term : terms.is_array() ? terms : Json::array()) {
    const Json& exprs = At(term, {"matchExpressions"});
    for (const Json& e : exprs.is_array() ? exprs : Json::array()) {
      const Json& values = At(e, {"values"});
      for (const Json& v : values.is_array() ? values : Json::array()) {
        if (v.is_string() && v.get<std::string>() == options_.node_name) return true;
      }
    }
  }
  return false;
}

void Provisioner::SyncVolume(const Json& volume) {
  if (Str(volume, {"metadata", "annotations", kProvisionedBy}) != options_.driver_name) return;
  if (!Mine(volume)) return;
  std::string name = Str(volume, {"metadata", "name"});
  bool deleting = !At(volume, {"metadata", "deletionTimestamp"}).is_null();
  if (deleting) {
    const Json& finalizers = At(volume, {"metadata", "finalizers"});
    bool ours = false;
    for (const Json& f : finalizers.is_array() ? finalizers : Json::array()) {
      ours = ours || (f.is_string() && f.get<std::string>() == kFinalizer);
    }
    if (!ours || Str(volume, {"status", "phase"}) == "Bound") return;
    if (Str(volume, {"spec", "persistentVolumeReclaimPolicy"}) == "Delete") {
      if (auto st = DeleteReleased(volume); !st) return;
    }
    auto live = api_->Get(res::kPersistentVolumes, "", name);
    if (!live) return;
    Json updated = *live;
    Json kept = Json::array();
    for (const Json& f : At(*live, {"metadata", "finalizers"}).is_array()
                             ? At(*live, {"metadata", "finalizers"})
                             : Json::array()) {
      if (!(f.is_string() && f.get<std::string>() == kFinalizer)) kept.push_back(f);
    }
    updated["metadata"]["finalizers"] = kept;
    (void)api_->Update(res::kPersistentVolumes, "", name, updated);
    return;
  }
  if (Str(volume, {"status", "phase"}) != "Released" ||
      Str(volume, {"spec", "persistentVolumeReclaimPolicy"}) != "Delete") {
    return;
  }
  if (auto st = DeleteReleased(volume); !st) return;
  auto deleted = api_->Delete(res::kPersistentVolumes, "", name);
  if (!deleted && deleted.error().code() != Code::kNotFound) {
    kLog.Warn("deleting a volume object", {{"volume", name}, {"error", deleted.error().message()}});
  }
}

Status Provisioner::DeleteReleased(const Json& volume) {
  std::string name = Str(volume, {"metadata", "name"});
  ::csi::v1::DeleteVolumeRequest req;
  req.set_volume_id(Str(volume, {"spec", "csi", "volumeHandle"}));
  if (req.volume_id().empty()) return Ok();
  ::csi::v1::DeleteVolumeResponse out;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  if (grpc::Status st = csi_->DeleteVolume(&ctx, req, &out); !st.ok()) {
    Error e = RpcError(st, "DeleteVolume");
    events_.Record(WithKind(volume, "PersistentVolume"), "Warning", "VolumeFailedDelete",
                   e.message());
    return Fail(e);
  }
  kLog.Info("deleted volume", {{"volume", name}, {"handle", req.volume_id()}});
  return Ok();
}

Status Provisioner::Expand(const Json& claim, const Json& sc) {
  int64_t wanted = Bytes(At(claim, {"spec", "resources", "requests", "storage"}));
  int64_t has = Bytes(At(claim, {"status", "capacity", "storage"}));
  if (wanted <= has || has == 0) return Ok();
  if (!At(sc, {"allowVolumeExpansion"}).is_boolean() ||
      !At(sc, {"allowVolumeExpansion"}).get<bool>()) {
    return Ok();
  }
  std::string pv_name = Str(claim, {"spec", "volumeName"});
  auto pv = api_->Get(res::kPersistentVolumes, "", pv_name);
  if (!pv) return Fail(pv.error());
  if (Str(*pv, {"spec", "csi", "driver"}) != options_.driver_name || !Mine(*pv)) return Ok();
  ::csi::v1::ControllerExpandVolumeRequest req;
  req.set_volume_id(Str(*pv, {"spec", "csi", "volumeHandle"}));
  req.mutable_capacity_range()->set_required_bytes(wanted);
  ::csi::v1::ControllerExpandVolumeResponse out;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  if (grpc::Status st = csi_->ControllerExpandVolume(&ctx, req, &out); !st.ok()) {
    return Fail(RpcError(st, "ControllerExpandVolume"));
  }
  std::string size = api::k8s::FormatBinarySI(std::max(out.capacity_bytes(), wanted));
  Json grown = *pv;
  grown["spec"]["capacity"]["storage"] = size;
  if (auto st = api_->Update(res::kPersistentVolumes, "", pv_name, grown); !st) {
    return Fail(st.error());
  }
  // A directory needs nothing on the node: the claim has its new size at once.
  Json status_update = claim;
  status_update["status"]["capacity"]["storage"] = size;
  status_update["status"].erase("conditions");
  if (out.node_expansion_required()) {
    status_update["status"]["conditions"] =
        Json::array({{{"type", "FileSystemResizePending"}, {"status", "True"}}});
    status_update["status"]["capacity"]["storage"] = At(claim, {"status", "capacity", "storage"});
  }
  auto updated = api_->Update(res::kPersistentVolumeClaims, Str(claim, {"metadata", "namespace"}),
                              Str(claim, {"metadata", "name"}), status_update, "status");
  if (!updated) return Fail(updated.error());
  events_.Record(WithKind(claim, "PersistentVolumeClaim"), "Normal", "VolumeResizeSuccessful",
                 fmt::format("resize volume \"{}\" by resizer \"{}\" succeeded", pv_name,
                             options_.driver_name));
  return Ok();
}

}  // namespace capstan::csi
