#pragma once
// Helpers for CNI tests on the real kernel: network namespaces of the test's own (removed
// even when the test fails), TCP reachability checks run inside a namespace from a thread
// (no tools needed), running a plugin the way a runtime does, and a fixture giving each test
// its own bridge name, subnet, network name and data dir, cleaned up afterwards (netns,
// bridge, nftables tables, files).

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/unique_fd.h"

namespace capstan::integration::cni {

using nlohmann::json;

#define CAPSTAN_CNI_REQUIRE_ROOT()                                                       \
  do {                                                                                   \
    if (::geteuid() != 0) {                                                              \
      GTEST_SKIP() << "needs root: creates network namespaces, bridges, nftables rules"; \
    }                                                                                    \
  } while (0)

// "ip netns add <name>"; deleted on destruction unless already gone.
class TestNetns {
 public:
  explicit TestNetns(std::string name);
  ~TestNetns();
  TestNetns(const TestNetns&) = delete;
  const std::string& name() const { return name_; }
  std::string path() const { return "/run/netns/" + name_; }
  bool ok() const { return ok_; }
  void Delete();

 private:
  std::string name_;
  bool ok_ = false;
};

// Runs a shell command (argv, no shell); returns its exit code and fills *out.
int Sh(const std::vector<std::string>& argv, std::string* out = nullptr);

// A TCP server inside `netns_path` ("" = the test's namespace) on addr:port that answers each
// connection with `greeting` and closes it, until destroyed.
class TcpServer {
 public:
  TcpServer(const std::string& netns_path, const std::string& addr, int port, std::string greeting);
  ~TcpServer();
  bool ok() const { return fd_.valid(); }

 private:
  UniqueFd fd_;
  std::string greeting_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Connects from inside `netns_path` ("" = ours) and returns what the server sent ("" when the
// connection failed within `timeout_ms`).
std::string TcpRequest(const std::string& netns_path, const std::string& ip, int port,
                       int timeout_ms = 3000);

struct PluginRun {
  int exit_code = -1;
  json out;
  std::string raw;
  std::string err;
};

// Runs plugin `type` from `bin_dir` with the CNI environment and `conf` on stdin.
PluginRun RunPlugin(const std::string& bin_dir, const std::string& type, const std::string& cmd,
                    const std::string& container_id, const std::string& netns, const json& conf,
                    const std::string& ifname = "eth0", const std::string& cni_path = "");

// The plugin sets under test.
inline std::string CapstanCniDir() { return std::string(CAPSTAN_BIN_DIR) + "/cni"; }
inline std::string ReferenceCniDir() { return "/usr/lib/cni"; }
bool ReferencePluginsInstalled();

// Per-test names and cleanup.
class CniTestBase : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A namespace of this test (cleaned up with it).
  TestNetns& NewNetns();
  // bridge + host-local on this test's bridge and subnet.
  json BridgeConf(const std::string& version = "1.0.0") const;
  std::string Subnet() const { return subnet_prefix_ + ".0/24"; }
  std::string Gateway() const { return subnet_prefix_ + ".1"; }
  // The address (without prefix) of the first IP in an ADD result.
  static std::string FirstIp(const json& result);
  // Allocation files left in host-local's directory for this network.
  int AllocationCount() const;

  std::string tag_;            // unique per test
  std::string net_name_;       // network name
  std::string bridge_;         // bridge name
  std::string subnet_prefix_;  // "10.199.N"
  std::string dir_;            // temp dir: dataDir and friends
  std::vector<std::unique_ptr<TestNetns>> netns_;
};

}  // namespace capstan::integration::cni
