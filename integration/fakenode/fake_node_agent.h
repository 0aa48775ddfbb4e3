#pragma once
// FakeNodeAgent: Node objects with no machine behind them, for testing and benchmarking the
// scheduler and controllers at a scale one host cannot run (kubemark's hollow nodes, much
// smaller). For each of its nodes the agent does what a kubelet does for the API server:
//   - registers the Node (Ready, with the capacity given) and renews its Lease;
//   - reports a pod bound to it Running and Ready at once, with an IP of the node's range;
//     a pod that never restarts (restartPolicy Never or OnFailure) then ends after its
//     run time, Succeeded, or Failed when the annotation fake.capstan.dev/exit-code says a
//     non-zero code;
//   - confirms a pod's deletion (the kubelet's final delete with grace 0);
//   - puts Ready back to True if the node lifecycle controller marked it Unknown.
// A node annotated fake.capstan.dev/silent=true plays a dead kubelet: no lease renewals,
// no pod updates, until the annotation goes.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/k8s/client/api_client.h"
#include "api/k8s/client/reflector.h"
#include "api/k8s/client/work_queue.h"

namespace capstan::integration {

using Json = nlohmann::json;

struct FakeNodeOptions {
  std::string prefix = "fake-";
  int first_index = 0;
  int count = 3;
  std::string cpu = "4";
  std::string memory = "16Gi";
  std::string pods = "110";
  std::map<std::string, std::string> labels;
  std::chrono::seconds lease_renew_interval{10};
  std::chrono::milliseconds run_time{1000};  // of pods that end
};

class FakeNodeAgent {
 public:
  // `api` for writes, `watch_api` for the informers (their watches hold connections).
  FakeNodeAgent(api::k8s::client::ApiClient* api, api::k8s::client::ApiClient* watch_api,
                FakeNodeOptions options);
  ~FakeNodeAgent();
  // Registers the nodes and starts the agent's threads.
  Status Start();
  void Stop();

  static constexpr const char* kSilentAnnotation = "fake.capstan.dev/silent";
  static constexpr const char* kExitCodeAnnotation = "fake.capstan.dev/exit-code";

 private:
  std::string NodeName(int i) const;
  Json NodeObject(int i) const;
  Status Register(int i);
  void RenewLeases();
  void SyncPod(const std::string& key);
  bool Silent(const std::string& node) const;
  std::string PodIp(const std::string& node);

  api::k8s::client::ApiClient* api_;
  FakeNodeOptions options_;
  RealClock clock_;
  api::k8s::client::Reflector nodes_;
  api::k8s::client::Reflector pods_;
  api::k8s::client::WorkQueue queue_{&clock_};
  std::map<std::string, int> node_index_;  // our nodes; fixed after the constructor
  std::mutex ips_mu_;
  std::map<std::string, int> next_ip_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
};

}  // namespace capstan::integration
