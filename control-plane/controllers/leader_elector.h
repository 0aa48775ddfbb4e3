#pragma once
// LeaderElector: client-go's leader election on a coordination.k8s.io Lease, so that of
// several capstan-servers sharing one store only one runs the scheduler and only one the
// controllers; the others wait, ready to take over. As client-go:
//   - a candidate takes the lease when there is none, or when its holder has not renewed
//     it for leaseDurationSeconds, judged by when this candidate saw it change (clocks of
//     different machines are never compared);
//   - the leader renews it every retry period; if it cannot for the renew deadline it
//     stops leading (on_stopped) and becomes a candidate again;
//   - Stop() as leader releases the lease (holder cleared) so another takes over at once.
// kube-scheduler and kube-controller-manager use kube-system/kube-scheduler and
// kube-system/kube-controller-manager; so does capstan-server.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "api/k8s/client/api_client.h"
#include "common/time.h"

namespace capstan::control_plane::controllers {

struct LeaderElectionConfig {
  std::string ns = "kube-system";
  std::string name;      // the Lease
  std::string identity;  // this candidate: hostname_uuid, as upstream
  std::chrono::seconds lease_duration{15};
  std::chrono::seconds renew_deadline{10};
  std::chrono::seconds retry_period{2};
};

class LeaderElector {
 public:
  LeaderElector(api::k8s::client::ApiClient* api, const Clock* clock, LeaderElectionConfig config,
                std::function<void()> on_started, std::function<void()> on_stopped);
  ~LeaderElector();
  void Start();
  // Ends the loop; as leader, calls on_stopped and releases the lease.
  void Stop();
  // One attempt to take or renew the lease (tests drive this directly). True when this
  // candidate holds it afterwards.
  bool TryAcquireOrRenew();
  bool IsLeader() const { return leader_; }

 private:
  void Run();
  void Release();

  api::k8s::client::ApiClient* api_;
  const Clock* clock_;
  LeaderElectionConfig config_;
  std::function<void()> on_started_;
  std::function<void()> on_stopped_;
  std::atomic<bool> leader_{false};
  // What this candidate last saw of the lease, and when (by its own clock).
  std::string observed_record_;
  std::chrono::steady_clock::time_point observed_at_{};
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// "<hostname>_<hash of salt>", readable in `kubectl get lease`. capstan-server salts with
// its data dir: restarted on the same store it takes its lease back at once instead of
// waiting out the one it held before.
std::string LeaderIdentity(const std::string& salt);

}  // namespace capstan::control_plane::controllers
