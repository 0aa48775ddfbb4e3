// Exec, attach, port-forward and run through the kubelet's API (what the API server reaches
// for `kubectl exec`, `attach`, `port-forward` and `cp`), over capstan-cri and over Debian's
// containerd: the kubelet asks the runtime for its streaming URL and relays the client's
// upgraded connection to it.
#include <nlohmann/json.hpp>

#include "common/process.h"
#include "integration/cri/spdy_client.h"
#include "integration/kubelet/kubelet_node.h"
#include "integration/kubelet/manifests.h"

namespace capstan::integration::kubelet {
namespace {

const std::vector<std::string> kRemoteCommand = {"v4.channel.k8s.io", "v3.channel.k8s.io",
                                                 "v2.channel.k8s.io", "channel.k8s.io"};

class KubeletStreaming : public KubeletTest, public ::testing::WithParamInterface<RuntimeKind> {
 protected:
  RuntimeKind Runtime() const override { return GetParam(); }
  // No API server: anonymous clients are allowed, as in NodeApi.
  std::string ExtraKubeletConfig() const override {
    return "authentication:\n  anonymous:\n    enabled: true\n  webhook:\n    enabled: false\n"
           "authorization:\n  mode: AlwaysAllow\n";
  }
  std::string Base() const { return "https://127.0.0.1:" + std::to_string(secure_port_); }

  // POST with curl; the body, and the status in `code`.
  std::string Post(const std::string& path, int* code) {
    SpawnOptions opts;
    opts.argv = {"/usr/bin/curl",  "-sk",        "-X", "POST", "--max-time", "20", "-w",
                 "\n%{http_code}", Base() + path};
    auto out = RunCommand(opts, std::chrono::seconds(25));
    if (!out) return "";
    auto nl = out->out.rfind('\n');
    *code = std::atoi(out->out.c_str() + nl + 1);
    return out->out.substr(0, nl);
  }
};

TEST_P(KubeletStreaming, ExecAttachPortForwardAndRun) {
  WriteManifest("stream.yaml", PodYaml("stream", R"(
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: IMAGE
    command: ["sh", "-c", "mkdir -p /www && echo served > /www/index.html && httpd -p 8080 -h /www && exec sleep 3600"]
  - name: talker
    image: IMAGE
    stdin: true
    command: ["sh", "-c", "while read l; do echo \"heard $l\"; done"]
)",
                                       Image()));
  std::string pod = PodName("stream");
  ASSERT_TRUE(Eventually([&] { return Running(pod).size() == 2; }, 60));
  std::string app = "/default/" + pod + "/app";

  // exec: stdin piped in, both outputs back, the exit code in the v4 status.
  auto c = SpdyClient::Connect(Base() + "/exec" + app +
                                   "?command=sh&command=-c&command=cat%3B%20echo%20e%20%3E%262%3B"
                                   "%20exit%205&input=1&output=1&error=1",
                               kRemoteCommand);
  ASSERT_TRUE(c) << c.error().message() << "\n" << KubeletLog();
  EXPECT_EQ((*c)->protocol(), "v4.channel.k8s.io");
  uint32_t error = (*c)->Open({{"streamtype", "error"}});
  uint32_t in = (*c)->Open({{"streamtype", "stdin"}});
  uint32_t out = (*c)->Open({{"streamtype", "stdout"}});
  uint32_t err = (*c)->Open({{"streamtype", "stderr"}});
  ASSERT_TRUE((*c)->ReadUntil([&] { return (*c)->replied.size() == 4; }))
      << (*c)->replied.size() << " replies, closed " << (*c)->closed << ", reset "
      << (*c)->reset.size();
  (*c)->Send(in, "piped\n", true);
  // Go's servers (containerd) end the error stream by closing the connection.
  ASSERT_TRUE((*c)->ReadUntil([&] { return (*c)->finished.count(error) > 0 || (*c)->closed; }));
  EXPECT_EQ((*c)->data[out], "piped\n");
  EXPECT_EQ((*c)->data[err], "e\n");
  auto status = nlohmann::json::parse((*c)->data[error], nullptr, false);
  EXPECT_EQ(status["details"]["causes"][0]["message"], "5") << (*c)->data[error];

  // exec with a terminal.
  c = SpdyClient::Connect(Base() + "/exec" + app + "?command=tty&output=1&tty=1", kRemoteCommand);
  ASSERT_TRUE(c) << c.error().message();
  error = (*c)->Open({{"streamtype", "error"}});
  out = (*c)->Open({{"streamtype", "stdout"}});
  (*c)->Open({{"streamtype", "resize"}});
  ASSERT_TRUE((*c)->ReadUntil([&] { return (*c)->finished.count(error) > 0 || (*c)->closed; }));
  EXPECT_NE((*c)->data[out].find("/dev/pts/"), std::string::npos) << (*c)->data[out];

  // attach: the talker answers what we type.
  c = SpdyClient::Connect(Base() + "/attach/default/" + pod + "/talker?input=1&output=1&error=1",
                          kRemoteCommand);
  ASSERT_TRUE(c) << c.error().message();
  (*c)->Open({{"streamtype", "error"}});
  in = (*c)->Open({{"streamtype", "stdin"}});
  out = (*c)->Open({{"streamtype", "stdout"}});
  (*c)->Open({{"streamtype", "stderr"}});
  ASSERT_TRUE((*c)->ReadUntil([&] { return (*c)->replied.size() == 4; }));
  (*c)->Send(in, "hello\n");
  EXPECT_TRUE((*c)->ReadUntil([&] { return (*c)->data[out] == "heard hello\n"; }))
      << (*c)->data[out];
  (*c)->Close();

  // port-forward to the pod's httpd.
  c = SpdyClient::Connect(Base() + "/portForward/default/" + pod, {"portforward.k8s.io"});
  ASSERT_TRUE(c) << c.error().message();
  (*c)->Open({{"streamtype", "error"}, {"port", "8080"}, {"requestid", "0"}});
  uint32_t data = (*c)->Open({{"streamtype", "data"}, {"port", "8080"}, {"requestid", "0"}});
  (*c)->Send(data, "GET /index.html HTTP/1.0\r\n\r\n");
  ASSERT_TRUE((*c)->ReadUntil([&] { return (*c)->finished.count(data) > 0 || (*c)->closed; }));
  EXPECT_NE((*c)->data[data].find("served"), std::string::npos) << (*c)->data[data];

  // run: the output of a command, no stream.
  int code = 0;
  EXPECT_EQ(Post("/run" + app + "?cmd=cat%20/www/index.html", &code), "served\n");
  EXPECT_EQ(code, 200);

  // A plain request to a streaming endpoint, an unknown container, an unknown pod.
  SpawnOptions plain;
  plain.argv = {"/usr/bin/curl",
                "-sk",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                Base() + "/exec" + app + "?command=true&output=1"};
  auto plain_out = RunCommand(plain);
  ASSERT_TRUE(plain_out);
  EXPECT_EQ(plain_out->out, "400");
  int status_code = 0;
  EXPECT_FALSE(SpdyClient::Connect(Base() + "/exec/default/" + pod + "/nope?command=true&output=1",
                                   kRemoteCommand, &status_code));
  EXPECT_EQ(status_code, 404);
  EXPECT_FALSE(SpdyClient::Connect(Base() + "/exec/default/nope/app?command=true&output=1",
                                   kRemoteCommand, &status_code));
  EXPECT_EQ(status_code, 404);
  RemoveManifest("stream.yaml");
}

INSTANTIATE_TEST_SUITE_P(Runtimes, KubeletStreaming,
                         ::testing::Values(RuntimeKind::kCapstan, RuntimeKind::kContainerd),
                         [](const auto& info) { return RuntimeName(info.param); });

}  // namespace
}  // namespace capstan::integration::kubelet
