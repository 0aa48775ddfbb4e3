// LeaderElector: one holder at a time; a standby takes over only once the lease went
// unrenewed for its duration as the standby saw it; a released lease is taken at once.
#include "control-plane/controllers/leader_elector.h"

#include "tests/control-plane/controllers/fixture.h"

namespace capstan::control_plane::controllers {
namespace {

using client::resources::kLeases;

class LeaderElectorTest : public ControllerFixture {
 protected:
  LeaderElectionConfig Config(const std::string& identity) {
    LeaderElectionConfig c;
    c.name = "kube-controller-manager";
    c.identity = identity;
    return c;
  }
  Json Lease() { return *api_.Get(kLeases, "kube-system", "kube-controller-manager"); }

  int a_started_ = 0, a_stopped_ = 0;
  LeaderElector a_{&api_, &clock_, Config("host-a_1"), [this] { ++a_started_; },
                   [this] { ++a_stopped_; }};
  LeaderElector b_{&api_, &clock_, Config("host-b_2"), [] {}, [] {}};
};

TEST_F(LeaderElectorTest, AStandbyTakesOverOnlyAfterTheLeaseLapses) {
  EXPECT_TRUE(a_.TryAcquireOrRenew());
  Json lease = Lease();
  EXPECT_EQ(lease["spec"]["holderIdentity"], "host-a_1");
  EXPECT_EQ(lease["spec"]["leaseDurationSeconds"], 15);
  EXPECT_EQ(lease["spec"]["leaseTransitions"], 0);
  EXPECT_FALSE(b_.TryAcquireOrRenew());

  // A renews: B keeps waiting however long it has been watching.
  for (int i = 0; i < 10; ++i) {
    clock_.Advance(std::chrono::seconds(2));
    EXPECT_TRUE(a_.TryAcquireOrRenew());
    EXPECT_FALSE(b_.TryAcquireOrRenew());
  }
  EXPECT_EQ(Lease()["spec"]["acquireTime"], lease["spec"]["acquireTime"]);
  EXPECT_NE(Lease()["spec"]["renewTime"], lease["spec"]["renewTime"]);

  // A goes silent: 14 s is not enough, 16 s is.
  clock_.Advance(std::chrono::seconds(14));
  EXPECT_FALSE(b_.TryAcquireOrRenew());
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_TRUE(b_.TryAcquireOrRenew());
  EXPECT_EQ(Lease()["spec"]["holderIdentity"], "host-b_2");
  EXPECT_EQ(Lease()["spec"]["leaseTransitions"], 1);
  // A, back, finds it taken.
  EXPECT_FALSE(a_.TryAcquireOrRenew());
}

TEST_F(LeaderElectorTest, StoppingTheLeaderReleasesTheLease) {
  a_.Start();
  for (int i = 0; i < 2000 && !a_.IsLeader(); ++i) {  // up to 10 s on a busy machine
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(a_.IsLeader());
  EXPECT_EQ(a_started_, 1);
  EXPECT_FALSE(b_.TryAcquireOrRenew());
  a_.Stop();
  EXPECT_EQ(a_stopped_, 1);
  EXPECT_TRUE(Lease()["spec"]["holderIdentity"].is_null());
  EXPECT_TRUE(b_.TryAcquireOrRenew());  // no waiting out a released lease
  EXPECT_EQ(Lease()["spec"]["holderIdentity"], "host-b_2");
}

}  // namespace
}  // namespace capstan::control_plane::controllers
