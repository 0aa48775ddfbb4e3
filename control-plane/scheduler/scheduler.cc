#include "control-plane/scheduler/scheduler.h"

#include <fmt/format.h>

#include "api/k8s/codec.h"
#include "api/k8s/labels.h"
#include "api/k8s/meta.h"
#include "common/log.h"
#include "control-plane/scheduler/schedule_pod.h"

namespace capstan::control_plane::scheduler {
namespace {

namespace client = api::k8s::client;
const log::Logger kLog("scheduler");

const Json& Meta(const Json& o) {
  static const Json kEmpty = Json::object();
  auto it = o.find("metadata");
  return it != o.end() && it->is_object() ? *it : kEmpty;
}

std::string KeyOf(const Json& o) {
  return Meta(o).value("namespace", "") + "/" + Meta(o).value("name", "");
}

// A string field of spec ("" when absent or not a string).
std::string SpecString(const Json& pod, const char* field) {
  auto spec = pod.find("spec");
  if (spec == pod.end() || !spec->is_object()) return "";
  auto it = spec->find(field);
  return it != spec->end() && it->is_string() ? it->get<std::string>() : "";
}

std::string NodeNameOf(const Json& pod) { return SpecString(pod, "nodeName"); }

// What about a node can let a waiting pod fit (not its heartbeats).
Json SchedulingRelevant(const Json& node) {
  Json out = Json::object();
  if (auto meta = node.find("metadata"); meta != node.end() && meta->is_object()) {
    out["labels"] = meta->value("labels", Json());
  }
  if (auto spec = node.find("spec"); spec != node.end() && spec->is_object()) {
    out["taints"] = spec->value("taints", Json());
    out["unschedulable"] = spec->value("unschedulable", Json());
  }
  if (auto status = node.find("status"); status != node.end() && status->is_object()) {
    out["allocatable"] = status->value("allocatable", Json());
  }
  return out;
}

bool Terminal(const Json& pod) {
  auto status = pod.find("status");
  if (status == pod.end() || !status->is_object()) return false;
  std::string phase = status->value("phase", "");
  return phase == "Succeeded" || phase == "Failed";
}

// Whether an update changed more than status and bookkeeping (a status update, such as the
// scheduler's own PodScheduled condition, gives an unschedulable pod no new chance).
bool SpecOrMetaChanged(Json old_pod, Json pod) {
  for (Json* p : {&old_pod, &pod}) {
    p->erase("status");
    if (auto meta = p->find("metadata"); meta != p->end() && meta->is_object()) {
      meta->erase("resourceVersion");
      meta->erase("managedFields");
      meta->erase("generation");
    }
  }
  return old_pod != pod;
}

bool Deleting(const Json& pod) { return Meta(pod).contains("deletionTimestamp"); }

bool SameLabels(const api::k8s::StringMap& counted, const Json& pod) {
  auto labels = Meta(pod).find("labels");
  if (labels == Meta(pod).end() || !labels->is_object()) return counted.empty();
  if (labels->size() != counted.size()) return false;
  for (const auto& [k, v] : labels->items()) {
    auto it = counted.find(k);
    if (it == counted.end() || !v.is_string() || v.get_ref<const std::string&>() != it->second) {
      return false;
    }
  }
  return true;
}

}  // namespace

Scheduler::Scheduler(client::ApiClient* api, const Clock* clock, std::string name)
    : api_(api),
      clock_(clock),
      name_(std::move(name)),
      plugins_(DefaultPlugins()),
      queue_(clock),
      events_(api, clock, name_),
      pods_(api, client::resources::kPods, "", {}),
      nodes_(api, client::resources::kNodes, "", {}),
      budgets_(api, client::resources::kPodDisruptionBudgets, "", {}),
      claims_(api, client::resources::kPersistentVolumeClaims, "", {}),
      volumes_(api, client::resources::kPersistentVolumes, "", {}),
      classes_(api, client::resources::kStorageClasses, "", {}) {
  VolumeListers listers{
      [this](const std::string& ns, const std::string& name) { return claims_.Get(ns, name); },
      [this](const std::string& name) { return volumes_.Get("", name); },
      [this] { return volumes_.List(); },
      [this](const std::string& name) -> std::optional<Json> {
        if (name.empty()) return std::nullopt;
        return classes_.Get("", name);
      }};
  auto volume_binding = std::make_unique<VolumeBindingPlugin>(std::move(listers));
  volume_binding_ = volume_binding.get();
  plugins_.push_back(std::move(volume_binding));
  // A claim that appears or binds, or a volume that appears or frees up, may let a waiting
  // pod go.
  auto storage_changed = [this](const Json&) { queue_.MoveAllToActiveOrBackoff(); };
  for (auto* informer : {&claims_, &volumes_}) {
    informer->AddEventHandler(
        {storage_changed,
         [storage_changed](const Json&, const Json& o) { storage_changed(o); },
         {}});
  }
  // A new node, or a node whose labels, taints, cordon or allocatable changed, may let a
  // waiting pod fit; its heartbeats do not.
  auto set_node = [this](const Json& node) {
    std::lock_guard lock(mu_);
    if (!cache_.SetNode(node)) return;
    // Pods seen bound before their node was: counted now.
    std::string name = Meta(node).value("name", "");
    for (const auto& [key, counted] : counted_) {
      if (counted.node == name) cache_.AddUsage(counted.usage, name);
    }
  };
  nodes_.AddEventHandler({[this, set_node](const Json& node) {
                            set_node(node);
                            queue_.MoveAllToActiveOrBackoff();
                          },
                          [this, set_node](const Json& old_node, const Json& node) {
                            bool relevant =
                                SchedulingRelevant(old_node) != SchedulingRelevant(node);
                            if (relevant) set_node(node);
                            if (relevant) queue_.MoveAllToActiveOrBackoff();
                          },
                          [this](const Json& node) {
                            std::lock_guard lock(mu_);
                            cache_.RemoveNode(Meta(node).value("name", ""));
                          }});
  pods_.AddEventHandler({[this](const Json& p) { OnPodAdd(p); },
                         [this](const Json& o, const Json& p) { OnPodUpdate(o, p); },
                         [this](const Json& p) { OnPodDelete(p); }});
}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() {
  pods_.Start();
  nodes_.Start();
  budgets_.Start();
  claims_.Start();
  volumes_.Start();
  classes_.Start();
  thread_ = std::thread([this] {
    while (auto key = queue_.Pop()) {
      try {
        ScheduleOne(*key);
      } catch (const std::exception& e) {
        // A malformed pod fails its attempt, not the scheduler.
        kLog.Warn("scheduling attempt failed", {{"pod", *key}, {"error", e.what()}});
        queue_.Done(*key, SchedulingQueue::Outcome::kError);
      }
    }
  });
  kLog.Info("scheduler started", {{"name", name_}});
}

void Scheduler::Stop() {
  queue_.Close();
  pods_.Stop();
  nodes_.Stop();
  budgets_.Stop();
  claims_.Stop();
  volumes_.Stop();
  classes_.Stop();
  if (thread_.joinable()) thread_.join();
}

bool Scheduler::Responsible(const Json& pod) const {
  std::string wanted = SpecString(pod, "schedulerName");
  return wanted.empty() || wanted == name_;
}

void Scheduler::OnPodAdd(const Json& pod) {
  {
    std::lock_guard lock(mu_);
    Recount(pod);
    TrackNomination(pod);
  }
  if (!NodeNameOf(pod).empty()) return;
  if (!Responsible(pod) || Terminal(pod) || Deleting(pod)) return;
  int32_t priority = 0;
  if (auto spec = pod.find("spec"); spec != pod.end() && spec->is_object()) {
    if (auto p = spec->find("priority"); p != spec->end() && p->is_number_integer()) {
      priority = p->get<int32_t>();
    }
  }
  WallTime created{};
  if (auto t = api::k8s::ParseTime(Meta(pod).value("creationTimestamp", ""))) created = *t;
  queue_.Add(KeyOf(pod), priority, created);
}

void Scheduler::OnPodUpdate(const Json& old_pod, const Json& pod) {
  {
    std::lock_guard lock(mu_);
    Recount(pod);
    TrackNomination(pod);
  }
  bool was_assigned = !NodeNameOf(old_pod).empty();
  bool assigned = !NodeNameOf(pod).empty();
  if (assigned) {
    if (!was_assigned) queue_.Delete(KeyOf(pod));  // bound (by us, or by someone else)
    // A pod that ended or is going frees what it held.
    if ((Terminal(pod) && !Terminal(old_pod)) || (Deleting(pod) && !Deleting(old_pod))) {
      queue_.MoveAllToActiveOrBackoff();
    }
    return;
  }
  if (Terminal(pod) || Deleting(pod) || !Responsible(pod)) {
    queue_.Delete(KeyOf(pod));
    return;
  }
  if (SpecOrMetaChanged(old_pod, pod)) OnPodAdd(pod);
}

void Scheduler::Recount(const Json& pod) {
  std::string key = KeyOf(pod);
  std::string node = NodeNameOf(pod);
  if (!node.empty()) {
    assumed_.erase(key);  // seen bound
  } else if (auto a = assumed_.find(key); a != assumed_.end()) {
    node = a->second;  // bound by us a moment ago; the informer has not shown it yet
  }
  bool counts = !node.empty() && !Terminal(pod);
  auto it = counted_.find(key);
  // A bound pod's requests do not change: its node, its end, its labels (for affinity and
  // spreading) and its deletion do.
  if (it != counted_.end() && counts && it->second.node == node &&
      it->second.usage.placed.terminating == Deleting(pod) &&
      SameLabels(it->second.usage.placed.labels, pod)) {
    return;
  }
  if (it != counted_.end()) Uncount(key);
  if (!counts) return;
  const auto* decoded = Decoded(pod);
  if (!decoded) return;
  Counted entry{node, UsageOf(*decoded)};
  cache_.AddUsage(entry.usage, node);
  counted_[key] = std::move(entry);
  decoded_.erase(key);  // scheduled: no longer needed
}

void Scheduler::Uncount(const std::string& key) {
  auto it = counted_.find(key);
  if (it == counted_.end()) return;
  cache_.RemoveUsage(it->second.usage, it->second.node);
  counted_.erase(it);
}

void Scheduler::TrackNomination(const Json& pod) {
  std::string key = KeyOf(pod);
  std::string node;
  if (auto status = pod.find("status"); status != pod.end() && status->is_object()) {
    if (auto n = status->find("nominatedNodeName"); n != status->end() && n->is_string()) {
      node = n->get<std::string>();
    }
  }
  bool waiting = NodeNameOf(pod).empty() && !assumed_.count(key) && !Terminal(pod) &&
                 !Deleting(pod) && Responsible(pod);
  if (!waiting) {
    nominated_.erase(key);
    nominating_.erase(key);
    return;
  }
  if (auto own = nominating_.find(key); own != nominating_.end()) {
    if (node != own->second) return;  // our patch is not shown yet: keep what we set
    nominating_.erase(own);
  }
  if (node.empty()) {
    nominated_.erase(key);
    return;
  }
  if (auto it = nominated_.find(key); it != nominated_.end() && it->second.first == node) return;
  if (const auto* decoded = Decoded(pod)) nominated_[key] = {node, UsageOf(*decoded)};
}

std::vector<DisruptionBudget> Scheduler::Budgets() const {
  std::vector<DisruptionBudget> out;
  budgets_.ForEach([&](const Json& pdb) {
    auto spec = pdb.find("spec");
    if (spec == pdb.end() || !spec->is_object()) return;
    auto selector = api::k8s::LabelSelector::FromJson(spec->value("selector", Json()));
    if (!selector) return;
    int32_t allowed = 0;
    std::set<std::string> disrupted;
    if (auto status = pdb.find("status"); status != pdb.end() && status->is_object()) {
      if (auto a = status->find("disruptionsAllowed");
          a != status->end() && a->is_number_integer()) {
        allowed = a->get<int32_t>();
      }
      if (auto d = status->find("disruptedPods"); d != status->end() && d->is_object()) {
        for (const auto& [name, when] : d->items()) disrupted.insert(name);
      }
    }
    out.push_back(
        {Meta(pdb).value("namespace", ""), std::move(*selector), allowed, std::move(disrupted)});
  });
  return out;
}

std::string Scheduler::UnreadyClaims(const api::k8s::Pod& pod) const {
  for (const auto& v : pod.spec.volumes) {
    const std::string name = api::k8s::ClaimNameOf(pod, v);
    if (name.empty()) continue;
    auto claim = claims_.Get(pod.metadata.namespace_, name);
    if (!claim && v.ephemeral) {
      return fmt::format(
          "waiting for ephemeral volume controller to create the "
          "persistentvolumeclaim \"{}\"",
          name);
    }
    if (!claim) return fmt::format("persistentvolumeclaim \"{}\" not found", name);
    if (Meta(*claim).contains("deletionTimestamp")) {
      return fmt::format("persistentvolumeclaim \"{}\" is being deleted", name);
    }
    auto spec_string = [&](const char* field) {
      auto spec = claim->find("spec");
      if (spec == claim->end() || !spec->is_object()) return std::string();
      auto f = spec->find(field);
      return f != spec->end() && f->is_string() ? f->get<std::string>() : std::string();
    };
    if (!spec_string("volumeName").empty()) continue;  // bound
    // A claim of a WaitForFirstConsumer class binds once the pod is placed (VolumeBinding).
    std::string cls = spec_string("storageClassName");
    auto sc = cls.empty() ? std::nullopt : classes_.Get("", cls);
    bool delayed = sc && sc->is_object() && sc->contains("volumeBindingMode") &&
                   (*sc)["volumeBindingMode"] == Json("WaitForFirstConsumer");
    if (!delayed) return "pod has unbound immediate PersistentVolumeClaims";
  }
  return "";
}

void Scheduler::OnPodDelete(const Json& pod) {
  std::string key = KeyOf(pod);
  queue_.Delete(key);
  bool held_a_node = !NodeNameOf(pod).empty();
  {
    std::lock_guard lock(mu_);
    held_a_node = assumed_.erase(key) > 0 || held_a_node;    // bound by us, not seen so yet
    held_a_node = nominated_.erase(key) > 0 || held_a_node;  // room kept for it is free
    nominating_.erase(key);
    Uncount(key);
    decoded_.erase(key);
  }
  if (held_a_node) queue_.MoveAllToActiveOrBackoff();
}

bool Scheduler::ScheduleNext() {
  auto key = queue_.TryPop();
  if (!key) return false;
  ScheduleOne(*key);
  return true;
}

const api::k8s::Pod* Scheduler::Decoded(const Json& pod) {
  std::string key = KeyOf(pod);
  std::string rv = Meta(pod).value("resourceVersion", "");
  auto it = decoded_.find(key);
  if (it != decoded_.end() && it->second.first == rv) return &it->second.second;
  auto decoded = api::k8s::DecodePod(pod);
  if (!decoded) {
    kLog.Warn("pod does not decode", {{"pod", key}, {"error", decoded.error().message()}});
    decoded_.erase(key);
    return nullptr;
  }
  auto& slot = decoded_[key];
  slot = {rv, std::move(*decoded)};
  return &slot.second;
}

void Scheduler::ScheduleOne(const std::string& key) {
  auto slash = key.find('/');
  auto object = pods_.Get(key.substr(0, slash), key.substr(slash + 1));
  if (!object || !NodeNameOf(*object).empty() || Deleting(*object) || Terminal(*object) ||
      !Responsible(*object)) {
    queue_.Done(key, SchedulingQueue::Outcome::kScheduled);
    return;
  }
  api::k8s::Pod pod;
  ScheduleResult result;
  auto budgets = Budgets();
  std::optional<VolumeAssignment> assignment;
  {
    // The informers wait while a cycle reads the cache.
    std::lock_guard lock(mu_);
    const auto* decoded = Decoded(*object);
    if (!decoded) {
      queue_.Done(key, SchedulingQueue::Outcome::kError);
      return;
    }
    pod = *decoded;
    // Our own nomination counts before the informer shows it.
    if (auto it = nominated_.find(key); it != nominated_.end()) {
      pod.status.nominated_node_name = it->second.first;
    }
    NominatedPods nominated;
    for (const auto& [other, where] : nominated_) {
      if (other != key) nominated[where.first].push_back(where.second);
    }
    if (std::string why = UnreadyClaims(pod); !why.empty()) {
      // As upstream's PreFilter rejection: no node is looked at, and preemption cannot help.
      size_t n = cache_.nodes().size();
      result.message = fmt::format(
          "0/{} nodes are available: {}. preemption: 0/{} nodes are available: {} "
          "Preemption is not helpful for scheduling.",
          n, why, n, n);
    } else {
      result = SchedulePod(pod, cache_, plugins_, rng_, nominated, budgets);
    }
    if (!result.preemption.node.empty()) {
      nominated_[key] = {result.preemption.node, UsageOf(pod)};
      nominating_[key] = result.preemption.node;
    }
    if (!result.node.empty()) {
      for (const auto& node : cache_.nodes()) {
        if (node.info.name == result.node) assignment = volume_binding_->Assign(pod, node);
      }
      // The node was chosen on what Filter saw; volumes taken since leave nothing to bind.
      nominated_.erase(key);
      nominating_.erase(key);
      // Counted from now on, before the informer shows the binding.
      assumed_[key] = result.node;
      Uncount(key);
      Counted entry{result.node, UsageOf(pod)};
      cache_.AddUsage(entry.usage, result.node);
      counted_[key] = std::move(entry);
    }
  }
  if (result.node.empty()) {
    kLog.Info("unable to schedule pod", {{"pod", key}, {"reason", result.message}});
    if (!result.preemption.node.empty()) Preempt(pod, result.preemption);
    RecordFailure(pod, result.message, result.preemption.node);
    queue_.Done(key, SchedulingQueue::Outcome::kUnschedulable);
    return;
  }
  Status bound = assignment ? BindVolumes(*assignment, result.node)
                            : Fail(Code::kUnavailable, "the volumes chosen for the pod changed");
  if (bound) bound = Bind(pod, result.node);
  if (!bound) {
    {
      std::lock_guard lock(mu_);
      if (assumed_.erase(key) > 0) Uncount(key);
    }
    kLog.Warn("binding failed",
              {{"pod", key}, {"node", result.node}, {"error", bound.error().message()}});
    if (bound.error().code() == Code::kNotFound) {
      queue_.Done(key, SchedulingQueue::Outcome::kScheduled);  // gone meanwhile
      return;
    }
    Event(pod, "Warning", "FailedScheduling", "Binding rejected: " + bound.error().message());
    queue_.Done(key, SchedulingQueue::Outcome::kError);
    return;
  }
  Event(pod, "Normal", "Scheduled",
        fmt::format("Successfully assigned {}/{} to {}", pod.metadata.namespace_, pod.metadata.name,
                    result.node));
  queue_.Done(key, SchedulingQueue::Outcome::kScheduled);
}

Status Scheduler::BindVolumes(const VolumeAssignment& assignment, const std::string& node) {
  std::vector<Json> reserved_so_far;  // undone if a later write fails
  auto undo = [&] {
    for (auto& volume : reserved_so_far) {
      volume["spec"].erase("claimRef");
      auto undone = api_->Update(client::resources::kPersistentVolumes, "",
                                 Meta(volume).value("name", ""), volume);
      if (!undone) {
        kLog.Warn("releasing a reserved volume", {{"volume", Meta(volume).value("name", "")},
                                                  {"error", undone.error().message()}});
      }
    }
  };
  for (const auto& [volume, claim] : assignment.reserve) {
    // An update at the cached resourceVersion: a volume another claim took meanwhile fails
    // the attempt, which is retried.
    Json reserved = volume;
    const Json& meta = Meta(claim);
    reserved["spec"]["claimRef"] = {{"kind", "PersistentVolumeClaim"},
                                    {"apiVersion", "v1"},
                                    {"namespace", meta.value("namespace", "")},
                                    {"name", meta.value("name", "")},
                                    {"uid", meta.value("uid", "")},
                                    {"resourceVersion", meta.value("resourceVersion", "")}};
    if (!reserved["metadata"]["annotations"].is_object()) {
      reserved["metadata"]["annotations"] = Json::object();
    }
    reserved["metadata"]["annotations"]["pv.kubernetes.io/bound-by-controller"] = "yes";
    auto updated = api_->Update(client::resources::kPersistentVolumes, "",
                                Meta(volume).value("name", ""), reserved);
    if (!updated) {
      undo();
      return Fail(updated.error());
    }
    reserved_so_far.push_back(std::move(*updated));
  }
  for (const auto& claim : assignment.provision) {
    auto patched = api_->Patch(
        client::resources::kPersistentVolumeClaims, Meta(claim).value("namespace", ""),
        Meta(claim).value("name", ""), client::PatchType::kMerge,
        {{"metadata", {{"annotations", {{"volume.kubernetes.io/selected-node", node}}}}}});
    if (!patched) {
      undo();
      return Fail(patched.error());
    }
  }
  return Ok();
}

Status Scheduler::Bind(const api::k8s::Pod& pod, const std::string& node) {
  Json binding = {{"apiVersion", "v1"},
                  {"kind", "Binding"},
                  {"metadata",
                   {{"name", pod.metadata.name},
                    {"namespace", pod.metadata.namespace_},
                    {"uid", pod.metadata.uid}}},
                  {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node}}}};
  auto done = api_->CreateSubresource(client::resources::kPods, pod.metadata.namespace_,
                                      pod.metadata.name, "binding", binding);
  if (!done) return Fail(done.error());
  return Ok();
}

void Scheduler::Preempt(const api::k8s::Pod& pod, const PreemptionPlan& plan) {
  for (size_t i = 0; i < plan.victims.size(); ++i) {
    const std::string& victim = plan.victims[i];
    auto slash = victim.find('/');
    std::string ns = victim.substr(0, slash), name = victim.substr(slash + 1);
    // DisruptionTarget, so the pod's owner and `describe` can tell why it went.
    Json condition = {{"type", "DisruptionTarget"},
                      {"status", "True"},
                      {"reason", "PreemptionByScheduler"},
                      {"message", name_ + ": preempting to accommodate a higher priority pod"},
                      {"lastTransitionTime", api::k8s::FormatTime(clock_->Now())}};
    auto marked = api_->Patch(client::resources::kPods, ns, name, client::PatchType::kStrategic,
                              {{"status", {{"conditions", Json::array({condition})}}}}, "status");
    if (!marked && marked.error().code() == Code::kNotFound) continue;  // gone already
    auto deleted = api_->Delete(client::resources::kPods, ns, name);
    if (!deleted && deleted.error().code() != Code::kNotFound) {
      kLog.Warn("preempting pod", {{"pod", victim}, {"error", deleted.error().message()}});
      continue;
    }
    kLog.Info("preempted pod", {{"preemptor", pod.metadata.namespace_ + "/" + pod.metadata.name},
                                {"victim", victim},
                                {"node", plan.node}});
    events_.Record(
        {{"apiVersion", "v1"},
         {"kind", "Pod"},
         {"metadata", {{"name", name}, {"namespace", ns}, {"uid", plan.victim_uids[i]}}}},
        "Normal", "Preempted",
        fmt::format("Preempted by pod {} on node {}", pod.metadata.uid, plan.node));
  }
  // Lower-priority pods nominated to the node may no longer fit there: they look again.
  std::vector<std::string> displaced;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, where] : nominated_) {
      if (where.first == plan.node &&
          where.second.placed.priority < pod.spec.priority.value_or(0)) {
        displaced.push_back(key);
      }
    }
    for (const auto& key : displaced) {
      nominated_.erase(key);
      nominating_.erase(key);
    }
  }
  for (const auto& key : displaced) {
    auto slash = key.find('/');
    auto cleared = api_->Patch(client::resources::kPods, key.substr(0, slash),
                               key.substr(slash + 1), client::PatchType::kMerge,
                               {{"status", {{"nominatedNodeName", nullptr}}}}, "status");
    if (!cleared) {
      kLog.Warn("clearing nomination", {{"pod", key}, {"error", cleared.error().message()}});
    }
  }
}

void Scheduler::RecordFailure(const api::k8s::Pod& pod, const std::string& message,
                              const std::string& nominate) {
  Event(pod, "Warning", "FailedScheduling", message);
  // PodScheduled=False with the same words, as `kubectl describe pod` shows under Conditions.
  auto current = pods_.Get(pod.metadata.namespace_, pod.metadata.name);
  if (!current) return;
  Json conditions = Json::array();
  Json existing = Json::array();
  if (auto status = current->find("status"); status != current->end() && status->is_object()) {
    existing = status->value("conditions", Json::array());
  }
  for (const auto& c : existing) {
    if (!c.is_object()) continue;
    if (c.value("type", "") == "PodScheduled") {
      if (c.value("status", "") == "False" && c.value("message", "") == message &&
          nominate.empty()) {
        return;
      }
      continue;
    }
    conditions.push_back(c);
  }
  conditions.push_back({{"type", "PodScheduled"},
                        {"status", "False"},
                        {"reason", "Unschedulable"},
                        {"message", message},
                        {"lastProbeTime", nullptr},
                        {"lastTransitionTime", api::k8s::FormatTime(clock_->Now())}});
  Json status = {{"conditions", conditions}};
  if (!nominate.empty()) status["nominatedNodeName"] = nominate;
  auto patched = api_->Patch(client::resources::kPods, pod.metadata.namespace_, pod.metadata.name,
                             client::PatchType::kMerge, {{"status", status}}, "status");
  if (!patched) {
    kLog.Warn("updating PodScheduled",
              {{"pod", pod.metadata.name}, {"error", patched.error().message()}});
  }
}

void Scheduler::Event(const api::k8s::Pod& pod, const std::string& type, const std::string& reason,
                      const std::string& message) {
  events_.Record({{"apiVersion", "v1"},
                  {"kind", "Pod"},
                  {"metadata",
                   {{"name", pod.metadata.name},
                    {"namespace", pod.metadata.namespace_},
                    {"uid", pod.metadata.uid},
                    {"resourceVersion", pod.metadata.resource_version}}}},
                 type, reason, message);
}

}  // namespace capstan::control_plane::scheduler
