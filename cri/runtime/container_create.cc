// CreateContainer: the rootfs (overlay over the image's layers), the cgroup with its limits,
// and the resolved spec, ready for StartContainer.
#include <sys/mount.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"
#include "common/scope_exit.h"
#include "common/time.h"
#include "cri/runtime/resources.h"
#include "cri/runtime/runtime.h"
#include "cri/runtime/spec_defaults.h"

namespace capstan::cri::runtime {

namespace {
const log::Logger kLog("cri.container");
}

Status Runtime::MountRootfs(const std::string& id, const image::Image& img,
                            const std::string& target) {
  std::string dir = records_.ContainerDir(id);
  CAPSTAN_TRY(MkdirAll(dir + "/upper", 0755));
  CAPSTAN_TRY(MkdirAll(dir + "/work", 0700));
  CAPSTAN_TRY(MkdirAll(target, 0755));
  std::string lower;
  // overlay lists lower dirs top-most first; the store lists them bottom first.
  for (auto it = img.layers.rbegin(); it != img.layers.rend(); ++it) {
    if (!lower.empty()) {
      lower += ':';
    }
    lower += it->string();
  }
  if (lower.empty()) {
    // An image without layers (scratch): give overlay an empty lower dir.
    CAPSTAN_TRY(MkdirAll(dir + "/empty", 0755));
    lower = dir + "/empty";
  }
  std::string opts = "lowerdir=" + lower + ",upperdir=" + dir + "/upper,workdir=" + dir + "/work";
  if (opts.size() >= 4096) {
    return Fail(Code::kInvalidArgument, "image {} has too many layers for one overlay mount",
                img.id);
  }
  if (::mount("overlay", target.c_str(), "overlay", 0, opts.c_str()) != 0) {
    return FailErrno("mounting the rootfs overlay on {}", target);
  }
  return Ok();
}

Result<v1::CreateContainerResponse> Runtime::CreateContainer(
    const v1::CreateContainerRequest& req) {
  const v1::ContainerConfig& cfg = req.config();
  if (!cfg.has_metadata() || cfg.metadata().name().empty()) {
    return Fail(Code::kInvalidArgument, "container config: metadata.name is required");
  }
  if (cfg.image().image().empty()) {
    return Fail(Code::kInvalidArgument, "container config: image is required");
  }
  CAPSTAN_ASSIGN_OR_RETURN(auto sandbox, records_.Sandbox(req.pod_sandbox_id()));
  std::lock_guard sandbox_op(sandbox->op_mu);  // no sandbox removal while we create
  {
    std::lock_guard lock(sandbox->mu);
    if (sandbox->state != v1::SANDBOX_READY) {
      return Fail(Code::kFailedPrecondition, "sandbox {} is not ready", sandbox->id);
    }
  }
  auto img = deps_.images->Get(cfg.image().image());
  if (!img) {
    return Fail(img.error().Wrap("image {:?} (pull it first)", cfg.image().image()));
  }

  auto rec = std::make_shared<ContainerRecord>();
  rec->id = NewId();
  rec->sandbox_id = sandbox->id;
  rec->config = cfg;
  rec->image_id = img->id;
  rec->image_ref = cfg.image().image();
  rec->stop_signal = img->config.stop_signal;
  rec->state = v1::CONTAINER_CREATED;
  rec->created_at = UnixNanos(WallNow());
  const std::string& log_dir = sandbox->config.log_directory();
  if (!log_dir.empty() && !cfg.log_path().empty()) {
    rec->log_path = log_dir + "/" + cfg.log_path();
  }
  std::string name = ContainerName(cfg.metadata(), sandbox->config.metadata());
  CAPSTAN_TRY(records_.ReserveName(name, rec->id));
  ScopeExit release_name([&] { records_.ReleaseName(name); });

  std::string state_dir = ContainerStateDir(rec->id);
  std::string rootfs = state_dir + "/rootfs";
  CAPSTAN_TRY(MkdirAll(state_dir, 0700));
  ScopeExit remove_dirs([&] {
    (void)RemoveAll(state_dir);
    (void)RemoveAll(records_.ContainerDir(rec->id));
  });
  CAPSTAN_TRY(MountRootfs(rec->id, *img, rootfs));
  ScopeExit unmount([&] { ::umount2(rootfs.c_str(), MNT_DETACH); });

  CAPSTAN_ASSIGN_OR_RETURN(oci::ContainerSpec spec, BuildSpec(*rec, *sandbox, *img, rootfs));

  // cgroup: under the pod's parent (the kubelet's /kubepods/...), one per container.
  std::string parent = sandbox->config.linux().cgroup_parent();
  rec->cgroup_path = (parent.empty() ? std::string("/capstan") : parent) + "/" + rec->id;
  CAPSTAN_TRY(WriteFileAtomic(state_dir + "/cgroup", rec->cgroup_path, 0600));
  CAPSTAN_ASSIGN_OR_RETURN(spec.cgroup_dirs, deps_.cgroups->Create(rec->cgroup_path));
  ScopeExit destroy_cgroup([&] { (void)deps_.cgroups->Destroy(rec->cgroup_path); });
  oci::CgroupResources res = ToCgroupResources(cfg.linux().resources(), config_.pids_limit);
  res.device_allow =
      spec.security.privileged ? std::vector<std::string>{"a"} : DefaultDeviceRules();
  for (const auto& d : spec.devices) {
    if (auto rule = DeviceRule(d.host_path, d.permissions)) {
      res.device_allow->push_back(*rule);
    }
  }
  CAPSTAN_TRY_WRAP(deps_.cgroups->Apply(rec->cgroup_path, res), "applying resources");
  if (spec.process.oom_score_adj && *spec.process.oom_score_adj < 0 && !CanLowerOomScore()) {
    kLog.Warn("negative oom_score_adj needs CAP_SYS_RESOURCE; the container keeps the default",
              {{"id", rec->id}, {"oom_score_adj", *spec.process.oom_score_adj}});
  }
  CAPSTAN_TRY(WriteFileAtomic(state_dir + "/spec.json", oci::SpecToJson(spec), 0600));
  {
    std::lock_guard lock(rec->mu);
    CAPSTAN_TRY(records_.Persist(*rec));
  }
  records_.Add(rec);
  release_name.Cancel();
  remove_dirs.Cancel();
  unmount.Cancel();
  destroy_cgroup.Cancel();
  kLog.Info("container created", {{"id", rec->id}, {"name", name}, {"image", img->id}});
  EmitEvent(rec->id, rec->sandbox_id, v1::CONTAINER_CREATED_EVENT);
  v1::CreateContainerResponse resp;
  resp.set_container_id(rec->id);
  return resp;
}

}  // namespace capstan::cri::runtime
