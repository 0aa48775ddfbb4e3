#pragma once
// KubeletHarness: a whole Kubelet over the in-memory CRI, a fake clock and a manual executor,
// for tests of the sync loop and what hangs off it. A fixture takes BaseOptions() and
// BaseDeps(), changes what its tests need, and calls StartKubelet().

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "api/cri/testing/fake_image_service.h"
#include "api/cri/testing/fake_runtime_service.h"
#include "kubelet/cm/fake_cgroup_manager.h"
#include "kubelet/kubelet.h"
#include "kubelet/testing/fake_clock.h"

namespace capstan::kubelet {

class KubeletHarness : public ::testing::Test {
 protected:
  KubeletHarness() {
    char tmpl[] = "/tmp/capstan-kubelet-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Node "node-1" at 192.168.1.10, its root and pod log dirs under dir_.
  KubeletOptions BaseOptions() const {
    KubeletOptions opts;
    opts.node_name = "node-1";
    opts.node_ip = "192.168.1.10";
    opts.root_dir = dir_ + "/root";
    opts.config.pod_logs_dir = dir_ + "/logs";
    return opts;
  }
  // The fakes below, wired in; sleep hooks advance the fake clock.
  KubeletDeps BaseDeps() {
    KubeletDeps deps;
    deps.clock = &clock_;
    deps.runtime = &runtime_;
    deps.images = &images_;
    deps.executor = &executor_;
    deps.pod_config = &config_;
    deps.sleep = [this](std::chrono::seconds s) { clock_.Advance(s); };
    return deps;
  }
  void StartKubelet(const KubeletOptions& opts, const KubeletDeps& deps) {
    kubelet_ = std::make_unique<Kubelet>(opts, deps);
    ASSERT_TRUE(kubelet_->Init());
  }

  // Ticks and runs all work until nothing is left to do.
  void Settle() {
    for (int i = 0; i < 50; ++i) {
      kubelet_->Tick();
      if (executor_.RunAll() == 0 && kubelet_->WorkersIdle()) {
        return;
      }
    }
    ADD_FAILURE() << "the kubelet did not settle";
  }
  // Moves time on in one-second ticks (relists and probes happen on their own schedule).
  void Pass(int secs) {
    for (int i = 0; i < secs; ++i) {
      clock_.Advance(std::chrono::seconds(1));
      Settle();
    }
  }
  void SetPods(std::vector<api::k8s::Pod> pods) {
    config_.SetSourcePods(sources::kFileSource, std::move(pods));
    Settle();
  }
  // The id of the newest container named `name` ("" if none).
  std::string Newest(const std::string& name) {
    auto all = runtime_.ContainersNamed(name);
    return all.empty() ? "" : all.back().id;
  }

  std::string dir_;
  kubelet::testing::FakeClock clock_;
  util::ManualExecutor executor_;
  api::cri::testing::FakeImageService images_;
  api::cri::testing::FakeRuntimeService runtime_{&clock_, &images_};
  sources::PodConfig config_;
  cm::FakeCgroupManager cgroups_;
  std::unique_ptr<Kubelet> kubelet_;
};

}  // namespace capstan::kubelet
