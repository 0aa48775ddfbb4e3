#include "control-plane/controllers/leader_elector.h"

#include <unistd.h>

#include <functional>

#include "common/log.h"
#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {
namespace {

namespace client = api::k8s::client;
using client::resources::kLeases;
const log::Logger kLog("leader-election");

}  // namespace

std::string LeaderIdentity(const std::string& salt) {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "capstan");
  return fmt::format("{}_{:08x}", host, std::hash<std::string>{}(salt)&0xffffffffu);
}

LeaderElector::LeaderElector(client::ApiClient* api, const Clock* clock,
                             LeaderElectionConfig config, std::function<void()> on_started,
                             std::function<void()> on_stopped)
    : api_(api),
      clock_(clock),
      config_(std::move(config)),
      on_started_(std::move(on_started)),
      on_stopped_(std::move(on_stopped)) {}

LeaderElector::~LeaderElector() { Stop(); }

bool LeaderElector::TryAcquireOrRenew() {
  auto now_mono = clock_->Monotonic();
  std::string now = FormatMicroTime(clock_->Now());
  auto current = api_->Get(kLeases, config_.ns, config_.name);
  Json spec = {{"holderIdentity", config_.identity},
               {"leaseDurationSeconds", config_.lease_duration.count()},
               {"acquireTime", now},
               {"renewTime", now},
               {"leaseTransitions", 0}};
  if (!current) {
    if (current.error().code() != Code::kNotFound) return false;
    Json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                  {"kind", "Lease"},
                  {"metadata", {{"name", config_.name}, {"namespace", config_.ns}}},
                  {"spec", spec}};
    if (!api_->Create(kLeases, config_.ns, lease)) return false;
    observed_record_ = config_.identity + "@" + now;
    observed_at_ = now_mono;
    return true;
  }
  const Json& old = Field(*current, {"spec"});
  std::string holder = StringOf(Field(old, {"holderIdentity"}));
  std::string record = holder + "@" + StringOf(Field(old, {"renewTime"}));
  if (record != observed_record_) {
    observed_record_ = record;
    observed_at_ = now_mono;
  }
  int64_t duration = IntField(old, {"leaseDurationSeconds"}, config_.lease_duration.count());
  bool held_by_other = !holder.empty() && holder != config_.identity;
  if (held_by_other && observed_at_ + std::chrono::seconds(duration) > now_mono) return false;

  int64_t transitions = IntField(old, {"leaseTransitions"}, 0);
  if (holder == config_.identity) {
    spec["acquireTime"] = Field(old, {"acquireTime"});
    spec["leaseTransitions"] = transitions;
  } else {
    spec["leaseTransitions"] = transitions + 1;
  }
  Json updated = *current;
  updated["spec"] = spec;
  auto stored = api_->Update(kLeases, config_.ns, config_.name, updated, "");
  if (!stored) return false;
  observed_record_ = config_.identity + "@" + now;
  observed_at_ = now_mono;
  return true;
}

void LeaderElector::Start() {
  thread_ = std::thread([this] { Run(); });
}

void LeaderElector::Run() {
  std::unique_lock lock(mu_);
  auto last_renewal = clock_->Monotonic();
  while (!stopping_) {
    lock.unlock();
    bool held = TryAcquireOrRenew();
    lock.lock();
    if (stopping_) break;
    if (held) last_renewal = clock_->Monotonic();
    if (held && !leader_) {
      leader_ = true;
      kLog.Info("became leader",
                {{"lease", config_.ns + "/" + config_.name}, {"identity", config_.identity}});
      lock.unlock();
      on_started_();
      lock.lock();
    } else if (!held && leader_ && clock_->Monotonic() - last_renewal >= config_.renew_deadline) {
      leader_ = false;
      kLog.Warn("lost the lease: stepping down", {{"lease", config_.ns + "/" + config_.name}});
      lock.unlock();
      on_stopped_();
      lock.lock();
    }
    wake_.wait_for(lock, config_.retry_period, [this] { return stopping_; });
  }
}

void LeaderElector::Release() {
  auto current = api_->Get(kLeases, config_.ns, config_.name);
  if (!current || StringOf(Field(*current, {"spec", "holderIdentity"})) != config_.identity) return;
  Json released = *current;
  // As client-go's ReleaseOnCancel: no holder, a one-second lease, so a standby takes over.
  released["spec"]["holderIdentity"] = nullptr;
  released["spec"]["leaseDurationSeconds"] = 1;
  auto st = api_->Update(kLeases, config_.ns, config_.name, released, "");
  if (!st) kLog.Warn("releasing the lease", {{"error", st.error().message()}});
}

void LeaderElector::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (leader_.exchange(false)) {
    on_stopped_();
    Release();
  }
}

}  // namespace capstan::control_plane::controllers
