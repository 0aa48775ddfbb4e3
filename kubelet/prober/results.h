#pragma once
// Probe results per container (proberesults.Manager): the latest settled result of one
// probe type, and a queue of changes the Kubelet drains to react (restart on a liveness
// failure, refresh readiness). Keyed by the runtime's container id. Thread-safe.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace capstan::kubelet::prober {

enum class ProbeType { kLiveness, kReadiness, kStartup };
enum class ProbeResult { kUnknown, kSuccess, kFailure };
std::string_view ProbeTypeName(ProbeType t);
std::string_view ProbeResultName(ProbeResult r);

struct ResultUpdate {
  std::string container_id;
  ProbeResult result;
  std::string pod_uid;
};

class ResultsManager {
 public:
  std::optional<ProbeResult> Get(const std::string& container_id) const;
  // Records a result; a change is queued for TakeUpdates.
  void Set(const std::string& container_id, ProbeResult result, const std::string& pod_uid);
  void Remove(const std::string& container_id);
  std::vector<ResultUpdate> TakeUpdates();

 private:
  mutable std::mutex mu_;
  std::map<std::string, ProbeResult> results_;
  std::vector<ResultUpdate> updates_;
};

}  // namespace capstan::kubelet::prober
