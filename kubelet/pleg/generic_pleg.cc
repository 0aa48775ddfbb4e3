#include "kubelet/pleg/generic_pleg.h"

#include <set>

namespace capstan::kubelet::pleg {

std::string_view EventTypeName(EventType t) {
  switch (t) {
    case EventType::kContainerStarted: return "ContainerStarted";
    case EventType::kContainerDied: return "ContainerDied";
    case EventType::kContainerRemoved: return "ContainerRemoved";
    case EventType::kContainerChanged: return "ContainerChanged";
  }
  return "?";
}

GenericPleg::GenericPleg(Lister lister, const Clock* clock, std::chrono::seconds threshold)
    : lister_(std::move(lister)),
      clock_(clock),
      threshold_(threshold),
      created_(clock->Monotonic()) {}

Status GenericPleg::Relist() {
  auto pods = lister_();
  if (!pods) {
    return Fail(pods.error().Wrap("PLEG relist"));
  }
  std::map<std::string, PodStates> current;
  for (const auto& p : *pods) {
    auto& states = current[p.uid];
    for (const auto& s : p.sandboxes) {
      states[s.id] = s.ready ? State::kRunning : State::kExited;
    }
    for (const auto& c : p.containers) {
      switch (c.state) {
        case container::ContainerState::kRunning: states[c.id] = State::kRunning; break;
        case container::ContainerState::kExited: states[c.id] = State::kExited; break;
        // A created container has not run: nothing to report yet (as upstream, which maps
        // it to unknown only for containers it saw before).
        case container::ContainerState::kCreated: states[c.id] = State::kUnknown; break;
        case container::ContainerState::kUnknown: states[c.id] = State::kUnknown; break;
      }
    }
  }
  std::lock_guard lock(mu_);
  std::set<std::string> uids;
  for (const auto& [uid, s] : previous_) uids.insert(uid);
  for (const auto& [uid, s] : current) uids.insert(uid);
  for (const auto& uid : uids) {
    const PodStates empty;
    const PodStates& before = previous_.contains(uid) ? previous_.at(uid) : empty;
    const PodStates& after = current.contains(uid) ? current.at(uid) : empty;
    std::set<std::string> ids;
    for (const auto& [id, s] : before) ids.insert(id);
    for (const auto& [id, s] : after) ids.insert(id);
    for (const auto& id : ids) {
      State old_state = before.contains(id) ? before.at(id) : State::kNonExistent;
      State new_state = after.contains(id) ? after.at(id) : State::kNonExistent;
      if (old_state == new_state) {
        continue;
      }
      switch (new_state) {
        case State::kRunning: events_.push_back({uid, EventType::kContainerStarted, id}); break;
        case State::kExited: events_.push_back({uid, EventType::kContainerDied, id}); break;
        case State::kUnknown: events_.push_back({uid, EventType::kContainerChanged, id}); break;
        case State::kNonExistent:
          // A container that vanished while running died first, as far as anyone knows.
          if (old_state != State::kExited) {
            events_.push_back({uid, EventType::kContainerDied, id});
          }
          events_.push_back({uid, EventType::kContainerRemoved, id});
          break;
      }
    }
  }
  previous_ = std::move(current);
  last_relist_ = clock_->Monotonic();
  return Ok();
}

std::vector<PodLifecycleEvent> GenericPleg::TakeEvents() {
  std::lock_guard lock(mu_);
  return std::exchange(events_, {});
}

void GenericPleg::SetRelistThreshold(std::chrono::seconds threshold) {
  std::lock_guard lock(mu_);
  threshold_ = threshold;
}

bool GenericPleg::Healthy() const {
  std::lock_guard lock(mu_);
  auto since = last_relist_.value_or(created_);
  return clock_->Monotonic() - since <= threshold_;
}

}  // namespace capstan::kubelet::pleg
