#include "control-plane/controllers/controller.h"

#include "common/log.h"

namespace capstan::control_plane::controllers {
namespace {
const log::Logger kLog("controllers");
}  // namespace

Controller::Controller(const Clock* clock, std::string name)
    : clock_(clock), name_(std::move(name)), queue_(clock) {}

Controller::~Controller() { StopWorkers(); }

void Controller::RunWorkers(int workers, std::function<bool()> caches_synced) {
  stopping_ = false;
  for (int i = 0; i < workers; ++i) {
    workers_.emplace_back([this, caches_synced] {
      while (caches_synced && !caches_synced() && !stopping_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      while (auto key = queue_.Get()) Process(*key);
    });
  }
}

void Controller::StopWorkers() {
  stopping_ = true;
  queue_.ShutDown();
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
}

void Controller::Process(const std::string& key) {
  Status st = Ok();
  try {
    st = Sync(key);
  } catch (const std::exception& e) {
    // Malformed input (a field of the wrong type) fails this key's sync, not the process.
    st = Fail(Code::kInvalidArgument, "malformed object: {}", e.what());
  }
  if (st) {
    queue_.Forget(key);
  } else {
    kLog.Warn("sync failed, will retry",
              {{"controller", name_}, {"key", key}, {"error", st.error().message()}});
    queue_.AddRateLimited(key);
  }
  queue_.Done(key);
}

bool Controller::ProcessNext() {
  auto key = queue_.TryGet();
  if (!key) return false;
  Process(*key);
  return true;
}

std::pair<std::string, std::string> SplitKey(const std::string& key) {
  auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

}  // namespace capstan::control_plane::controllers
