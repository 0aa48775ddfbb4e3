#pragma once
// ApiEventRecorder: events to the API server (core/v1 Events in the object's namespace), sent
// from a thread of their own so that recording never blocks a pod sync. Like upstream's
// event correlator it aggregates: an event with the same object, reason, message and type
// within ten minutes bumps the stored one's count and lastTimestamp instead of adding
// another. The queue is bounded; when the API server is away, events are dropped, not piled
// up.

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "api/k8s/client/api_client.h"
#include "common/time.h"
#include "kubelet/events/recorder.h"

namespace capstan::kubelet::events {

class ApiEventRecorder : public EventRecorder {
 public:
  ApiEventRecorder(api::k8s::client::ApiClient* api, std::string node_name, const Clock* clock);
  ~ApiEventRecorder() override;

  void PodEvent(const api::k8s::Pod& pod, const std::string& field_path, const std::string& type,
                const std::string& reason, const std::string& message) override;
  void NodeEvent(const std::string& type, const std::string& reason,
                 const std::string& message) override;
  // Waits until what is queued was sent (tests).
  void Flush();

 private:
  struct Pending {
    api::k8s::client::Json involved;
    std::string type, reason, message;
    WallTime at;
  };
  struct Sent {
    std::string ns, name;
    int64_t count = 1;
    WallTime last;
  };
  void Enqueue(Pending p);
  void Send(const Pending& p);

  api::k8s::client::ApiClient* api_;
  std::string node_;
  const Clock* clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  bool busy_ = false;  // the thread is sending one
  std::mutex send_mu_;
  std::map<std::string, Sent> sent_;  // aggregation key -> the stored event
  std::thread thread_;
};

}  // namespace capstan::kubelet::events
