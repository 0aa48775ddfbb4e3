#include "control-plane/apiserver/namespace_defaults.h"

#include "common/log.h"
#include "control-plane/apiserver/service_account_admission.h"

namespace capstan::control_plane::apiserver {
namespace {
const log::Logger kLog("namespace-defaults");
}

NamespaceDefaults::NamespaceDefaults(Registry* registry, const ResourceRegistry* resources,
                                     std::string ca_pem, std::chrono::milliseconds period)
    : registry_(registry),
      resources_(resources),
      ca_pem_(std::move(ca_pem)),
      loop_(period, [this] { SyncOnce(); }) {}

NamespaceDefaults::~NamespaceDefaults() { Stop(); }

void NamespaceDefaults::Start() { loop_.Start(); }
void NamespaceDefaults::Stop() { loop_.Stop(); }
void NamespaceDefaults::Notify() { loop_.Notify(); }

void NamespaceDefaults::SyncOnce() {
  auto namespaces = resources_->Find("", "v1", "namespaces");
  if (!namespaces) return;
  auto list = registry_->List(*namespaces, {});
  if (!list) return;
  for (const auto& ns : (*list)["items"]) {
    if (!Lookup(ns, {"metadata", "deletionTimestamp"}).is_null()) continue;
    SyncNamespace(MetaString(ns, "name"));
  }
}

void NamespaceDefaults::SyncNamespace(const std::string& ns) {
  auto warn = [&](const char* what, const ApiError& e) {
    // A namespace being deleted refuses new objects: nothing to do there.
    if (e.code == 409 || e.code == 403) return;
    kLog.Warn(what, {{"namespace", ns}, {"error", e.message}});
  };
  auto sas = resources_->Find("", "v1", "serviceaccounts");
  if (sas && !registry_->Get(*sas, ns, "default")) {
    Json sa = {{"apiVersion", "v1"},
               {"kind", "ServiceAccount"},
               {"metadata", {{"name", "default"}, {"namespace", ns}}}};
    if (auto r = registry_->Create(*sas, ns, std::move(sa), false); !r) {
      warn("creating the default service account", r.error());
    }
  }
  auto cms = resources_->Find("", "v1", "configmaps");
  if (!cms) return;
  auto current = registry_->Get(*cms, ns, kRootCaConfigMap);
  if (current) {
    if (StringOr(Lookup(*current, {"data", "ca.crt"})) == ca_pem_) return;
    Json updated = *current;
    updated["data"] = {{"ca.crt", ca_pem_}};
    if (auto r = registry_->Update(*cms, ns, kRootCaConfigMap, std::move(updated), "", false); !r) {
      warn("restoring kube-root-ca.crt", r.error());
    }
    return;
  }
  Json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata",
              {{"name", kRootCaConfigMap},
               {"namespace", ns},
               {"annotations",
                {{"kubernetes.io/description",
                  "Contains a CA bundle that can be used to verify the kube-apiserver when "
                  "using internal endpoints such as the internal service IP or "
                  "kubernetes.default.svc. No other usage is guaranteed across distributions "
                  "of Kubernetes clusters."}}}}},
             {"data", {{"ca.crt", ca_pem_}}}};
  if (auto r = registry_->Create(*cms, ns, std::move(cm), false); !r) {
    warn("creating kube-root-ca.crt", r.error());
  }
}

}  // namespace capstan::control_plane::apiserver
