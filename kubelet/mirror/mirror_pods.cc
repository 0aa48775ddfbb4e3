#include "kubelet/mirror/mirror_pods.h"

#include <map>

#include "api/k8s/codec.h"
#include "common/log.h"
#include "kubelet/sources/pod_config.h"

namespace capstan::kubelet::mirror {
namespace {

const log::Logger kLog("mirror-pods");
namespace res = api::k8s::client::resources;
using Json = api::k8s::client::Json;

std::string Annotation(const Json& pod, const char* key) {
  const Json& meta = pod.value("metadata", Json::object());
  const Json& annotations = meta.value("annotations", Json::object());
  auto it = annotations.find(key);
  return it != annotations.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

MirrorPods::MirrorPods(api::k8s::client::ApiClient* api, std::string node_name,
                       std::function<void(const std::string&)> on_created)
    : api_(api), node_(std::move(node_name)), on_created_(std::move(on_created)) {}

Json MirrorPods::MirrorOf(const api::k8s::Pod& pod) {
  Json j = api::k8s::EncodePod(pod);
  j.erase("status");
  Json& meta = j["metadata"];
  for (const char* f : {"uid", "resourceVersion", "creationTimestamp", "generation"}) {
    meta.erase(f);
  }
  meta["annotations"][sources::kConfigMirrorAnnotation] =
      pod.metadata.annotations.count(sources::kConfigHashAnnotation)
          ? pod.metadata.annotations.at(sources::kConfigHashAnnotation)
          : pod.metadata.uid;
  if (node_uid_.empty()) {
    if (auto node = api_->Get(res::kNodes, "", node_)) {
      node_uid_ = (*node)["metadata"].value("uid", "");
    }
  }
  if (!node_uid_.empty()) {
    meta["ownerReferences"] = Json::array({{{"apiVersion", "v1"},
                                            {"kind", "Node"},
                                            {"name", node_},
                                            {"uid", node_uid_},
                                            {"controller", true}}});
  }
  return j;
}

void MirrorPods::SyncOnce(const std::vector<api::k8s::Pod>& static_pods) {
  api::k8s::client::ListOptions options;
  options.field_selector = "spec.nodeName=" + node_;
  auto list = api_->List(res::kPods, "", options);
  if (!list) return;
  std::map<std::string, Json> mirrors;  // ns/name -> mirror pod
  for (const auto& p : (*list)["items"]) {
    if (Annotation(p, sources::kConfigMirrorAnnotation).empty()) continue;
    mirrors[p["metadata"].value("namespace", "") + "/" + p["metadata"].value("name", "")] = p;
  }
  std::map<std::string, bool> wanted;
  for (const auto& pod : static_pods) {
    std::string key = pod.metadata.namespace_ + "/" + pod.metadata.name;
    wanted[key] = true;
    Json desired = MirrorOf(pod);
    std::string hash = Annotation(desired, sources::kConfigMirrorAnnotation);
    auto it = mirrors.find(key);
    if (it != mirrors.end()) {
      bool current = Annotation(it->second, sources::kConfigMirrorAnnotation) == hash &&
                     !it->second["metadata"].contains("deletionTimestamp");
      if (current) continue;
      // An outdated or terminating mirror: replaced (created at the next pass).
      (void)api_->Delete(res::kPods, pod.metadata.namespace_, pod.metadata.name, 0);
      continue;
    }
    auto created = api_->Create(res::kPods, pod.metadata.namespace_, desired);
    if (created) {
      kLog.Info("mirror pod created", {{"pod", key}});
      if (on_created_) on_created_(pod.metadata.uid);
    } else if (created.error().code() != Code::kAlreadyExists) {
      kLog.Warn("creating mirror pod", {{"pod", key}, {"error", created.error().message()}});
    }
  }
  for (const auto& [key, mirror] : mirrors) {
    if (wanted.count(key)) continue;
    auto st = api_->Delete(res::kPods, mirror["metadata"].value("namespace", ""),
                           mirror["metadata"].value("name", ""), 0);
    if (st) kLog.Info("mirror pod deleted", {{"pod", key}});
  }
}

}  // namespace capstan::kubelet::mirror
