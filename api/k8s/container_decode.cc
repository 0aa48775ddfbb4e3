// JSON -> Container and the types inside it, in the order of api/k8s/pod.h.
#include "api/k8s/codec.h"
#include "api/k8s/decode_internal.h"

namespace capstan::api::k8s {

using Path = const std::string&;

namespace {

Result<IntOrString> DecodeIntOrString(const Json& j, Path path) {
  IntOrString v;
  if (j.is_number_integer()) {
    v.int_value = j.get<int64_t>();
  } else if (j.is_string()) {
    v.is_string = true;
    v.str_value = j.get<std::string>();
  } else {
    return Fail(Code::kInvalidArgument, "{}: expected an integer or a string, got {}", path,
                JsonTypeName(j));
  }
  return v;
}

// Optional IntOrString field: absent stays the zero value.
IntOrString ReadIntOrString(FieldReader& r, std::string_view key) {
  const Json& raw = r.Raw(key);
  if (raw.is_null()) {
    return {};
  }
  auto v = DecodeIntOrString(raw, r.PathOf(key));
  if (!v) {
    r.SetError(v.error());
    return {};
  }
  return *v;
}

// Called for objects only (FieldReader::Object checks the type first).
Result<ResourceList> DecodeResourceList(const Json& j, Path path) {
  ResourceList list;
  for (const auto& [k, v] : j.items()) {
    CAPSTAN_ASSIGN_OR_RETURN(Quantity q, DecodeQuantity(v, path + "." + k));
    list.emplace(k, q);
  }
  return list;
}

Result<ResourceRequirements> DecodeResources(const Json& j, Path path) {
  FieldReader r(j, path);
  ResourceRequirements out;
  out.limits = r.Object<ResourceList>("limits", DecodeResourceList).value_or(ResourceList{});
  out.requests = r.Object<ResourceList>("requests", DecodeResourceList).value_or(ResourceList{});
  CAPSTAN_TRY(r.Finish());
  return out;
}

Result<KeySelector> DecodeKeySelector(const Json& j, Path path) {
  FieldReader r(j, path);
  KeySelector k{r.String("name"), r.String("key"), r.OptBool("optional")};
  CAPSTAN_TRY(r.Finish());
  return k;
}

}  // namespace

Result<ObjectFieldSelector> DecodeObjectFieldSelector(const Json& j, const std::string& path) {
  FieldReader r(j, path);
  ObjectFieldSelector f{r.String("apiVersion"), r.String("fieldPath")};
  CAPSTAN_TRY(r.Finish());
  return f;
}

Result<ResourceFieldSelector> DecodeResourceFieldSelector(const Json& j, const std::string& path) {
  FieldReader r(j, path);
  ResourceFieldSelector f;
  f.container_name = r.String("containerName");
  f.resource = r.String("resource");
  if (r.Has("divisor")) {
    CAPSTAN_ASSIGN_OR_RETURN(f.divisor, DecodeQuantity(r.Raw("divisor"), r.PathOf("divisor")));
  }
  CAPSTAN_TRY(r.Finish());
  return f;
}

namespace {

Result<EnvVarSource> DecodeEnvVarSource(const Json& j, Path path) {
  FieldReader r(j, path);
  EnvVarSource s;
  s.field_ref = r.Object<ObjectFieldSelector>("fieldRef", DecodeObjectFieldSelector);
  s.resource_field_ref =
      r.Object<ResourceFieldSelector>("resourceFieldRef", DecodeResourceFieldSelector);
  s.config_map_key_ref = r.Object<KeySelector>("configMapKeyRef", DecodeKeySelector);
  s.secret_key_ref = r.Object<KeySelector>("secretKeyRef", DecodeKeySelector);
  CAPSTAN_TRY(r.Finish());
  return s;
}

Result<EnvVar> DecodeEnvVar(const Json& j, Path path) {
  FieldReader r(j, path);
  EnvVar e;
  e.name = r.String("name");
  e.value = r.String("value");
  e.value_from = r.Object<EnvVarSource>("valueFrom", DecodeEnvVarSource);
  CAPSTAN_TRY(r.Finish());
  return e;
}

Result<LocalReference> DecodeLocalReference(const Json& j, Path path) {
  FieldReader r(j, path);
  LocalReference ref{r.String("name"), r.OptBool("optional")};
  CAPSTAN_TRY(r.Finish());
  return ref;
}

Result<EnvFromSource> DecodeEnvFrom(const Json& j, Path path) {
  FieldReader r(j, path);
  EnvFromSource e;
  e.prefix = r.String("prefix");
  e.config_map_ref = r.Object<LocalReference>("configMapRef", DecodeLocalReference);
  e.secret_ref = r.Object<LocalReference>("secretRef", DecodeLocalReference);
  CAPSTAN_TRY(r.Finish());
  return e;
}

Result<ContainerPort> DecodePort(const Json& j, Path path) {
  FieldReader r(j, path);
  ContainerPort p;
  p.name = r.String("name");
  p.container_port = r.Int32("containerPort");
  p.host_port = r.Int32("hostPort");
  p.protocol = r.String("protocol");
  p.host_ip = r.String("hostIP");
  CAPSTAN_TRY(r.Finish());
  return p;
}

Result<VolumeMount> DecodeVolumeMount(const Json& j, Path path) {
  FieldReader r(j, path);
  VolumeMount m;
  m.name = r.String("name");
  m.mount_path = r.String("mountPath");
  m.read_only = r.Bool("readOnly");
  m.sub_path = r.String("subPath");
  m.mount_propagation = r.OptString("mountPropagation");
  CAPSTAN_TRY(r.Finish());
  return m;
}

Result<ExecAction> DecodeExec(const Json& j, Path path) {
  FieldReader r(j, path);
  ExecAction e{r.StringList("command")};
  CAPSTAN_TRY(r.Finish());
  return e;
}

Result<HTTPGetAction> DecodeHttpGet(const Json& j, Path path) {
  FieldReader r(j, path);
  HTTPGetAction h;
  h.path = r.String("path");
  h.port = ReadIntOrString(r, "port");
  h.host = r.String("host");
  h.scheme = r.String("scheme");
  h.http_headers =
      r.List<HTTPHeader>("httpHeaders", [](const Json& j, Path p) -> Result<HTTPHeader> {
        FieldReader r(j, p);
        HTTPHeader hh{r.String("name"), r.String("value")};
        CAPSTAN_TRY(r.Finish());
        return hh;
      });
  CAPSTAN_TRY(r.Finish());
  return h;
}

Result<TCPSocketAction> DecodeTcpSocket(const Json& j, Path path) {
  FieldReader r(j, path);
  TCPSocketAction t;
  t.port = ReadIntOrString(r, "port");
  t.host = r.String("host");
  CAPSTAN_TRY(r.Finish());
  return t;
}

Result<Probe> DecodeProbe(const Json& j, Path path) {
  FieldReader r(j, path);
  Probe p;
  p.handler.exec = r.Object<ExecAction>("exec", DecodeExec);
  p.handler.http_get = r.Object<HTTPGetAction>("httpGet", DecodeHttpGet);
  p.handler.tcp_socket = r.Object<TCPSocketAction>("tcpSocket", DecodeTcpSocket);
  p.handler.grpc = r.Object<GRPCAction>("grpc", [](const Json& j, Path p) -> Result<GRPCAction> {
    FieldReader r(j, p);
    GRPCAction g{r.Int32("port"), r.OptString("service")};
    CAPSTAN_TRY(r.Finish());
    return g;
  });
  p.initial_delay_seconds = r.Int32("initialDelaySeconds");
  p.timeout_seconds = r.Int32("timeoutSeconds");
  p.period_seconds = r.Int32("periodSeconds");
  p.success_threshold = r.Int32("successThreshold");
  p.failure_threshold = r.Int32("failureThreshold");
  p.termination_grace_period_seconds = r.OptInt("terminationGracePeriodSeconds");
  CAPSTAN_TRY(r.Finish());
  return p;
}

Result<LifecycleHandler> DecodeLifecycleHandler(const Json& j, Path path) {
  FieldReader r(j, path);
  LifecycleHandler h;
  h.exec = r.Object<ExecAction>("exec", DecodeExec);
  h.http_get = r.Object<HTTPGetAction>("httpGet", DecodeHttpGet);
  h.tcp_socket = r.Object<TCPSocketAction>("tcpSocket", DecodeTcpSocket);
  h.sleep = r.Object<SleepAction>("sleep", [](const Json& j, Path p) -> Result<SleepAction> {
    FieldReader r(j, p);
    SleepAction s{r.Int("seconds")};
    CAPSTAN_TRY(r.Finish());
    return s;
  });
  CAPSTAN_TRY(r.Finish());
  return h;
}

Result<Lifecycle> DecodeLifecycle(const Json& j, Path path) {
  FieldReader r(j, path);
  Lifecycle l;
  l.post_start = r.Object<LifecycleHandler>("postStart", DecodeLifecycleHandler);
  l.pre_stop = r.Object<LifecycleHandler>("preStop", DecodeLifecycleHandler);
  CAPSTAN_TRY(r.Finish());
  return l;
}

}  // namespace

Result<SeccompProfile> DecodeSeccomp(const Json& j, Path path) {
  FieldReader r(j, path);
  SeccompProfile s{r.String("type"), r.OptString("localhostProfile")};
  CAPSTAN_TRY(r.Finish());
  return s;
}

Result<SELinuxOptions> DecodeSELinux(const Json& j, Path path) {
  FieldReader r(j, path);
  SELinuxOptions s{r.String("user"), r.String("role"), r.String("type"), r.String("level")};
  CAPSTAN_TRY(r.Finish());
  return s;
}

namespace {

Result<SecurityContext> DecodeSecurityContext(const Json& j, Path path) {
  FieldReader r(j, path);
  SecurityContext s;
  s.capabilities =
      r.Object<Capabilities>("capabilities", [](const Json& j, Path p) -> Result<Capabilities> {
        FieldReader r(j, p);
        Capabilities c{r.StringList("add"), r.StringList("drop")};
        CAPSTAN_TRY(r.Finish());
        return c;
      });
  s.privileged = r.OptBool("privileged");
  s.se_linux_options = r.Object<SELinuxOptions>("seLinuxOptions", DecodeSELinux);
  s.run_as_user = r.OptInt("runAsUser");
  s.run_as_group = r.OptInt("runAsGroup");
  s.run_as_non_root = r.OptBool("runAsNonRoot");
  s.read_only_root_filesystem = r.OptBool("readOnlyRootFilesystem");
  s.allow_privilege_escalation = r.OptBool("allowPrivilegeEscalation");
  s.proc_mount = r.OptString("procMount");
  s.seccomp_profile = r.Object<SeccompProfile>("seccompProfile", DecodeSeccomp);
  CAPSTAN_TRY(r.Finish());
  return s;
}

}  // namespace

Result<Quantity> DecodeQuantity(const Json& j, const std::string& path) {
  if (j.is_string()) {
    auto q = Quantity::Parse(j.get<std::string>());
    if (!q) {
      return Fail(q.error().Wrap("{}", path));
    }
    return *q;
  }
  if (j.is_number_integer()) {
    return Quantity::FromUnits(j.get<int64_t>());
  }
  if (j.is_number_float()) {
    // 0.5 -> "500m"; go through the text form so rounding matches the string case.
    auto q = Quantity::Parse(fmt::format("{}", j.get<double>()));
    if (!q) {
      return Fail(q.error().Wrap("{}", path));
    }
    return *q;
  }
  return Fail(Code::kInvalidArgument, "{}: expected a quantity (\"100m\", \"128Mi\", 2), got {}",
              path, JsonTypeName(j));
}

Result<Container> DecodeContainer(const Json& j, const std::string& path) {
  FieldReader r(j, path);
  Container c;
  c.name = r.String("name");
  c.image = r.String("image");
  c.command = r.StringList("command");
  c.args = r.StringList("args");
  c.working_dir = r.String("workingDir");
  c.ports = r.List<ContainerPort>("ports", DecodePort);
  c.env_from = r.List<EnvFromSource>("envFrom", DecodeEnvFrom);
  c.env = r.List<EnvVar>("env", DecodeEnvVar);
  c.resources =
      r.Object<ResourceRequirements>("resources", DecodeResources).value_or(ResourceRequirements{});
  c.volume_mounts = r.List<VolumeMount>("volumeMounts", DecodeVolumeMount);
  c.liveness_probe = r.Object<Probe>("livenessProbe", DecodeProbe);
  c.readiness_probe = r.Object<Probe>("readinessProbe", DecodeProbe);
  c.startup_probe = r.Object<Probe>("startupProbe", DecodeProbe);
  c.lifecycle = r.Object<Lifecycle>("lifecycle", DecodeLifecycle);
  c.termination_message_path = r.String("terminationMessagePath");
  c.termination_message_policy = r.String("terminationMessagePolicy");
  c.image_pull_policy = r.String("imagePullPolicy");
  c.security_context = r.Object<SecurityContext>("securityContext", DecodeSecurityContext);
  c.stdin = r.Bool("stdin");
  c.stdin_once = r.Bool("stdinOnce");
  c.tty = r.Bool("tty");
  CAPSTAN_TRY(r.Finish());
  return c;
}

}  // namespace capstan::api::k8s
