#include "kubelet/volumes/csi_node.h"

namespace capstan::kubelet::volumes {
namespace {

using api::k8s::client::Json;
namespace resources = api::k8s::client::resources;

Json DriversJson(const std::vector<CsiDriverInfo>& drivers) {
  Json out = Json::array();
  for (const auto& d : drivers) {
    Json keys = Json::array();
    for (const auto& [k, v] : d.topology) keys.push_back(k);
    Json entry = {{"name", d.name}, {"nodeID", d.node_id}, {"topologyKeys", keys}};
    if (d.max_volumes > 0) entry["allocatable"] = {{"count", d.max_volumes}};
    out.push_back(entry);
  }
  return out;
}

}  // namespace

Status SyncCsiNode(api::k8s::client::ApiClient* api, const std::string& node_name,
                   const std::vector<CsiDriverInfo>& drivers) {
  CAPSTAN_ASSIGN_OR_RETURN(Json node, api->Get(resources::kNodes, "", node_name));
  // The Node first: the scheduler must see the topology labels before a volume needs them.
  Json ids = Json::object();
  Json labels = Json::object();
  for (const auto& d : drivers) {
    ids[d.name] = d.node_id;
    for (const auto& [k, v] : d.topology) labels[k] = v;
  }
  Json patch = {
      {"metadata",
       {{"annotations",
         {{"csi.volume.kubernetes.io/nodeid", ids.empty() ? Json() : Json(ids.dump())}}}}}};
  if (!labels.empty()) patch["metadata"]["labels"] = labels;
  if (auto patched =
          api->Patch(resources::kNodes, "", node_name, api::k8s::client::PatchType::kMerge, patch);
      !patched) {
    return Fail(patched.error());
  }

  for (int attempt = 0; attempt < 3; ++attempt) {
    auto current = api->Get(resources::kCsiNodes, "", node_name);
    if (!current && current.error().code() == Code::kNotFound) {
      Json owner = {{"apiVersion", "v1"},
                    {"kind", "Node"},
                    {"name", node_name},
                    {"uid", node["metadata"].value("uid", "")}};
      Json obj = {{"apiVersion", "storage.k8s.io/v1"},
                  {"kind", "CSINode"},
                  {"metadata", {{"name", node_name}, {"ownerReferences", Json::array({owner})}}},
                  {"spec", {{"drivers", DriversJson(drivers)}}}};
      auto created = api->Create(resources::kCsiNodes, "", obj);
      if (created) return Ok();
      if (created.error().code() != Code::kAlreadyExists) return Fail(created.error());
      continue;
    }
    if (!current) return Fail(current.error());
    Json updated = *current;
    updated["spec"]["drivers"] = DriversJson(drivers);
    auto st = api->Update(resources::kCsiNodes, "", node_name, updated);
    if (st) return Ok();
    if (st.error().code() != Code::kFailedPrecondition) return Fail(st.error());
  }
  return Fail(Code::kFailedPrecondition, "CSINode {} kept changing under the update", node_name);
}

}  // namespace capstan::kubelet::volumes
