// JSON -> Pod: metadata, the pod-level spec and the entry points (containers are in
// container_decode.cc).
#include "api/k8s/codec.h"
#include "api/k8s/decode_internal.h"
#include "api/k8s/yaml.h"

namespace capstan::api::k8s {
namespace {

using Path = const std::string&;

Result<Volume> DecodeVolume(const Json& j, Path path) {
  FieldReader r(j, path);
  Volume v;
  v.name = r.String("name");
  v.empty_dir = r.Object<EmptyDirVolumeSource>(
      "emptyDir", [](const Json& j, Path p) -> Result<EmptyDirVolumeSource> {
        FieldReader r(j, p);
        EmptyDirVolumeSource e;
        e.medium = r.String("medium");
        if (r.Has("sizeLimit")) {
          CAPSTAN_ASSIGN_OR_RETURN(e.size_limit,
                                   DecodeQuantity(r.Raw("sizeLimit"), r.PathOf("sizeLimit")));
        }
        CAPSTAN_TRY(r.Finish());
        return e;
      });
  // An empty "emptyDir: {}" decodes as an object; "emptyDir:" (null) in YAML means the same.
  if (!v.empty_dir && j.is_object() && j.contains("emptyDir") && j["emptyDir"].is_null()) {
    v.empty_dir = EmptyDirVolumeSource{};
  }
  v.host_path = r.Object<HostPathVolumeSource>(
      "hostPath", [](const Json& j, Path p) -> Result<HostPathVolumeSource> {
        FieldReader r(j, p);
        HostPathVolumeSource h{r.String("path"), r.OptString("type")};
        CAPSTAN_TRY(r.Finish());
        return h;
      });
  v.persistent_volume_claim = r.Object<PersistentVolumeClaimVolumeSource>(
      "persistentVolumeClaim",
      [](const Json& j, Path p) -> Result<PersistentVolumeClaimVolumeSource> {
        FieldReader r(j, p);
        PersistentVolumeClaimVolumeSource c{r.String("claimName"),
                                            r.OptBool("readOnly").value_or(false)};
        CAPSTAN_TRY(r.Finish());
        return c;
      });
  v.csi = r.Object<CSIVolumeSource>("csi", [](const Json& j, Path p) -> Result<CSIVolumeSource> {
    FieldReader r(j, p);
    CSIVolumeSource c;
    c.driver = r.String("driver");
    c.read_only = r.OptBool("readOnly");
    c.fs_type = r.OptString("fsType");
    c.volume_attributes = r.StringMap("volumeAttributes");
    if (r.Has("nodePublishSecretRef")) {
      const Json& ref = r.Raw("nodePublishSecretRef");
      if (ref.is_object() && ref.contains("name") && ref["name"].is_string()) {
        c.node_publish_secret_ref = ref["name"].get<std::string>();
      }
    }
    CAPSTAN_TRY(r.Finish());
    return c;
  });
  v.ephemeral = r.Object<EphemeralVolumeSource>(
      "ephemeral", [](const Json& j, Path p) -> Result<EphemeralVolumeSource> {
        FieldReader r(j, p);
        EphemeralVolumeSource e{r.Raw("volumeClaimTemplate").dump()};
        CAPSTAN_TRY(r.Finish());
        return e;
      });
  CAPSTAN_TRY(r.Finish());
  CAPSTAN_TRY(DecodeDataVolumeSources(j, path, v));
  if (!v.empty_dir && !v.host_path && !v.config_map && !v.secret && !v.downward_api &&
      !v.projected && !v.persistent_volume_claim && !v.csi && !v.ephemeral && j.is_object()) {
    for (const auto& [k, val] : j.items()) {
      if (k != "name") {
        v.unsupported_source = k;
        break;
      }
    }
  }
  return v;
}

Result<PodSecurityContext> DecodePodSecurityContext(const Json& j, Path path) {
  FieldReader r(j, path);
  PodSecurityContext s;
  s.se_linux_options = r.Object<SELinuxOptions>("seLinuxOptions", DecodeSELinux);
  s.run_as_user = r.OptInt("runAsUser");
  s.run_as_group = r.OptInt("runAsGroup");
  s.run_as_non_root = r.OptBool("runAsNonRoot");
  s.supplemental_groups = r.IntList("supplementalGroups");
  s.fs_group = r.OptInt("fsGroup");
  s.sysctls = r.List<Sysctl>("sysctls", [](const Json& j, Path p) -> Result<Sysctl> {
    FieldReader r(j, p);
    Sysctl s{r.String("name"), r.String("value")};
    CAPSTAN_TRY(r.Finish());
    return s;
  });
  s.fs_group_change_policy = r.OptString("fsGroupChangePolicy");
  s.seccomp_profile = r.Object<SeccompProfile>("seccompProfile", DecodeSeccomp);
  CAPSTAN_TRY(r.Finish());
  return s;
}

Result<PodDNSConfig> DecodeDnsConfig(const Json& j, Path path) {
  FieldReader r(j, path);
  PodDNSConfig d;
  d.nameservers = r.StringList("nameservers");
  d.searches = r.StringList("searches");
  d.options = r.List<PodDNSConfigOption>(
      "options", [](const Json& j, Path p) -> Result<PodDNSConfigOption> {
        FieldReader r(j, p);
        PodDNSConfigOption o{r.String("name"), r.OptString("value")};
        CAPSTAN_TRY(r.Finish());
        return o;
      });
  CAPSTAN_TRY(r.Finish());
  return d;
}

Result<PodSpec> DecodePodSpec(const Json& j, Path path) {
  FieldReader r(j, path);
  PodSpec s;
  s.volumes = r.List<Volume>("volumes", DecodeVolume);
  s.init_containers = r.List<Container>("initContainers", DecodeContainer);
  s.containers = r.List<Container>("containers", DecodeContainer);
  s.restart_policy = r.String("restartPolicy");
  s.termination_grace_period_seconds = r.OptInt("terminationGracePeriodSeconds");
  s.active_deadline_seconds = r.OptInt("activeDeadlineSeconds");
  s.dns_policy = r.String("dnsPolicy");
  s.node_selector = r.StringMap("nodeSelector");
  s.affinity = r.Object<Affinity>("affinity", DecodeAffinity);
  s.tolerations = r.List<Toleration>("tolerations", DecodeToleration);
  s.image_pull_secrets = r.List<LocalReference>(
      "imagePullSecrets", [](const Json& j, Path p) -> Result<LocalReference> {
        FieldReader r(j, p);
        LocalReference ref{r.String("name"), std::nullopt};
        CAPSTAN_TRY(r.Finish());
        return ref;
      });
  s.service_account_name = r.String("serviceAccountName");
  s.node_name = r.String("nodeName");
  s.host_network = r.Bool("hostNetwork");
  s.host_pid = r.Bool("hostPID");
  s.host_ipc = r.Bool("hostIPC");
  s.share_process_namespace = r.OptBool("shareProcessNamespace");
  s.security_context = r.Object<PodSecurityContext>("securityContext", DecodePodSecurityContext);
  s.hostname = r.String("hostname");
  s.subdomain = r.String("subdomain");
  s.host_aliases = r.List<HostAlias>("hostAliases", [](const Json& j, Path p) -> Result<HostAlias> {
    FieldReader r(j, p);
    HostAlias h{r.String("ip"), r.StringList("hostnames")};
    CAPSTAN_TRY(r.Finish());
    return h;
  });
  s.priority_class_name = r.String("priorityClassName");
  s.preemption_policy = r.String("preemptionPolicy");
  s.scheduler_name = r.String("schedulerName");
  if (r.Has("topologySpreadConstraints")) {
    s.topology_spread_constraints_json = r.Raw("topologySpreadConstraints").dump();
  }
  s.priority = r.OptInt32("priority");
  s.dns_config = r.Object<PodDNSConfig>("dnsConfig", DecodeDnsConfig);
  s.runtime_class_name = r.OptString("runtimeClassName");
  s.enable_service_links = r.OptBool("enableServiceLinks");
  CAPSTAN_TRY(r.Finish());
  return s;
}

Result<ObjectMeta> DecodeMeta(const Json& j, Path path) {
  FieldReader r(j, path);
  ObjectMeta m;
  m.name = r.String("name");
  m.generate_name = r.String("generateName");
  m.namespace_ = r.String("namespace");
  m.uid = r.String("uid");
  m.resource_version = r.String("resourceVersion");
  m.labels = r.StringMap("labels");
  m.annotations = r.StringMap("annotations");
  m.creation_timestamp = r.Time("creationTimestamp");
  m.deletion_timestamp = r.Time("deletionTimestamp");
  m.deletion_grace_period_seconds = r.OptInt("deletionGracePeriodSeconds");
  CAPSTAN_TRY(r.Finish());
  return m;
}
}  // namespace

Result<Pod> DecodePod(const Json& j) {
  FieldReader r(j, "");
  Pod p;
  p.api_version = r.OptString("apiVersion").value_or("v1");
  p.kind = r.OptString("kind").value_or("Pod");
  p.metadata = r.Object<ObjectMeta>("metadata", DecodeMeta).value_or(ObjectMeta{});
  p.spec = r.Object<PodSpec>("spec", DecodePodSpec).value_or(PodSpec{});
  p.status = r.Object<PodStatus>("status", DecodePodStatus).value_or(PodStatus{});
  CAPSTAN_TRY(r.Finish());
  if (p.kind != "Pod") {
    return Fail(Code::kInvalidArgument, "kind: expected \"Pod\", got {:?}", p.kind);
  }
  if (p.api_version != "v1") {
    return Fail(Code::kInvalidArgument, "apiVersion: expected \"v1\", got {:?}", p.api_version);
  }
  return p;
}

Result<Pod> DecodePodJson(std::string_view text) {
  try {
    return DecodePod(Json::parse(text));
  } catch (const Json::parse_error& e) {
    return Fail(Code::kInvalidArgument, "invalid JSON: {}", e.what());
  }
}

Result<Pod> DecodePodYaml(std::string_view text) {
  CAPSTAN_ASSIGN_OR_RETURN(Json j, YamlToJson(text));
  return DecodePod(j);
}

Result<std::vector<Pod>> DecodePodManifest(std::string_view text) {
  CAPSTAN_ASSIGN_OR_RETURN(Json j, ParseJsonOrYaml(text));
  if (!j.is_object()) {
    return Fail(Code::kInvalidArgument, "expected a Pod object, got {}", JsonTypeName(j));
  }
  auto kind = j.find("kind");
  auto api_version = j.find("apiVersion");
  if (kind == j.end() || !kind->is_string() || kind->get<std::string>().empty()) {
    return Fail(Code::kInvalidArgument, "kind: required (Pod or PodList)");
  }
  if (api_version == j.end() || !api_version->is_string()) {
    return Fail(Code::kInvalidArgument, "apiVersion: required (v1)");
  }
  std::string k = kind->get<std::string>();
  if (k == "Pod") {
    CAPSTAN_ASSIGN_OR_RETURN(Pod p, DecodePod(j));
    return std::vector<Pod>{std::move(p)};
  }
  if (k != "PodList" && k != "List") {
    return Fail(Code::kInvalidArgument, "kind: expected Pod or PodList, got {:?}", k);
  }
  FieldReader r(j, "");
  std::vector<Pod> pods =
      r.List<Pod>("items", [](const Json& item, const std::string& path) -> Result<Pod> {
        auto p = DecodePod(item);
        if (!p) {
          return Fail(p.error().Wrap("{}", path));
        }
        return p;
      });
  CAPSTAN_TRY(r.Finish());
  return pods;
}

}  // namespace capstan::api::k8s