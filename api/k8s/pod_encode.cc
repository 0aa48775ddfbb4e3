// Pod -> JSON, omitting empty fields as the API's `omitempty` tags do.
#include "api/k8s/codec.h"
#include "api/k8s/decode_internal.h"

namespace capstan::api::k8s {
namespace {

void PutString(Json& j, const char* key, const std::string& v) {
  if (!v.empty()) {
    j[key] = v;
  }
}
template <typename T>
void PutOpt(Json& j, const char* key, const std::optional<T>& v) {
  if (v) {
    j[key] = *v;
  }
}
void PutStrings(Json& j, const char* key, const std::vector<std::string>& v) {
  if (!v.empty()) {
    j[key] = v;
  }
}
void PutMap(Json& j, const char* key, const StringMap& m) {
  if (!m.empty()) {
    j[key] = m;
  }
}
void PutTrue(Json& j, const char* key, bool v) {
  if (v) {
    j[key] = true;
  }
}
template <typename T>
void PutNonZero(Json& j, const char* key, T v) {
  if (v != 0) {
    j[key] = v;
  }
}
template <typename T, typename Fn>
void PutList(Json& j, const char* key, const std::vector<T>& v, Fn encode) {
  if (v.empty()) {
    return;
  }
  Json a = Json::array();
  for (const auto& item : v) {
    a.push_back(encode(item));
  }
  j[key] = a;
}

Json EncodeIntOrString(const IntOrString& v) {
  return v.is_string ? Json(v.str_value) : Json(v.int_value);
}

Json EncodeResourceList(const ResourceList& l) {
  Json j = Json::object();
  for (const auto& [k, q] : l) {
    j[k] = q.ToString();
  }
  return j;
}

Json EncodeKeySelector(const KeySelector& k) {
  Json j = {{"key", k.key}};
  PutString(j, "name", k.name);
  PutOpt(j, "optional", k.optional);
  return j;
}

Json EncodeEnv(const EnvVar& e) {
  Json j = {{"name", e.name}};
  PutString(j, "value", e.value);
  if (e.value_from) {
    Json from = Json::object();
    if (const auto& f = e.value_from->field_ref) {
      from["fieldRef"] = EncodeObjectFieldSelector(*f);
    }
    if (const auto& f = e.value_from->resource_field_ref) {
      from["resourceFieldRef"] = EncodeResourceFieldSelector(*f);
    }
    if (const auto& k = e.value_from->config_map_key_ref) {
      from["configMapKeyRef"] = EncodeKeySelector(*k);
    }
    if (const auto& k = e.value_from->secret_key_ref) {
      from["secretKeyRef"] = EncodeKeySelector(*k);
    }
    j["valueFrom"] = from;
  }
  return j;
}

Json EncodeEnvFrom(const EnvFromSource& e) {
  Json j = Json::object();
  PutString(j, "prefix", e.prefix);
  auto ref = [](const LocalReference& r) {
    Json out = {{"name", r.name}};
    if (r.optional) out["optional"] = *r.optional;
    return out;
  };
  if (e.config_map_ref) j["configMapRef"] = ref(*e.config_map_ref);
  if (e.secret_ref) j["secretRef"] = ref(*e.secret_ref);
  return j;
}

Json EncodeExec(const ExecAction& e) {
  Json j = Json::object();
  PutStrings(j, "command", e.command);
  return j;
}

Json EncodeHttpGet(const HTTPGetAction& h) {
  Json j = {{"port", EncodeIntOrString(h.port)}};
  PutString(j, "path", h.path);
  PutString(j, "host", h.host);
  PutString(j, "scheme", h.scheme);
  PutList(j, "httpHeaders", h.http_headers, [](const HTTPHeader& hh) {
    return Json{{"name", hh.name}, {"value", hh.value}};
  });
  return j;
}

Json EncodeTcp(const TCPSocketAction& t) {
  Json j = {{"port", EncodeIntOrString(t.port)}};
  PutString(j, "host", t.host);
  return j;
}

Json EncodeProbe(const Probe& p) {
  Json j = Json::object();
  if (p.handler.exec) {
    j["exec"] = EncodeExec(*p.handler.exec);
  }
  if (p.handler.http_get) {
    j["httpGet"] = EncodeHttpGet(*p.handler.http_get);
  }
  if (p.handler.tcp_socket) {
    j["tcpSocket"] = EncodeTcp(*p.handler.tcp_socket);
  }
  if (p.handler.grpc) {
    j["grpc"] = {{"port", p.handler.grpc->port}};
    PutOpt(j["grpc"], "service", p.handler.grpc->service);
  }
  PutNonZero(j, "initialDelaySeconds", p.initial_delay_seconds);
  PutNonZero(j, "timeoutSeconds", p.timeout_seconds);
  PutNonZero(j, "periodSeconds", p.period_seconds);
  PutNonZero(j, "successThreshold", p.success_threshold);
  PutNonZero(j, "failureThreshold", p.failure_threshold);
  PutOpt(j, "terminationGracePeriodSeconds", p.termination_grace_period_seconds);
  return j;
}

Json EncodeHandler(const LifecycleHandler& h) {
  Json j = Json::object();
  if (h.exec) {
    j["exec"] = EncodeExec(*h.exec);
  }
  if (h.http_get) {
    j["httpGet"] = EncodeHttpGet(*h.http_get);
  }
  if (h.tcp_socket) {
    j["tcpSocket"] = EncodeTcp(*h.tcp_socket);
  }
  if (h.sleep) {
    j["sleep"] = {{"seconds", h.sleep->seconds}};
  }
  return j;
}

Json EncodeSeccomp(const SeccompProfile& s) {
  Json j = {{"type", s.type}};
  PutOpt(j, "localhostProfile", s.localhost_profile);
  return j;
}

Json EncodeSELinux(const SELinuxOptions& s) {
  Json j = Json::object();
  PutString(j, "user", s.user);
  PutString(j, "role", s.role);
  PutString(j, "type", s.type);
  PutString(j, "level", s.level);
  return j;
}

Json EncodeSecurityContext(const SecurityContext& s) {
  Json j = Json::object();
  if (s.capabilities) {
    j["capabilities"] = Json::object();
    PutStrings(j["capabilities"], "add", s.capabilities->add);
    PutStrings(j["capabilities"], "drop", s.capabilities->drop);
  }
  PutOpt(j, "privileged", s.privileged);
  if (s.se_linux_options) {
    j["seLinuxOptions"] = EncodeSELinux(*s.se_linux_options);
  }
  PutOpt(j, "runAsUser", s.run_as_user);
  PutOpt(j, "runAsGroup", s.run_as_group);
  PutOpt(j, "runAsNonRoot", s.run_as_non_root);
  PutOpt(j, "readOnlyRootFilesystem", s.read_only_root_filesystem);
  PutOpt(j, "allowPrivilegeEscalation", s.allow_privilege_escalation);
  PutOpt(j, "procMount", s.proc_mount);
  if (s.seccomp_profile) {
    j["seccompProfile"] = EncodeSeccomp(*s.seccomp_profile);
  }
  return j;
}

Json EncodeVolume(const Volume& v) {
  Json j = {{"name", v.name}};
  if (v.empty_dir) {
    Json e = Json::object();
    PutString(e, "medium", v.empty_dir->medium);
    if (v.empty_dir->size_limit) {
      e["sizeLimit"] = v.empty_dir->size_limit->ToString();
    }
    j["emptyDir"] = e;
  }
  if (v.host_path) {
    j["hostPath"] = {{"path", v.host_path->path}};
    PutOpt(j["hostPath"], "type", v.host_path->type);
  }
  if (v.persistent_volume_claim) {
    j["persistentVolumeClaim"] = {{"claimName", v.persistent_volume_claim->claim_name}};
    if (v.persistent_volume_claim->read_only) j["persistentVolumeClaim"]["readOnly"] = true;
  }
  if (v.csi) {
    Json c = {{"driver", v.csi->driver}};
    PutOpt(c, "readOnly", v.csi->read_only);
    PutOpt(c, "fsType", v.csi->fs_type);
    if (!v.csi->volume_attributes.empty()) c["volumeAttributes"] = v.csi->volume_attributes;
    if (!v.csi->node_publish_secret_ref.empty()) {
      c["nodePublishSecretRef"] = {{"name", v.csi->node_publish_secret_ref}};
    }
    j["csi"] = c;
  }
  if (v.ephemeral) {
    j["ephemeral"] = {{"volumeClaimTemplate",
                       Json::parse(v.ephemeral->volume_claim_template_json, nullptr, false)}};
  }
  EncodeDataVolumeSources(v, j);
  if (!v.unsupported_source.empty()) {
    j[v.unsupported_source] = Json::object();
  }
  return j;
}

Json EncodePodSecurityContext(const PodSecurityContext& s) {
  Json j = Json::object();
  if (s.se_linux_options) {
    j["seLinuxOptions"] = EncodeSELinux(*s.se_linux_options);
  }
  PutOpt(j, "runAsUser", s.run_as_user);
  PutOpt(j, "runAsGroup", s.run_as_group);
  PutOpt(j, "runAsNonRoot", s.run_as_non_root);
  if (!s.supplemental_groups.empty()) {
    j["supplementalGroups"] = s.supplemental_groups;
  }
  PutOpt(j, "fsGroup", s.fs_group);
  PutList(j, "sysctls", s.sysctls, [](const Sysctl& x) {
    return Json{{"name", x.name}, {"value", x.value}};
  });
  PutOpt(j, "fsGroupChangePolicy", s.fs_group_change_policy);
  if (s.seccomp_profile) {
    j["seccompProfile"] = EncodeSeccomp(*s.seccomp_profile);
  }
  return j;
}

Json EncodeMeta(const ObjectMeta& m) {
  Json j = Json::object();
  PutString(j, "name", m.name);
  PutString(j, "generateName", m.generate_name);
  PutString(j, "namespace", m.namespace_);
  PutString(j, "uid", m.uid);
  PutString(j, "resourceVersion", m.resource_version);
  PutMap(j, "labels", m.labels);
  PutMap(j, "annotations", m.annotations);
  j["creationTimestamp"] = m.creation_timestamp ? Json(FormatTime(*m.creation_timestamp)) : Json();
  if (m.deletion_timestamp) {
    j["deletionTimestamp"] = FormatTime(*m.deletion_timestamp);
  }
  PutOpt(j, "deletionGracePeriodSeconds", m.deletion_grace_period_seconds);
  return j;
}

Json EncodeSpec(const PodSpec& s) {
  Json j = Json::object();
  PutList(j, "volumes", s.volumes, EncodeVolume);
  PutList(j, "initContainers", s.init_containers, EncodeContainer);
  j["containers"] = Json::array();
  for (const auto& c : s.containers) {
    j["containers"].push_back(EncodeContainer(c));
  }
  PutString(j, "restartPolicy", s.restart_policy);
  PutOpt(j, "terminationGracePeriodSeconds", s.termination_grace_period_seconds);
  PutOpt(j, "activeDeadlineSeconds", s.active_deadline_seconds);
  PutString(j, "dnsPolicy", s.dns_policy);
  PutMap(j, "nodeSelector", s.node_selector);
  if (s.affinity) j["affinity"] = EncodeAffinity(*s.affinity);
  PutList(j, "tolerations", s.tolerations, EncodeToleration);
  PutList(j, "imagePullSecrets", s.image_pull_secrets, [](const LocalReference& r) {
    return Json{{"name", r.name}};
  });
  PutString(j, "serviceAccountName", s.service_account_name);
  PutString(j, "nodeName", s.node_name);
  PutTrue(j, "hostNetwork", s.host_network);
  PutTrue(j, "hostPID", s.host_pid);
  PutTrue(j, "hostIPC", s.host_ipc);
  PutOpt(j, "shareProcessNamespace", s.share_process_namespace);
  if (s.security_context) {
    j["securityContext"] = EncodePodSecurityContext(*s.security_context);
  }
  PutString(j, "hostname", s.hostname);
  PutString(j, "subdomain", s.subdomain);
  PutList(j, "hostAliases", s.host_aliases, [](const HostAlias& h) {
    Json a = {{"ip", h.ip}};
    PutStrings(a, "hostnames", h.hostnames);
    return a;
  });
  PutString(j, "priorityClassName", s.priority_class_name);
  PutString(j, "preemptionPolicy", s.preemption_policy);
  PutString(j, "schedulerName", s.scheduler_name);
  if (!s.topology_spread_constraints_json.empty()) {
    j["topologySpreadConstraints"] =
        Json::parse(s.topology_spread_constraints_json, nullptr, false);
  }
  PutOpt(j, "priority", s.priority);
  if (s.dns_config) {
    Json d = Json::object();
    PutStrings(d, "nameservers", s.dns_config->nameservers);
    PutStrings(d, "searches", s.dns_config->searches);
    PutList(d, "options", s.dns_config->options, [](const PodDNSConfigOption& o) {
      Json oj = {{"name", o.name}};
      PutOpt(oj, "value", o.value);
      return oj;
    });
    j["dnsConfig"] = d;
  }
  PutOpt(j, "runtimeClassName", s.runtime_class_name);
  PutOpt(j, "enableServiceLinks", s.enable_service_links);
  return j;
}

}  // namespace

Json EncodeContainer(const Container& c) {
  Json j = {{"name", c.name}};
  PutString(j, "image", c.image);
  PutStrings(j, "command", c.command);
  PutStrings(j, "args", c.args);
  PutString(j, "workingDir", c.working_dir);
  PutList(j, "ports", c.ports, [](const ContainerPort& p) {
    Json pj = {{"containerPort", p.container_port}};
    PutString(pj, "name", p.name);
    PutNonZero(pj, "hostPort", p.host_port);
    PutString(pj, "protocol", p.protocol);
    PutString(pj, "hostIP", p.host_ip);
    return pj;
  });
  PutList(j, "envFrom", c.env_from, EncodeEnvFrom);
  PutList(j, "env", c.env, EncodeEnv);
  Json res = Json::object();
  if (!c.resources.limits.empty()) {
    res["limits"] = EncodeResourceList(c.resources.limits);
  }
  if (!c.resources.requests.empty()) {
    res["requests"] = EncodeResourceList(c.resources.requests);
  }
  j["resources"] = res;
  PutList(j, "volumeMounts", c.volume_mounts, [](const VolumeMount& m) {
    Json mj = {{"name", m.name}, {"mountPath", m.mount_path}};
    PutTrue(mj, "readOnly", m.read_only);
    PutString(mj, "subPath", m.sub_path);
    PutOpt(mj, "mountPropagation", m.mount_propagation);
    return mj;
  });
  if (c.liveness_probe) {
    j["livenessProbe"] = EncodeProbe(*c.liveness_probe);
  }
  if (c.readiness_probe) {
    j["readinessProbe"] = EncodeProbe(*c.readiness_probe);
  }
  if (c.startup_probe) {
    j["startupProbe"] = EncodeProbe(*c.startup_probe);
  }
  if (c.lifecycle) {
    Json l = Json::object();
    if (c.lifecycle->post_start) {
      l["postStart"] = EncodeHandler(*c.lifecycle->post_start);
    }
    if (c.lifecycle->pre_stop) {
      l["preStop"] = EncodeHandler(*c.lifecycle->pre_stop);
    }
    j["lifecycle"] = l;
  }
  PutString(j, "terminationMessagePath", c.termination_message_path);
  PutString(j, "terminationMessagePolicy", c.termination_message_policy);
  PutString(j, "imagePullPolicy", c.image_pull_policy);
  if (c.security_context) {
    j["securityContext"] = EncodeSecurityContext(*c.security_context);
  }
  PutTrue(j, "stdin", c.stdin);
  PutTrue(j, "stdinOnce", c.stdin_once);
  PutTrue(j, "tty", c.tty);
  return j;
}

Json EncodePod(const Pod& pod) {
  Json j = {{"apiVersion", pod.api_version}, {"kind", pod.kind}};
  j["metadata"] = EncodeMeta(pod.metadata);
  j["spec"] = EncodeSpec(pod.spec);
  j["status"] = EncodePodStatus(pod.status);
  return j;
}

std::string EncodePodJson(const Pod& pod) { return EncodePod(pod).dump(); }

}  // namespace capstan::api::k8s
