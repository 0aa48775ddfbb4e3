#include "integration/fakenode/fake_node_agent.h"

#include <fmt/format.h>

#include <set>

#include "common/log.h"
#include "control-plane/controllers/controller.h"
#include "control-plane/controllers/pod_util.h"

namespace capstan::integration {
namespace {

namespace client = api::k8s::client;
namespace res = client::resources;
const log::Logger kLog("fake-nodes");
// The controllers' JSON accessors: a missing field reads as null, a non-string as "".
using control_plane::controllers::Field;
using control_plane::controllers::KeyOf;
using control_plane::controllers::SplitKey;
using control_plane::controllers::StringOf;

Json Condition(const char* type, const char* status, const std::string& now,
               const char* reason = nullptr) {
  Json c = {{"type", type}, {"status", status}, {"lastTransitionTime", now}};
  if (reason) c["reason"] = reason;
  return c;
}

// The first readiness gate whose condition is not True, or "" when all are (as the kubelet
// judges a running pod: Ready needs its containers ready and every gate's condition True).
std::string UnmetReadinessGate(const Json& pod) {
  for (const auto& gate : Field(pod, {"spec", "readinessGates"})) {
    std::string type = StringOf(Field(gate, {"conditionType"}));
    bool met = false;
    for (const auto& c : Field(pod, {"status", "conditions"})) {
      if (StringOf(Field(c, {"type"})) == type) met = StringOf(Field(c, {"status"})) == "True";
    }
    if (!met) return type;
  }
  return "";
}

Json ReadyCondition(const Json& pod, const std::string& now) {
  std::string gate = UnmetReadinessGate(pod);
  if (gate.empty()) return Condition("Ready", "True", now);
  Json c = Condition("Ready", "False", now, "ReadinessGatesNotReady");
  c["message"] = fmt::format("the status of pod readiness gate \"{}\" is not \"True\"", gate);
  return c;
}

// Conditions the kubelet does not own (readiness gates' ones), kept when it writes its own.
Json ForeignConditions(const Json& status) {
  static const std::set<std::string> kKubelets = {"Initialized", "Ready", "ContainersReady",
                                                  "PodScheduled"};
  Json out = Json::array();
  for (const auto& c : Field(status, {"conditions"})) {
    if (!kKubelets.contains(StringOf(Field(c, {"type"})))) out.push_back(c);
  }
  return out;
}

}  // namespace

FakeNodeAgent::FakeNodeAgent(client::ApiClient* api, client::ApiClient* watch_api,
                             FakeNodeOptions options)
    : api_(api),
      options_(std::move(options)),
      nodes_(watch_api, res::kNodes, "", {}),
      pods_(watch_api, res::kPods, "", {}) {
  for (int i = 0; i < options_.count; ++i) node_index_[NodeName(i)] = options_.first_index + i;
  auto on_pod = [this](const Json& pod) {
    if (node_index_.count(StringOf(Field(pod, {"spec", "nodeName"})))) queue_.Add(KeyOf(pod));
  };
  pods_.AddEventHandler({on_pod, [on_pod](const Json&, const Json& p) { on_pod(p); }, {}});
  // A node that speaks again picks its pods up.
  nodes_.AddEventHandler(
      {{},
       [this](const Json& old_node, const Json& node) {
         std::string name = StringOf(Field(node, {"metadata", "name"}));
         if (!node_index_.count(name) || Silent(name)) return;
         if (StringOf(Field(old_node, {"metadata", "annotations", kSilentAnnotation})) != "true")
           return;
         pods_.ForEach([&](const Json& pod) {
           if (StringOf(Field(pod, {"spec", "nodeName"})) == name) queue_.Add(KeyOf(pod));
         });
       },
       {}});
}

FakeNodeAgent::~FakeNodeAgent() { Stop(); }

std::string FakeNodeAgent::NodeName(int i) const {
  return options_.prefix + std::to_string(options_.first_index + i);
}

Json FakeNodeAgent::NodeObject(int i) const {
  std::string name = NodeName(i);
  std::string now = FormatRfc3339(clock_.Now());
  Json labels = {{"kubernetes.io/hostname", name},
                 {"kubernetes.io/os", "linux"},
                 {"kubernetes.io/arch", "amd64"},
                 {"fake.capstan.dev/node", "true"}};
  for (const auto& [k, v] : options_.labels) labels[k] = v;
  Json resources = {{"cpu", options_.cpu},
                    {"memory", options_.memory},
                    {"pods", options_.pods},
                    {"ephemeral-storage", "100Gi"}};
  int index = options_.first_index + i;
  Json ready = {{"type", "Ready"},          {"status", "True"},
                {"reason", "KubeletReady"}, {"message", "kubelet is posting ready status"},
                {"lastHeartbeatTime", now}, {"lastTransitionTime", now}};
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata", {{"name", name}, {"labels", labels}}},
          {"spec", {{"podCIDR", fmt::format("10.{}.{}.0/24", 128 + index / 256, index % 256)}}},
          {"status",
           {{"capacity", resources},
            {"allocatable", resources},
            {"conditions", {ready}},
            {"addresses",
             {{{"type", "InternalIP"}, {"address", fmt::format("192.0.2.{}", index % 250 + 1)}},
              {{"type", "Hostname"}, {"address", name}}}},
            {"nodeInfo",
             {{"kubeletVersion", "v1.33.0-fake"},
              {"containerRuntimeVersion", "fake://0"},
              {"osImage", "capstan fake node"},
              {"kernelVersion", "0"},
              {"operatingSystem", "linux"},
              {"architecture", "amd64"}}}}}};
}

Status FakeNodeAgent::Register(int i) {
  Json node = NodeObject(i);
  std::string name = NodeName(i);
  auto created = api_->Create(res::kNodes, "", node);
  if (!created && created.error().code() != Code::kAlreadyExists) return Fail(created.error());
  // The API server drops status on create, as for any object with a status subresource.
  auto current = api_->Get(res::kNodes, "", name);
  if (!current) return Fail(current.error());
  Json updated = *current;
  updated["status"] = node["status"];
  if (auto st = api_->Update(res::kNodes, "", name, updated, "status"); !st)
    return Fail(st.error());
  return Ok();
}

bool FakeNodeAgent::Silent(const std::string& node) const {
  auto n = nodes_.Get("", node);
  return n && StringOf(Field(*n, {"metadata", "annotations", kSilentAnnotation})) == "true";
}

void FakeNodeAgent::RenewLeases() {
  std::string now = FormatMicroTime(clock_.Now());
  for (const auto& [name, index] : node_index_) {
    if (Silent(name)) continue;
    Json lease = {
        {"apiVersion", "coordination.k8s.io/v1"},
        {"kind", "Lease"},
        {"metadata", {{"name", name}, {"namespace", "kube-node-lease"}}},
        {"spec", {{"holderIdentity", name}, {"leaseDurationSeconds", 40}, {"renewTime", now}}}};
    auto updated = api_->Update(res::kLeases, "kube-node-lease", name, lease, "");
    if (!updated && updated.error().code() == Code::kNotFound) {
      updated = api_->Create(res::kLeases, "kube-node-lease", lease);
    }
    if (!updated) kLog.Warn("lease", {{"node", name}, {"error", updated.error().message()}});
    // Back to Ready if the node lifecycle controller gave up on it while it was silent.
    auto node = nodes_.Get("", name);
    if (!node) continue;
    for (const auto& c : Field(*node, {"status", "conditions"})) {
      if (StringOf(c["type"]) != "Ready" || StringOf(c["status"]) == "True") continue;
      Json fresh = NodeObject(index - options_.first_index);
      Json patch = {{"status", {{"conditions", fresh["status"]["conditions"]}}}};
      auto patched = api_->Patch(res::kNodes, "", name, client::PatchType::kMerge, patch, "status");
      if (!patched)
        kLog.Warn("node status", {{"node", name}, {"error", patched.error().message()}});
    }
  }
}

std::string FakeNodeAgent::PodIp(const std::string& node) {
  int index = node_index_.at(node);
  std::lock_guard<std::mutex> lock(ips_mu_);
  int n = next_ip_[node]++ % 252 + 2;
  return fmt::format("10.{}.{}.{}", 128 + index / 256, index % 256, n);
}

void FakeNodeAgent::SyncPod(const std::string& key) {
  auto [pod_ns, pod_name] = SplitKey(key);
  auto pod = pods_.Get(pod_ns, pod_name);
  if (!pod) return;
  std::string node = StringOf(Field(*pod, {"spec", "nodeName"}));
  if (!node_index_.count(node) || Silent(node)) return;
  std::string ns = StringOf(Field(*pod, {"metadata", "namespace"}));
  std::string name = StringOf(Field(*pod, {"metadata", "name"}));

  if (Field(*pod, {"metadata", "deletionTimestamp"}).is_string()) {
    Status st = api_->Delete(res::kPods, ns, name, 0);
    if (!st && st.error().code() != Code::kNotFound) queue_.AddRateLimited(key);
    return;
  }
  std::string phase = StringOf(Field(*pod, {"status", "phase"}));
  if (phase == "Succeeded" || phase == "Failed") return;
  std::string restart = StringOf(Field(*pod, {"spec", "restartPolicy"}));
  bool ends = restart == "Never" || restart == "OnFailure";
  std::string now = FormatRfc3339(clock_.Now());
  Json status = (*pod)["status"].is_object() ? (*pod)["status"] : Json::object();
  Json foreign = ForeignConditions(status);

  if (phase == "Running" && !ends) {
    // Only a readiness gate can change a long-running pod's readiness here.
    Json ready = ReadyCondition(*pod, now);
    bool changed = false;
    for (auto& c : status["conditions"]) {
      if (StringOf(c["type"]) != "Ready" || c["status"] == ready["status"]) continue;
      c = ready;
      changed = true;
    }
    if (!changed) return;
  } else if (phase == "Running") {
    auto started = std::chrono::system_clock::now() - options_.run_time;
    std::string start_time = StringOf(status["startTime"]);
    if (!start_time.empty() && start_time > FormatRfc3339(started)) {
      queue_.AddAfter(key, std::chrono::milliseconds(200));
      return;
    }
    std::string code_text = StringOf(Field(*pod, {"metadata", "annotations", kExitCodeAnnotation}));
    int code = code_text.empty() ? 0 : std::atoi(code_text.c_str());
    status["phase"] = code == 0 ? "Succeeded" : "Failed";
    status["conditions"] = {Condition("Initialized", "True", now),
                            Condition("Ready", "False", now, "PodCompleted"),
                            Condition("ContainersReady", "False", now, "PodCompleted"),
                            Condition("PodScheduled", "True", now)};
    for (const auto& c : foreign) status["conditions"].push_back(c);
    if (!status["containerStatuses"].is_array()) status["containerStatuses"] = Json::array();
    for (auto& c : status["containerStatuses"]) {
      c["ready"] = false;
      c["started"] = false;
      c["state"] = {{"terminated",
                     {{"exitCode", code},
                      {"reason", code == 0 ? "Completed" : "Error"},
                      {"startedAt", start_time},
                      {"finishedAt", now}}}};
    }
  } else {
    status["phase"] = "Running";
    status["hostIP"] = "192.0.2." + std::to_string(node_index_.at(node) % 250 + 1);
    std::string ip = PodIp(node);
    status["podIP"] = ip;
    status["podIPs"] = {{{"ip", ip}}};
    status["startTime"] = now;
    status["conditions"] = {Condition("Initialized", "True", now), ReadyCondition(*pod, now),
                            Condition("ContainersReady", "True", now),
                            Condition("PodScheduled", "True", now)};
    for (const auto& c : foreign) status["conditions"].push_back(c);
    status["containerStatuses"] = Json::array();
    for (const auto& c : Field(*pod, {"spec", "containers"})) {
      status["containerStatuses"].push_back(
          {{"name", c["name"]},
           {"image", c["image"]},
           {"imageID", ""},
           {"containerID",
            "fake://" + StringOf(Field(*pod, {"metadata", "uid"})) + "-" + StringOf(c["name"])},
           {"ready", true},
           {"started", true},
           {"restartCount", 0},
           {"state", {{"running", {{"startedAt", now}}}}}});
    }
    if (ends) queue_.AddAfter(key, options_.run_time);
  }
  Json updated = *pod;
  updated["status"] = status;
  auto written = api_->Update(res::kPods, ns, name, updated, "status");
  if (!written && written.error().code() != Code::kNotFound) queue_.AddRateLimited(key);
}

Status FakeNodeAgent::Start() {
  for (int i = 0; i < options_.count; ++i) {
    if (Status st = Register(i); !st) return st;
  }
  nodes_.Start();
  pods_.Start();
  RenewLeases();
  threads_.emplace_back([this] {
    auto next = std::chrono::steady_clock::now();
    while (!stopping_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (std::chrono::steady_clock::now() < next) continue;
      RenewLeases();
      next = std::chrono::steady_clock::now() + options_.lease_renew_interval;
    }
  });
  for (int w = 0; w < 4; ++w) {
    threads_.emplace_back([this] {
      while (auto key = queue_.Get()) {
        SyncPod(*key);
        queue_.Done(*key);
      }
    });
  }
  kLog.Info("fake nodes up", {{"count", options_.count}, {"prefix", options_.prefix}});
  return Ok();
}

void FakeNodeAgent::Stop() {
  if (stopping_.exchange(true)) return;
  queue_.ShutDown();
  nodes_.Stop();
  pods_.Stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

}  // namespace capstan::integration
