// Limits that hold against a container trying to exceed them.
#include <fstream>

#include "integration/cri/cri_test_env.h"

namespace capstan::integration {
namespace {

class PidsLimitTest : public CriTest {
 protected:
  std::string ExtraConfig() const override { return "runtime:\n  pids_limit: 12\n"; }
};

TEST_F(PidsLimitTest, ForkBombStopsAtTheLimit) {
  std::string image = PullBusybox();
  v1::PodSandboxConfig pod;
  std::string pod_id = RunPod("forky", &pod);
  std::string id = StartContainer(pod_id, pod, ContainerConfig("c", image, {"sleep", "1000"}));
  // 30 background sleeps: forks start failing once pids.max is reached.
  auto out = Exec(id, {"/bin/sh", "-c",
                       "for i in $(seq 1 30); do sleep 100 >/dev/null 2>&1 & done; echo done"});
  EXPECT_NE(out.stderr().find("fork"), std::string::npos) << out.stdout() << out.stderr();
  std::string cg = "/sys/fs/cgroup/pids" + cri_->cgroup_parent() + "/forky/" + id;
  int64_t max = 0, current = 0;
  std::ifstream(cg + "/pids.max") >> max;
  std::ifstream(cg + "/pids.current") >> current;
  EXPECT_EQ(max, 12);
  EXPECT_LE(current, 12);
  EXPECT_GT(current, 5);
}

}  // namespace
}  // namespace capstan::integration
