#pragma once
// ApiSource: the pods the API server binds to this node (fieldSelector spec.nodeName=<node>),
// listed and then watched, handed to PodConfig as source "api" after every change, as
// upstream's config/apiserver.go reflector does. A watch that ends is resumed from its last
// resourceVersion; one that is too old (410) or fails starts over with a list, after a
// back-off while the API server is away. A pod that does not decode is skipped and logged.

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "api/k8s/client/api_client.h"
#include "api/k8s/pod.h"
#include "kubelet/sources/pod_config.h"

namespace capstan::kubelet::sources {

inline constexpr char kApiSource[] = "api";

class ApiSource {
 public:
  ApiSource(api::k8s::client::ApiClient* api, std::string node_name, PodConfig* sink,
            std::chrono::seconds watch_timeout = std::chrono::seconds(10));
  ~ApiSource();
  ApiSource(const ApiSource&) = delete;
  ApiSource& operator=(const ApiSource&) = delete;

  void Start();
  // Ends the loop; returns within the watch timeout.
  void Stop();
  // One list and the watch that follows, until the watch ends (tests drive this directly).
  Status ListAndWatch();

 private:
  void Publish();
  void Apply(const std::string& type, const api::k8s::client::Json& object);

  api::k8s::client::ApiClient* api_;
  std::string node_name_;
  PodConfig* sink_;
  std::chrono::seconds watch_timeout_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, api::k8s::Pod> pods_;  // by uid
  std::string resource_version_;
};

}  // namespace capstan::kubelet::sources
