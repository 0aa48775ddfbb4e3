// Pods the kubelet runs the same way over capstan-cri and over Debian's containerd: the CRI
// is the seam, so the same manifests must give the same pods on either runtime.
#include <filesystem>
#include <fstream>

#include "integration/kubelet/kubelet_node.h"
#include "integration/kubelet/manifests.h"

namespace capstan::integration::kubelet {
namespace {

class BothRuntimes : public KubeletTest, public ::testing::WithParamInterface<RuntimeKind> {
 protected:
  RuntimeKind Runtime() const override { return GetParam(); }
};

TEST_P(BothRuntimes, TwoContainerPodRunsAndStops) {
  WriteManifest("two.yaml", PodYaml("two", R"(
  terminationGracePeriodSeconds: 2
  containers:
  - name: a
    image: IMAGE
    command: ["sh", "-c", "echo a-up; exec sleep 3600"]
  - name: b
    image: IMAGE
    command: ["sh", "-c", "echo b-up; exec sleep 3600"]
)",
                                    Image()));
  std::string pod = PodName("two");
  ASSERT_TRUE(Eventually([&] { return Running(pod).size() == 2; }, 60));
  auto sandboxes = Sandboxes(pod);
  ASSERT_EQ(sandboxes.size(), 1u);
  EXPECT_EQ(sandboxes[0].state(), v1::SANDBOX_READY);
  EXPECT_EQ(sandboxes[0].metadata().namespace_(), "default");

  // Each container logs to the file the kubelet chose under podLogsDir.
  for (const char* name : {"a", "b"}) {
    auto c = Latest(pod, name);
    ASSERT_TRUE(c);
    std::string path = Status(c->id()).log_path();
    EXPECT_EQ(path.rfind(dir_ + "/pod-logs/default_" + pod + "_", 0), 0u) << path;
    EXPECT_TRUE(Eventually(
        [&] {
          std::ifstream in(path);
          std::string all((std::istreambuf_iterator<char>(in)), {});
          return all.find(std::string(name) + "-up") != std::string::npos;
        },
        10))
        << path;
  }
  // The kubelet reports the pod Running and Ready, with an address on the test's bridge.
  ASSERT_TRUE(Eventually([&] { return Condition(PodStatus(pod), "Ready") == "True"; }, 20));
  json status = PodStatus(pod);
  EXPECT_EQ(status.value("phase", ""), "Running");
  EXPECT_EQ(status.value("podIP", "").rfind(subnet_prefix_ + ".", 0), 0u) << status.dump();
  EXPECT_EQ(ContainerStatusOf(status, "a").value("restartCount", -1), 0);

  RemoveManifest("two.yaml");
  EXPECT_TRUE(Eventually([&] { return Containers(pod).empty() && Sandboxes(pod).empty(); }, 30));
}

TEST_P(BothRuntimes, InitContainersRunOneAtATimeEachToSuccess) {
  WriteManifest("init.yaml", PodYaml("init", R"(
  terminationGracePeriodSeconds: 1
  volumes:
  - name: host
    hostPath: {path: HOSTDIR, type: Directory}
  initContainers:
  - name: first
    image: IMAGE
    command: ["sh", "-c", "until [ -f /host/go1 ]; do sleep 0.1; done; echo first >> /host/order"]
    volumeMounts: [{name: host, mountPath: /host}]
  - name: second
    image: IMAGE
    command: ["sh", "-c", "until [ -f /host/go2 ]; do sleep 0.1; done; echo second >> /host/order"]
    volumeMounts: [{name: host, mountPath: /host}]
  containers:
  - name: app
    image: IMAGE
    command: ["sh", "-c", "cat /host/order; exec sleep 3600"]
    volumeMounts: [{name: host, mountPath: /host}]
)",
                                     Image(), HostDir()));
  std::string pod = PodName("init");
  ASSERT_TRUE(Eventually([&] { return Running(pod).size() == 1; }, 60));
  EXPECT_EQ(Running(pod)[0].metadata().name(), "first");
  // Nothing else starts while the first init container waits.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ASSERT_EQ(Containers(pod).size(), 1u);
  json status = PodStatus(pod);
  EXPECT_EQ(status.value("phase", ""), "Pending") << status.dump();
  EXPECT_EQ(Condition(status, "Initialized"), "False");

  std::ofstream(HostDir() + "/go1") << "";
  ASSERT_TRUE(Eventually(
      [&] {
        auto r = Running(pod);
        return r.size() == 1 && r[0].metadata().name() == "second";
      },
      30));
  auto first = Latest(pod, "first");
  ASSERT_TRUE(first);
  EXPECT_EQ(Status(first->id()).exit_code(), 0);
  EXPECT_FALSE(Latest(pod, "app"));

  std::ofstream(HostDir() + "/go2") << "";
  ASSERT_TRUE(Eventually(
      [&] {
        auto r = Running(pod);
        return r.size() == 1 && r[0].metadata().name() == "app";
      },
      30));
  std::ifstream order(HostDir() + "/order");
  std::string all((std::istreambuf_iterator<char>(order)), {});
  EXPECT_EQ(all, "first\nsecond\n");
  ASSERT_TRUE(Eventually([&] { return Condition(PodStatus(pod), "Initialized") == "True"; }, 20));
  status = PodStatus(pod);
  EXPECT_EQ(ContainerStatusOf(status, "first")["state"]["terminated"].value("reason", ""),
            "Completed")
      << status.dump();
  // Init containers run once: they are not restarted while the app runs.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(Containers(pod).size(), 3u);
}

// subPath binds what is inside the volume, and nothing a symlink in it points at outside
// (CVE-2017-1002101).
TEST_P(BothRuntimes, SubPathMountsStayInsideTheVolume) {
  std::filesystem::create_directories(HostDir() + "/data");
  std::ofstream(HostDir() + "/data/msg") << "inside\n";
  std::filesystem::create_symlink("/etc", HostDir() + "/escape");
  WriteManifest("subpath.yaml", PodYaml("subpath", R"(
  terminationGracePeriodSeconds: 1
  volumes:
  - name: host
    hostPath: {path: HOSTDIR, type: Directory}
  containers:
  - name: ok
    image: IMAGE
    command: ["sh", "-c", "cat /data/msg /msg; exec sleep 3600"]
    volumeMounts:
    - {name: host, mountPath: /data, subPath: data}
    - {name: host, mountPath: /msg, subPath: data/msg}
  - name: bad
    image: IMAGE
    command: ["sh", "-c", "exec sleep 3600"]
    volumeMounts: [{name: host, mountPath: /etc-from-host, subPath: escape}]
)",
                                        Image(), HostDir()));
  std::string pod = PodName("subpath");
  ASSERT_TRUE(Eventually([&] { return Running(pod).size() == 1; }, 60));
  EXPECT_EQ(Running(pod)[0].metadata().name(), "ok");
  ASSERT_TRUE(Eventually(
      [&] {
        json waiting = ContainerStatusOf(PodStatus(pod), "bad")["state"]["waiting"];
        return waiting.is_object() && waiting.value("reason", "") == "CreateContainerConfigError" &&
               waiting.value("message", "").find("leads outside volume") != std::string::npos;
      },
      30))
      << PodStatus(pod).dump();
  EXPECT_FALSE(Latest(pod, "bad"));  // never created
  auto ok = Latest(pod, "ok");
  ASSERT_TRUE(ok);
  std::string log_path = Status(ok->id()).log_path();
  EXPECT_TRUE(Eventually(
      [&] {
        std::ifstream in(log_path);
        std::string all((std::istreambuf_iterator<char>(in)), {});
        return all.find("inside") != std::string::npos &&
               all.find("inside", all.find("inside") + 1) != std::string::npos;
      },
      10))
      << log_path;

  RemoveManifest("subpath.yaml");
  EXPECT_TRUE(Eventually([&] { return Containers(pod).empty() && Sandboxes(pod).empty(); }, 30));
  // The binds are gone and the volume's files are not.
  EXPECT_TRUE(Eventually(
      [&] {
        std::error_code ec;
        for (const auto& e :
             std::filesystem::recursive_directory_iterator(dir_ + "/kubelet/pods", ec)) {
          if (e.path().filename() == "volume-subpaths") return false;
        }
        return true;
      },
      20));
  EXPECT_TRUE(std::filesystem::exists(HostDir() + "/data/msg"));
}

INSTANTIATE_TEST_SUITE_P(Runtimes, BothRuntimes,
                         ::testing::Values(RuntimeKind::kCapstan, RuntimeKind::kContainerd),
                         [](const auto& info) { return RuntimeName(info.param); });

}  // namespace
}  // namespace capstan::integration::kubelet
