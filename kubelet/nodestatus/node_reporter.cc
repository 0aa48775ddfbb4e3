#include "kubelet/nodestatus/node_reporter.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "common/log.h"

namespace capstan::kubelet::nodestatus {
namespace {

const log::Logger kLog("node-status");
namespace res = api::k8s::client::resources;
using api::k8s::client::PatchType;

// Labels the kubelet owns on its Node and keeps current when it re-registers.
bool OwnedLabel(const std::string& key) {
  return key == "kubernetes.io/hostname" || key == "kubernetes.io/os" ||
         key == "kubernetes.io/arch" || key == "beta.kubernetes.io/os" ||
         key == "beta.kubernetes.io/arch";
}

}  // namespace

NodeReporter::NodeReporter(api::k8s::client::ApiClient* api, const Clock* clock, NodeFacts facts,
                           std::function<NodeHealth()> health, NodeReporterOptions options)
    : api_(api),
      clock_(clock),
      facts_(std::move(facts)),
      health_(std::move(health)),
      options_(options) {}

void NodeReporter::Tick() {
  auto now = clock_->Monotonic();
  if (!registered_) {
    if (auto st = Register(); !st) {
      kLog.Warn("registering the node", {{"node", facts_.name}, {"error", st.error().message()}});
      return;
    }
    registered_ = true;
    last_check_ = last_report_ = now;
    kLog.Info("node registered", {{"node", facts_.name}});
  }
  if (!last_check_ || now - *last_check_ >= options_.status_update_frequency) {
    last_check_ = now;
    bool force = !last_report_ || now - *last_report_ >= options_.status_report_frequency;
    if (auto st = UpdateStatus(force); !st) {
      kLog.Warn("updating the node status", {{"error", st.error().message()}});
    }
  }
  auto lease_interval = std::chrono::seconds(options_.lease_duration_seconds) / 4;
  if (!last_lease_ || now - *last_lease_ >= lease_interval) {
    if (auto st = RenewLease(); st) {
      last_lease_ = now;
    } else {
      kLog.Warn("renewing the node lease", {{"error", st.error().message()}});
    }
  }
}

Status NodeReporter::Register() {
  Json wanted = NodeForRegistration(facts_, health_(), clock_->Now());
  auto created = api_->Create(res::kNodes, "", wanted);
  if (created) {
    node_ = *created;
    RecordConditionEvents(Json::object(), node_.value("status", Json::object()));
    return Ok();
  }
  if (created.error().code() != Code::kAlreadyExists) return std::unexpected(created.error());
  // The Node is there (an earlier run of this kubelet): adopt it, and update what the
  // kubelet owns on it, as upstream's reconcile of labels and capacity does.
  CAPSTAN_ASSIGN_OR_RETURN(Json existing, api_->Get(res::kNodes, "", facts_.name));
  Json labels = Json::object();
  for (const auto& [k, v] : wanted["metadata"]["labels"].items()) {
    const Json& have = existing["metadata"].value("labels", Json::object());
    if (OwnedLabel(k) || !have.contains(k)) labels[k] = v;
  }
  Json patch = {{"metadata", {{"labels", labels}}}};
  CAPSTAN_ASSIGN_OR_RETURN(node_,
                           api_->Patch(res::kNodes, "", facts_.name, PatchType::kMerge, patch, ""));
  return UpdateStatus(true);
}

Status NodeReporter::UpdateStatus(bool force) {
  Json previous = node_.value("status", Json::object());
  Json status = NodeStatus(facts_, health_(), previous, clock_->Now());
  if (!force && WithoutHeartbeats(status) == WithoutHeartbeats(previous)) return Ok();
  auto patched = api_->Patch(res::kNodes, "", facts_.name, PatchType::kMerge,
                             Json{{"status", status}}, "status");
  if (!patched) {
    if (patched.error().code() == Code::kNotFound) registered_ = false;  // deleted: register again
    return std::unexpected(patched.error());
  }
  node_ = *patched;
  last_report_ = clock_->Monotonic();
  RecordConditionEvents(previous, status);
  return Ok();
}

void NodeReporter::RecordConditionEvents(const Json& previous_status, const Json& status) {
  if (!options_.record_event) return;
  for (const auto& reason : ConditionEventReasons(previous_status, status)) {
    options_.record_event(reason, "Node " + facts_.name + " status is now: " + reason);
  }
}

Status NodeReporter::RenewLease() {
  std::string now = FormatMicroTime(clock_->Now());
  auto lease = api_->Get(res::kLeases, "kube-node-lease", facts_.name);
  if (lease) {
    Json next = *lease;
    next["spec"]["holderIdentity"] = facts_.name;
    next["spec"]["leaseDurationSeconds"] = options_.lease_duration_seconds;
    next["spec"]["renewTime"] = now;
    auto updated = api_->Update(res::kLeases, "kube-node-lease", facts_.name, next, "");
    if (!updated) return std::unexpected(updated.error());
    return Ok();
  }
  if (lease.error().code() != Code::kNotFound) return std::unexpected(lease.error());
  Json meta = {{"name", facts_.name}, {"namespace", "kube-node-lease"}};
  std::string uid = node_.is_object() ? node_["metadata"].value("uid", "") : "";
  if (!uid.empty()) {
    meta["ownerReferences"] = Json::array(
        {{{"apiVersion", "v1"}, {"kind", "Node"}, {"name", facts_.name}, {"uid", uid}}});
  }
  Json created = {{"apiVersion", "coordination.k8s.io/v1"},
                  {"kind", "Lease"},
                  {"metadata", meta},
                  {"spec",
                   {{"holderIdentity", facts_.name},
                    {"leaseDurationSeconds", options_.lease_duration_seconds},
                    {"renewTime", now}}}};
  auto result = api_->Create(res::kLeases, "kube-node-lease", created);
  if (!result) return std::unexpected(result.error());
  return Ok();
}

}  // namespace capstan::kubelet::nodestatus
