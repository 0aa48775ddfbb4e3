#include "integration/cni/cni_it_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>

#include <atomic>
#include <filesystem>

#include "cni-plugins/lib/nft.h"
#include "common/process.h"

namespace capstan::integration::cni {

namespace {

// Creates a socket inside `netns_path` (a socket stays in the namespace it was made in).
UniqueFd SocketIn(const std::string& netns_path, int family) {
  int fd = -1;
  std::thread t([&] {
    if (!netns_path.empty()) {
      UniqueFd ns(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!ns || ::setns(ns.get(), CLONE_NEWNET) != 0) {
        return;
      }
    }
    fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  });
  t.join();
  return UniqueFd(fd);
}

bool ToSockaddr(const std::string& ip, int port, sockaddr_storage* ss, socklen_t* len) {
  *ss = {};
  auto* v4 = reinterpret_cast<sockaddr_in*>(ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(ss);
  if (::inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(*v4);
    return true;
  }
  if (::inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(*v6);
    return true;
  }
  return false;
}

std::atomic<int> g_counter{0};

}  // namespace

int Sh(const std::vector<std::string>& argv, std::string* out) {
  SpawnOptions o;
  o.argv = argv;
  auto r = RunCommand(o, std::chrono::seconds(30));
  if (!r) {
    return -1;
  }
  if (out != nullptr) {
    *out = r->out + r->err;
  }
  return r->exit_code;
}

TestNetns::TestNetns(std::string name) : name_(std::move(name)) {
  ok_ = Sh({"/usr/sbin/ip", "netns", "add", name_}) == 0;
  if (ok_) {
    Sh({"/usr/sbin/ip", "-n", name_, "link", "set", "lo", "up"});
  }
}

TestNetns::~TestNetns() { Delete(); }

void TestNetns::Delete() {
  if (ok_) {
    Sh({"/usr/sbin/ip", "netns", "del", name_});
    ok_ = false;
  }
}

TcpServer::TcpServer(const std::string& netns_path, const std::string& addr, int port,
                     std::string greeting)
    : greeting_(std::move(greeting)) {
  sockaddr_storage ss;
  socklen_t len;
  if (!ToSockaddr(addr, port, &ss, &len)) {
    return;
  }
  UniqueFd fd = SocketIn(netns_path, ss.ss_family);
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
      ::listen(fd.get(), 64) != 0) {
    return;
  }
  fd_ = std::move(fd);
  thread_ = std::thread([this] {
    while (!stop_) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) {
        continue;
      }
      UniqueFd c(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (c) {
        (void)!::write(c.get(), greeting_.data(), greeting_.size());
      }
    }
  });
}

TcpServer::~TcpServer() {
  stop_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
}

std::string TcpRequest(const std::string& netns_path, const std::string& ip, int port,
                       int timeout_ms) {
  sockaddr_storage ss;
  socklen_t len;
  if (!ToSockaddr(ip, port, &ss, &len)) {
    return "";
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  // Retry refused or unreachable attempts until the deadline: ADD returns before the kernel
  // has necessarily finished bringing everything up (neighbour resolution, port state).
  while (std::chrono::steady_clock::now() < deadline) {
    UniqueFd fd = SocketIn(netns_path, ss.ss_family);
    if (!fd) {
      return "";
    }
    timeval tv{1, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) == 0) {
      std::string out;
      char buf[256];
      ssize_t n;
      while ((n = ::read(fd.get(), buf, sizeof(buf))) > 0) {
        out.append(buf, static_cast<size_t>(n));
      }
      return out;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return "";
}

PluginRun RunPlugin(const std::string& bin_dir, const std::string& type, const std::string& cmd,
                    const std::string& container_id, const std::string& netns, const json& conf,
                    const std::string& ifname, const std::string& cni_path) {
  SpawnOptions o;
  o.argv = {bin_dir + "/" + type};
  o.env = std::vector<std::string>{"CNI_COMMAND=" + cmd,
                                   "CNI_CONTAINERID=" + container_id,
                                   "CNI_NETNS=" + netns,
                                   "CNI_IFNAME=" + ifname,
                                   "CNI_PATH=" + (cni_path.empty() ? bin_dir : cni_path),
                                   "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  o.stdin_data = conf.dump();
  PluginRun run;
  auto r = RunCommand(o, std::chrono::seconds(60));
  if (!r) {
    run.raw = r.error().ToString();
    return run;
  }
  run.exit_code = r->exit_code;
  run.raw = r->out;
  run.err = r->err;
  run.out = json::parse(r->out, nullptr, false);
  return run;
}

bool ReferencePluginsInstalled() {
  return std::filesystem::exists(ReferenceCniDir() + "/bridge") &&
         std::filesystem::exists(ReferenceCniDir() + "/host-local");
}

void CniTestBase::SetUp() {
  CAPSTAN_CNI_REQUIRE_ROOT();
  int n = g_counter++;
  int pid = static_cast<int>(::getpid());
  tag_ = std::to_string(pid % 100000) + "x" + std::to_string(n);
  net_name_ = "cit-" + tag_;
  bridge_ = "cit" + std::to_string(pid % 10000) + "b" + std::to_string(n);
  subnet_prefix_ = "10.199." + std::to_string((pid * 7 + n * 13) % 250 + 2);
  char tmpl[] = "/tmp/capstan-cni-it-XXXXXX";
  dir_ = ::mkdtemp(tmpl);
}

void CniTestBase::TearDown() {
  if (dir_.empty()) {
    return;  // skipped
  }
  netns_.clear();
  Sh({"/usr/sbin/ip", "link", "del", bridge_});
  auto nft = capstan::cni::Nft::Open();
  if (nft) {
    for (auto [family, prefix] :
         {std::pair{"inet", "capstan_masq_"}, std::pair{"inet", "capstan_pm_"},
          std::pair{"bridge", "capstan_mac_"}}) {
      auto tables = capstan::cni::ListTables(*nft, family,
                                             capstan::cni::NetworkTablePrefix(prefix, net_name_));
      if (tables) {
        for (const auto& t : *tables) {
          (void)nft->Run(capstan::cni::DeleteTableCommand(family, t));
        }
      }
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

TestNetns& CniTestBase::NewNetns() {
  netns_.push_back(
      std::make_unique<TestNetns>("cit-" + tag_ + "-" + std::to_string(netns_.size())));
  EXPECT_TRUE(netns_.back()->ok()) << "ip netns add failed";
  return *netns_.back();
}

json CniTestBase::BridgeConf(const std::string& version) const {
  return json{{"cniVersion", version},
              {"name", net_name_},
              {"type", "bridge"},
              {"bridge", bridge_},
              {"isGateway", true},
              {"ipam",
               {{"type", "host-local"},
                {"subnet", Subnet()},
                {"routes", {{{"dst", "0.0.0.0/0"}}}},
                {"dataDir", dir_ + "/ipam"}}}};
}

std::string CniTestBase::FirstIp(const json& result) {
  if (!result.is_object() || !result.contains("ips") || result["ips"].empty()) {
    return "";
  }
  std::string a = result["ips"][0]["address"];
  return a.substr(0, a.find('/'));
}

int CniTestBase::AllocationCount() const {
  int n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/ipam/" + net_name_, ec)) {
    std::string f = e.path().filename();
    n += (f != "lock" && f.rfind("last_reserved_ip", 0) != 0) ? 1 : 0;
  }
  return n;
}

}  // namespace capstan::integration::cni
