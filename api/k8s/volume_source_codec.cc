// JSON <-> the volume sources that carry API data: configMap, secret, downwardAPI and
// projected (which combines them with a service-account token).
#include "api/k8s/decode_internal.h"

namespace capstan::api::k8s {
namespace {

using Path = const std::string&;

Result<KeyToPath> DecodeKeyToPath(const Json& j, Path path) {
  FieldReader r(j, path);
  KeyToPath k{r.String("key"), r.String("path"), r.OptInt32("mode")};
  CAPSTAN_TRY(r.Finish());
  return k;
}

Result<ConfigMapVolumeSource> DecodeConfigMap(const Json& j, Path path) {
  FieldReader r(j, path);
  ConfigMapVolumeSource c;
  c.name = r.String("name");
  c.items = r.List<KeyToPath>("items", DecodeKeyToPath);
  c.default_mode = r.OptInt32("defaultMode");
  c.optional = r.OptBool("optional");
  CAPSTAN_TRY(r.Finish());
  return c;
}

// `name_key`: "secretName" in a volume, "name" in a projection.
Result<SecretVolumeSource> DecodeSecret(const Json& j, Path path, const char* name_key) {
  FieldReader r(j, path);
  SecretVolumeSource s;
  s.secret_name = r.String(name_key);
  s.items = r.List<KeyToPath>("items", DecodeKeyToPath);
  s.default_mode = r.OptInt32("defaultMode");
  s.optional = r.OptBool("optional");
  CAPSTAN_TRY(r.Finish());
  return s;
}

Result<DownwardAPIVolumeFile> DecodeDownwardFile(const Json& j, Path path) {
  FieldReader r(j, path);
  DownwardAPIVolumeFile f;
  f.path = r.String("path");
  f.field_ref = r.Object<ObjectFieldSelector>("fieldRef", DecodeObjectFieldSelector);
  f.resource_field_ref =
      r.Object<ResourceFieldSelector>("resourceFieldRef", DecodeResourceFieldSelector);
  f.mode = r.OptInt32("mode");
  CAPSTAN_TRY(r.Finish());
  return f;
}

Result<DownwardAPIVolumeSource> DecodeDownward(const Json& j, Path path) {
  FieldReader r(j, path);
  DownwardAPIVolumeSource d;
  d.items = r.List<DownwardAPIVolumeFile>("items", DecodeDownwardFile);
  d.default_mode = r.OptInt32("defaultMode");
  CAPSTAN_TRY(r.Finish());
  return d;
}

Result<VolumeProjection> DecodeProjection(const Json& j, Path path) {
  FieldReader r(j, path);
  VolumeProjection p;
  p.config_map = r.Object<ConfigMapVolumeSource>("configMap", DecodeConfigMap);
  p.secret = r.Object<SecretVolumeSource>(
      "secret", [](const Json& j, Path p) { return DecodeSecret(j, p, "name"); });
  p.downward_api = r.Object<DownwardAPIVolumeSource>("downwardAPI", DecodeDownward);
  p.service_account_token = r.Object<ServiceAccountTokenProjection>(
      "serviceAccountToken", [](const Json& j, Path p) -> Result<ServiceAccountTokenProjection> {
        FieldReader r(j, p);
        ServiceAccountTokenProjection t{r.String("audience"), r.OptInt("expirationSeconds"),
                                        r.String("path")};
        CAPSTAN_TRY(r.Finish());
        return t;
      });
  CAPSTAN_TRY(r.Finish());
  return p;
}

Json EncodeItems(const std::vector<KeyToPath>& items) {
  Json out = Json::array();
  for (const auto& i : items) {
    Json k = {{"key", i.key}, {"path", i.path}};
    if (i.mode) k["mode"] = *i.mode;
    out.push_back(std::move(k));
  }
  return out;
}

Json EncodeConfigMap(const ConfigMapVolumeSource& c) {
  Json j = {{"name", c.name}};
  if (!c.items.empty()) j["items"] = EncodeItems(c.items);
  if (c.default_mode) j["defaultMode"] = *c.default_mode;
  if (c.optional) j["optional"] = *c.optional;
  return j;
}

Json EncodeSecret(const SecretVolumeSource& s, const char* name_key) {
  Json j = {{name_key, s.secret_name}};
  if (!s.items.empty()) j["items"] = EncodeItems(s.items);
  if (s.default_mode) j["defaultMode"] = *s.default_mode;
  if (s.optional) j["optional"] = *s.optional;
  return j;
}

Json EncodeDownward(const DownwardAPIVolumeSource& d) {
  Json items = Json::array();
  for (const auto& f : d.items) {
    Json i = {{"path", f.path}};
    if (f.field_ref) i["fieldRef"] = EncodeObjectFieldSelector(*f.field_ref);
    if (f.resource_field_ref) {
      i["resourceFieldRef"] = EncodeResourceFieldSelector(*f.resource_field_ref);
    }
    if (f.mode) i["mode"] = *f.mode;
    items.push_back(std::move(i));
  }
  Json j = {{"items", items}};
  if (d.default_mode) j["defaultMode"] = *d.default_mode;
  return j;
}

}  // namespace

Status DecodeDataVolumeSources(const Json& j, const std::string& path, Volume& v) {
  FieldReader r(j, path);
  v.config_map = r.Object<ConfigMapVolumeSource>("configMap", DecodeConfigMap);
  v.secret = r.Object<SecretVolumeSource>(
      "secret", [](const Json& j, Path p) { return DecodeSecret(j, p, "secretName"); });
  v.downward_api = r.Object<DownwardAPIVolumeSource>("downwardAPI", DecodeDownward);
  v.projected = r.Object<ProjectedVolumeSource>(
      "projected", [](const Json& j, Path p) -> Result<ProjectedVolumeSource> {
        FieldReader r(j, p);
        ProjectedVolumeSource s;
        s.sources = r.List<VolumeProjection>("sources", DecodeProjection);
        s.default_mode = r.OptInt32("defaultMode");
        CAPSTAN_TRY(r.Finish());
        return s;
      });
  return r.Finish();
}

void EncodeDataVolumeSources(const Volume& v, Json& j) {
  if (v.config_map) j["configMap"] = EncodeConfigMap(*v.config_map);
  if (v.secret) j["secret"] = EncodeSecret(*v.secret, "secretName");
  if (v.downward_api) j["downwardAPI"] = EncodeDownward(*v.downward_api);
  if (v.projected) {
    Json sources = Json::array();
    for (const auto& p : v.projected->sources) {
      Json s = Json::object();
      if (p.config_map) s["configMap"] = EncodeConfigMap(*p.config_map);
      if (p.secret) s["secret"] = EncodeSecret(*p.secret, "name");
      if (p.downward_api) s["downwardAPI"] = EncodeDownward(*p.downward_api);
      if (const auto& t = p.service_account_token) {
        s["serviceAccountToken"] = {{"path", t->path}};
        if (!t->audience.empty()) s["serviceAccountToken"]["audience"] = t->audience;
        if (t->expiration_seconds) {
          s["serviceAccountToken"]["expirationSeconds"] = *t->expiration_seconds;
        }
      }
      sources.push_back(std::move(s));
    }
    j["projected"] = {{"sources", sources}};
    if (v.projected->default_mode) j["projected"]["defaultMode"] = *v.projected->default_mode;
  }
}

Json EncodeObjectFieldSelector(const ObjectFieldSelector& f) {
  Json j = {{"fieldPath", f.field_path}};
  if (!f.api_version.empty()) j["apiVersion"] = f.api_version;
  return j;
}

Json EncodeResourceFieldSelector(const ResourceFieldSelector& f) {
  Json j = {{"resource", f.resource}};
  if (!f.container_name.empty()) j["containerName"] = f.container_name;
  if (f.divisor) j["divisor"] = f.divisor->ToString();
  return j;
}

}  // namespace capstan::api::k8s
