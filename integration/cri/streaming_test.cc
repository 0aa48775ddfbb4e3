// Exec, attach and port-forward through capstan-cri's streaming server, spoken to as kubectl
// and crictl speak to it: the RPC's URL, an upgrade to SPDY/3.1, one stream per channel.
#include <dirent.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "common/process.h"
#include "integration/cri/cri_test_env.h"
#include "integration/cri/spdy_client.h"

namespace capstan::integration {
namespace {

const std::vector<std::string> kRemoteCommand = {"v4.channel.k8s.io", "v3.channel.k8s.io",
                                                 "v2.channel.k8s.io", "channel.k8s.io"};

class StreamingTest : public CriTest {
 protected:
  std::string RunSleeper(const std::string& name,
                         std::vector<std::string> cmd = {"sleep", "1000"}) {
    image_ = PullBusybox();
    v1::PodSandboxConfig pod;
    std::string pod_id = RunPod(name, &pod);
    pod_id_ = pod_id;
    return StartContainer(pod_id, pod, ContainerConfig("c", image_, std::move(cmd)));
  }

  std::string ExecUrl(const std::string& id, std::vector<std::string> cmd, bool tty, bool in,
                      bool out, bool err) {
    v1::ExecRequest req;
    req.set_container_id(id);
    for (auto& a : cmd) req.add_cmd(a);
    req.set_tty(tty);
    req.set_stdin(in);
    req.set_stdout(out);
    req.set_stderr(err);
    v1::ExecResponse resp;
    auto st = cri_->runtime().Exec(Ctx().get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.url();
  }

  // Processes in the container's PID namespace other than its init, by name.
  std::vector<std::string> OtherProcesses(const std::string& id) {
    auto out = Exec(id, {"sh", "-c", "for p in /proc/[0-9]*; do cat $p/comm; done"});
    std::vector<std::string> names;
    size_t at = 0;
    std::string text = out.stdout();
    while (at < text.size()) {
      size_t nl = text.find('\n', at);
      std::string n = text.substr(at, nl - at);
      if (n != "sleep" && n != "sh" && n != "cat") names.push_back(n);
      at = nl == std::string::npos ? text.size() : nl + 1;
    }
    return names;
  }

  std::string pod_id_;
};

TEST_F(StreamingTest, ExecPipesStdinAndReportsTheExitCodeAsAStatus) {
  CAPSTAN_REQUIRE_ROOT();
  std::string id = RunSleeper("exec-pipe");
  std::string url =
      ExecUrl(id, {"sh", "-c", "cat; echo oops >&2; exit 3"}, false, true, true, true);
  auto c = SpdyClient::Connect(url, kRemoteCommand);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ((*c)->protocol(), "v4.channel.k8s.io");
  uint32_t error = (*c)->Open({{"streamtype", "error"}});
  uint32_t in = (*c)->Open({{"streamtype", "stdin"}});
  uint32_t out = (*c)->Open({{"streamtype", "stdout"}});
  uint32_t err = (*c)->Open({{"streamtype", "stderr"}});
  ASSERT_TRUE((*c)->ReadUntil([&] { return (*c)->replied.size() == 4; }));
  (*c)->Send(in, "hello through stdin\n");
  (*c)->Send(in, "", true);
  ASSERT_TRUE((*c)->ReadUntil([&] { return (*c)->finished.count(error) > 0; }));
  EXPECT_EQ((*c)->data[out], "hello through stdin\n");
  EXPECT_EQ((*c)->data[err], "oops\n");
  EXPECT_TRUE((*c)->finished.count(out) && (*c)->finished.count(err));
  auto status = nlohmann::json::parse((*c)->data[error]);
  EXPECT_EQ(status["status"], "Failure");
  EXPECT_EQ(status["reason"], "NonZeroExitCode");
  EXPECT_EQ(status["details"]["causes"][0]["reason"], "ExitCode");
  EXPECT_EQ(status["details"]["causes"][0]["message"], "3");

  // The token was good once.
  int code = 0;
  auto again = SpdyClient::Connect(url, kRemoteCommand, &code);
  EXPECT_FALSE(again);
  EXPECT_EQ(code, 404);
  std::string bogus = url.substr(0, url.rfind('/') + 1) + "not-a-token";
  EXPECT_FALSE(SpdyClient::Connect(bogus, kRemoteCommand, &code));
  EXPECT_EQ(code, 404);
}

TEST_F(StreamingTest, ExecWithATtyGetsAPtyOfTheContainersDevptsAndResizes) {
  CAPSTAN_REQUIRE_ROOT();
  std::string id = RunSleeper("exec-tty");
  std::string url =
      ExecUrl(id, {"sh", "-c", "read go; tty; stty size; exit 0"}, true, true, true, false);
  auto c = SpdyClient::Connect(url, kRemoteCommand);
  ASSERT_TRUE(c) << c.error().message();
  uint32_t error = (*c)->Open({{"streamtype", "error"}});
  uint32_t in = (*c)->Open({{"streamtype", "stdin"}});
  uint32_t out = (*c)->Open({{"streamtype", "stdout"}});
  uint32_t resize = (*c)->Open({{"streamtype", "resize"}});
  ASSERT_TRUE((*c)->ReadUntil([&] { return (*c)->replied.size() == 4; }));
  (*c)->Send(resize, R"({"Width":101,"Height":33})");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  (*c)->Send(in, "go\r");
  ASSERT_TRUE((*c)->ReadUntil([&] { return (*c)->finished.count(error) > 0; }));
  EXPECT_NE((*c)->data[out].find("/dev/pts/0"), std::string::npos) << (*c)->data[out];
  EXPECT_NE((*c)->data[out].find("33 101"), std::string::npos) << (*c)->data[out];
  EXPECT_EQ(nlohmann::json::parse((*c)->data[error])["status"], "Success");
}

TEST_F(StreamingTest, OlderProtocolsGetTheErrorAsText) {
  CAPSTAN_REQUIRE_ROOT();
  std::string id = RunSleeper("exec-v2");
  std::string url = ExecUrl(id, {"false"}, false, false, true, true);
  auto c = SpdyClient::Connect(url, {"v2.channel.k8s.io"});
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ((*c)->protocol(), "v2.channel.k8s.io");
  uint32_t error = (*c)->Open({{"streamtype", "error"}});
  (*c)->Open({{"streamtype", "stdout"}});
  (*c)->Open({{"streamtype", "stderr"}});
  ASSERT_TRUE((*c)->ReadUntil([&] { return (*c)->finished.count(error) > 0; }));
  EXPECT_NE((*c)->data[error].find("exit status 1"), std::string::npos) << (*c)->data[error];
}

TEST_F(StreamingTest, ExecOfAMissingCommandIsAnInternalError) {
  CAPSTAN_REQUIRE_ROOT();
  std::string id = RunSleeper("exec-missing");
  std::string url = ExecUrl(id, {"no-such-command"}, false, false, true, true);
  auto c = SpdyClient::Connect(url, kRemoteCommand);
  ASSERT_TRUE(c) << c.error().message();
  uint32_t error = (*c)->Open({{"streamtype", "error"}});
  (*c)->Open({{"streamtype", "stdout"}});
  (*c)->Open({{"streamtype", "stderr"}});
  ASSERT_TRUE((*c)->ReadUntil([&] { return (*c)->finished.count(error) > 0; }));
  auto status = nlohmann::json::parse((*c)->data[error]);
  EXPECT_EQ(status["reason"], "InternalError");
  EXPECT_NE(status["message"].get<std::string>().find("no-such-command"), std::string::npos);
}

TEST_F(StreamingTest, AClientThatGoesAwayLeavesNoProcessBehind) {
  CAPSTAN_REQUIRE_ROOT();
  std::string id = RunSleeper("exec-drop");
  std::string url =
      ExecUrl(id, {"sh", "-c", "echo started; exec tail -f /dev/null"}, false, true, true, true);
  auto c = SpdyClient::Connect(url, kRemoteCommand);
  ASSERT_TRUE(c) << c.error().message();
  (*c)->Open({{"streamtype", "error"}});
  (*c)->Open({{"streamtype", "stdin"}});
  uint32_t out = (*c)->Open({{"streamtype", "stdout"}});
  (*c)->Open({{"streamtype", "stderr"}});
  ASSERT_TRUE((*c)->ReadUntil([&] { return (*c)->data[out] == "started\n"; }));
  EXPECT_EQ(OtherProcesses(id), std::vector<std::string>{"tail"});
  (*c)->Close();
  EXPECT_TRUE(WaitFor([&] { return OtherProcesses(id).empty(); }));
  // No helper left behind either: capstan-cri has no children but its monitors' first forks.
  EXPECT_TRUE(WaitFor([&] {
    std::string children;
    std::string path = "/proc/" + std::to_string(cri_->pid()) + "/task/" +
                       std::to_string(cri_->pid()) + "/children";
    FILE* f = std::fopen(path.c_str(), "r");
    if (f == nullptr) return true;
    char buf[256];
    while (std::fgets(buf, sizeof(buf), f)) children += buf;
    std::fclose(f);
    for (size_t at = 0; at < children.size();) {
      size_t sp = children.find(' ', at);
      std::string pid = children.substr(at, sp - at);
      std::string cmdline;
      FILE* cf = std::fopen(("/proc/" + pid + "/cmdline").c_str(), "r");
      if (cf) {
        int ch;
        while ((ch = std::fgetc(cf)) != EOF) cmdline.push_back(ch == 0 ? ' ' : char(ch));
        std::fclose(cf);
      }
      if (cmdline.find(" exec ") != std::string::npos) return false;
      at = sp == std::string::npos ? children.size() : sp + 1;
    }
    return true;
  }));
}

TEST_F(StreamingTest, PortForwardCarriesAConnectionToThePodsLoopback) {
  CAPSTAN_REQUIRE_ROOT();
  std::string id =
      RunSleeper("port-forward", {"sh", "-c",
                                  "mkdir -p /www && echo hello from the pod > /www/index.html && "
                                  "exec httpd -f -p 8080 -h /www"});
  ASSERT_TRUE(WaitFor([&] {
    return Exec(id, {"sh", "-c", "netstat -ln | grep -q :8080"}).exit_code() == 0;
  }));
  v1::PortForwardRequest req;
  req.set_pod_sandbox_id(pod_id_);
  req.add_port(8080);
  v1::PortForwardResponse resp;
  auto st = cri_->runtime().PortForward(Ctx().get(), req, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  auto c = SpdyClient::Connect(resp.url(), {"portforward.k8s.io"});
  ASSERT_TRUE(c) << c.error().message();
  uint32_t error = (*c)->Open({{"streamtype", "error"}, {"port", "8080"}, {"requestid", "0"}});
  uint32_t data = (*c)->Open({{"streamtype", "data"}, {"port", "8080"}, {"requestid", "0"}});
  (*c)->Send(data, "GET /index.html HTTP/1.0\r\n\r\n", true);
  ASSERT_TRUE((*c)->ReadUntil([&] { return (*c)->finished.count(data) > 0; }));
  EXPECT_NE((*c)->data[data].find("200 OK"), std::string::npos) << (*c)->data[data];
  EXPECT_NE((*c)->data[data].find("hello from the pod"), std::string::npos);

  // A port nothing listens on: the error stream says so, the connection carries on.
  uint32_t error2 = (*c)->Open({{"streamtype", "error"}, {"port", "9999"}, {"requestid", "1"}});
  (*c)->Open({{"streamtype", "data"}, {"port", "9999"}, {"requestid", "1"}});
  ASSERT_TRUE((*c)->ReadUntil([&] { return (*c)->finished.count(error2) > 0; }));
  EXPECT_NE((*c)->data[error2].find("connection refused"), std::string::npos) << (*c)->data[error2];
  EXPECT_TRUE((*c)->data[error].empty());
  EXPECT_FALSE((*c)->closed);
}

TEST_F(StreamingTest, AttachJoinsTheContainersStdioWithoutTakingItFromTheLog) {
  CAPSTAN_REQUIRE_ROOT();
  image_ = PullBusybox();
  v1::PodSandboxConfig pod;
  std::string pod_id = RunPod("attach", &pod);
  auto config = ContainerConfig(
      "c", image_,
      {"sh", "-c",
       "while read line; do echo \"got $line\"; echo \"err $line\" >&2; done; echo bye"});
  config.set_stdin(true);
  config.set_stdin_once(true);
  std::string id = StartContainer(pod_id, pod, config);
  v1::AttachRequest req;
  req.set_container_id(id);
  req.set_stdin(true);
  req.set_stdout(true);
  req.set_stderr(true);
  v1::AttachResponse resp;
  auto st = cri_->runtime().Attach(Ctx().get(), req, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  auto c = SpdyClient::Connect(resp.url(), kRemoteCommand);
  ASSERT_TRUE(c) << c.error().message();
  uint32_t error = (*c)->Open({{"streamtype", "error"}});
  uint32_t in = (*c)->Open({{"streamtype", "stdin"}});
  uint32_t out = (*c)->Open({{"streamtype", "stdout"}});
  uint32_t err = (*c)->Open({{"streamtype", "stderr"}});
  ASSERT_TRUE((*c)->ReadUntil([&] { return (*c)->replied.size() == 4; }));
  (*c)->Send(in, "one\n");
  ASSERT_TRUE((*c)->ReadUntil([&] { return (*c)->data[err] == "err one\n"; }));
  EXPECT_EQ((*c)->data[out], "got one\n");
  // stdin_once: closing our stdin closes the container's, and it finishes.
  (*c)->Send(in, "", true);
  ASSERT_TRUE((*c)->ReadUntil([&] { return (*c)->finished.count(error) > 0; }));
  EXPECT_EQ((*c)->data[out], "got one\nbye\n");
  EXPECT_EQ(nlohmann::json::parse((*c)->data[error])["status"], "Success");
  ASSERT_TRUE(WaitExited(id));
  std::string log = ReadLog(Status(id).log_path());
  EXPECT_NE(log.find("stdout F got one"), std::string::npos) << log;
  EXPECT_NE(log.find("stderr F err one"), std::string::npos) << log;
}

// shareProcessNamespace: one PID namespace for the pod, whose PID 1 is capstan's pod init.
TEST_F(StreamingTest, ContainersOfAPodCanShareOnePidNamespace) {
  CAPSTAN_REQUIRE_ROOT();
  image_ = PullBusybox();
  v1::PodSandboxConfig pod = PodConfig("shared-pid", *cri_);
  pod.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(v1::POD);
  std::string pod_id = RunPod(pod);
  auto shared = [&](const std::string& name, std::vector<std::string> cmd) {
    auto c = ContainerConfig(name, image_, std::move(cmd));
    c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(v1::POD);
    return StartContainer(pod_id, pod, c);
  };
  std::string a = shared("a", {"sleep", "1001"});
  std::string b = shared("b", {"sleep", "1002"});
  auto cmdlines = [&](const std::string& id) {
    return Exec(id, {"sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '"}).stdout();
  };
  // Each sees the other, and PID 1 is the pod's init, not a container.
  EXPECT_NE(cmdlines(a).find("sleep 1002"), std::string::npos) << cmdlines(a);
  EXPECT_NE(cmdlines(b).find("sleep 1001"), std::string::npos) << cmdlines(b);
  std::string init = Exec(b, {"cat", "/proc/1/cmdline"}).stdout();
  EXPECT_NE(init.find("pod-init"), std::string::npos) << init;
  // An orphan is reaped by the init rather than left a zombie.
  Exec(a, {"sh", "-c", "sleep 0.1 & exit 0"});
  EXPECT_TRUE(WaitFor([&] {
    return Exec(b, {"sh", "-c", "grep -l '^State:.*Z' /proc/[0-9]*/status"}).stdout().empty();
  }));
  // A pod that asks for a namespace per container (as the kubelet does by default, and
  // PodConfig here) has one.
  v1::PodSandboxConfig own;
  std::string own_id = RunPod("own-pid", &own);
  std::string c = StartContainer(own_id, own, ContainerConfig("c", image_, {"sleep", "1003"}));
  EXPECT_EQ(Exec(c, {"cat", "/proc/1/cmdline"}).stdout(), std::string("sleep\0"
                                                                      "1003\0",
                                                                      11));

  // Stopping the pod ends the namespace and its init.
  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(pod_id);
  v1::StopPodSandboxResponse stopped;
  ASSERT_TRUE(cri_->runtime().StopPodSandbox(Ctx().get(), stop, &stopped).ok());
  std::string ps;
  SpawnOptions opts;
  opts.argv = {"/usr/bin/pgrep", "-f", "pod-init --pid-file .*" + pod_id};
  auto left = RunCommand(opts);
  ASSERT_TRUE(left);
  EXPECT_NE(left->exit_code, 0) << left->out;
}

// Clients that leave mid-stream, over and over: capstan-cri ends up with the fds and threads
// it had (a leak per stream would show ten times over).
TEST_F(StreamingTest, DroppedStreamsLeaveNoFdOrThreadBehind) {
  CAPSTAN_REQUIRE_ROOT();
  std::string id = RunSleeper("exec-leak");
  auto count = [&](const char* dir) {
    size_t n = 0;
    std::string path = "/proc/" + std::to_string(cri_->pid()) + "/" + dir;
    if (DIR* d = ::opendir(path.c_str())) {
      while (::readdir(d) != nullptr) ++n;
      ::closedir(d);
    }
    return n;
  };
  auto drop_one = [&](bool tty) {
    std::string url =
        ExecUrl(id, {"sh", "-c", "echo started; exec sleep 1000"}, tty, true, true, !tty);
    auto c = SpdyClient::Connect(url, kRemoteCommand);
    ASSERT_TRUE(c) << c.error().message();
    (*c)->Open({{"streamtype", "error"}});
    (*c)->Open({{"streamtype", "stdin"}});
    uint32_t out = (*c)->Open({{"streamtype", "stdout"}});
    (*c)->Open({{"streamtype", tty ? "resize" : "stderr"}});
    ASSERT_TRUE(
        (*c)->ReadUntil([&] { return (*c)->data[out].find("started") != std::string::npos; }));
    (*c)->Close();
  };
  drop_one(false);  // warms up whatever capstan-cri makes once
  ASSERT_TRUE(WaitFor([&] { return OtherProcesses(id).empty(); }));
  size_t fds = count("fd"), threads = count("task");
  for (int i = 0; i < 10; ++i) drop_one(i % 2 == 1);
  EXPECT_TRUE(WaitFor([&] { return OtherProcesses(id).empty(); }));
  EXPECT_TRUE(WaitFor([&] { return count("fd") <= fds && count("task") <= threads + 2; }))
      << "fds " << fds << " -> " << count("fd") << ", threads " << threads << " -> "
      << count("task");
}

TEST_F(StreamingTest, StreamingRequestsAreChecked) {
  CAPSTAN_REQUIRE_ROOT();
  std::string id = RunSleeper("checks");
  v1::ExecRequest req;
  req.set_container_id(id);
  req.add_cmd("sh");
  v1::ExecResponse resp;
  // No stream at all, and a tty with a separate stderr, as containerd refuses them.
  auto st = cri_->runtime().Exec(Ctx().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  req.set_tty(true);
  req.set_stdout(true);
  req.set_stderr(true);
  st = cri_->runtime().Exec(Ctx().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  req.set_container_id("no-such-container");
  req.set_stderr(false);
  st = cri_->runtime().Exec(Ctx().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);

  // A client that offers no protocol we speak, and one that does not ask to upgrade.
  std::string url = ExecUrl(id, {"true"}, false, false, true, false);
  int code = 0;
  std::string body;
  EXPECT_FALSE(SpdyClient::Connect(url, {"v9.channel.k8s.io"}, &code, &body));
  EXPECT_EQ(code, 403) << body;

  // A client that never opens its streams is let go (here: closes before the deadline).
  url = ExecUrl(id, {"true"}, false, false, true, false);
  auto c = SpdyClient::Connect(url, kRemoteCommand);
  ASSERT_TRUE(c);
  (*c)->Close();
  EXPECT_TRUE(WaitFor([&] { return OtherProcesses(id).empty(); }));
}

}  // namespace
}  // namespace capstan::integration
