#pragma once
// Shared set-up for capstan-cri integration tests: one local registry (Debian's
// docker-registry on 127.0.0.1) serving the busybox test image for the whole test binary,
// a fresh capstan-cri per test, and helpers to run pods the way crictl does.

#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "integration/cri/cri_daemon.h"

namespace capstan::integration {

// The registry (host:port) serving "busybox:latest", started once per binary.
const std::string& TestRegistry();
class RegistryFixture;
// That registry itself (to push more images to it); null if it failed to start.
RegistryFixture* TestRegistryFixture();

// Skips the test unless running as root (integration tests need the real kernel).
#define CAPSTAN_REQUIRE_ROOT()                                           \
  do {                                                                   \
    if (::geteuid() != 0) {                                              \
      GTEST_SKIP() << "needs root: creates namespaces, mounts, cgroups"; \
    }                                                                    \
  } while (0)

class CriTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // YAML appended to the daemon's config (after the registry settings).
  virtual std::string ExtraConfig() const { return ""; }

  // Pulls the busybox image through the CRI; returns the reference to use.
  std::string PullBusybox();
  // RunPodSandbox with PodConfig(name); returns the sandbox id.
  std::string RunPod(const std::string& name, v1::PodSandboxConfig* config_out = nullptr);
  std::string RunPod(const v1::PodSandboxConfig& config);
  // CreateContainer + StartContainer; returns the container id.
  std::string StartContainer(const std::string& pod_id, const v1::PodSandboxConfig& pod,
                             const v1::ContainerConfig& config);
  v1::ContainerStatus Status(const std::string& container_id);
  v1::ExecSyncResponse Exec(const std::string& container_id, std::vector<std::string> cmd,
                            int timeout = 10);
  bool WaitExited(const std::string& container_id, double seconds = 10);
  std::string ReadLog(const std::string& path);

  std::unique_ptr<CriDaemon> cri_;
  std::string image_;
};

}  // namespace capstan::integration
