#pragma once
// CriDaemon: a capstan-cri of the test's own (temporary root, state and socket), with a gRPC
// client to it. Its destructor removes every pod the test made, stops the daemon and removes
// every mount, cgroup and process left under its directories, also when the test failed.

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>

#include "api/cri/runtime/v1/api.grpc.pb.h"

namespace capstan::integration {

namespace v1 = ::runtime::v1;

class CriDaemon {
 public:
  // `extra_config` is appended to the generated YAML config (e.g. registry settings).
  explicit CriDaemon(std::string extra_config = "");
  ~CriDaemon();

  bool Start();      // starts the daemon and waits for its socket; false on failure
  void Kill9();      // SIGKILL, as a crash would
  void Terminate();  // SIGTERM and wait

  v1::RuntimeService::Stub& runtime() { return *runtime_; }
  v1::ImageService::Stub& images() { return *images_; }

  const std::string& dir() const { return dir_; }
  std::string root() const { return dir_ + "/root"; }
  std::string state() const { return dir_ + "/state"; }
  std::string socket() const { return dir_ + "/cri.sock"; }
  // Every test pod goes under this cgroup parent, so cleanup can find all of it.
  std::string cgroup_parent() const { return cgroup_parent_; }
  pid_t pid() const { return pid_; }

 private:
  void Connect();
  void RemoveEverything();

  std::string dir_;
  std::string extra_config_;
  std::string cgroup_parent_;
  pid_t pid_ = -1;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<v1::ImageService::Stub> images_;
};

// Helpers for the RPCs tests call most.
std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 60);
v1::PodSandboxConfig PodConfig(const std::string& name, const CriDaemon& d);
v1::ContainerConfig ContainerConfig(const std::string& name, const std::string& image,
                                    std::vector<std::string> command);
// Stops and removes every pod sandbox the runtime has (teardown of a test's runtime).
void RemoveAllPodSandboxes(v1::RuntimeService::Stub& runtime);
// Polls `pred` every 20 ms until it holds or `seconds` pass.
bool WaitFor(const std::function<bool()>& pred, double seconds = 10);

}  // namespace capstan::integration
