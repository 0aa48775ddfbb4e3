// GarbageCollector: dependents of deleted owners go; live owners, unknown kinds and owners
// the cache has not seen yet keep theirs.
#include "control-plane/controllers/garbage_collector.h"

#include "tests/control-plane/controllers/fixture.h"

namespace capstan::control_plane::controllers {
namespace {

using client::resources::kDeployments;
using client::resources::kPods;
using client::resources::kReplicaSets;

Json Owned(const std::string& kind, const std::string& name, Json refs) {
  return {{"apiVersion", kind == "Pod" ? "v1" : "apps/v1"},
          {"kind", kind},
          {"metadata", {{"name", name}, {"ownerReferences", refs}}}};
}

Json Ref(const std::string& kind, const std::string& name, const std::string& uid) {
  return {{"apiVersion", "apps/v1"},
          {"kind", kind},
          {"name", name},
          {"uid", uid},
          {"controller", true}};
}

class GarbageCollectorTest : public ControllerFixture {
 protected:
  void SyncAll() {
    Sync(pods_);
    Sync(sets_);
    Sync(deployments_);
  }
  void Drain() {
    for (int i = 0; i < 100 && gc_.ProcessNext(); ++i) {
    }
  }
  client::Reflector pods_{&api_, kPods, "", {}};
  client::Reflector sets_{&api_, kReplicaSets, "", {}};
  client::Reflector deployments_{&api_, kDeployments, "", {}};
  GarbageCollector gc_{&api_, &clock_,
                       std::map<std::string, GarbageCollector::Watched>{
                           {"Pod", {kPods, &pods_}},
                           {"ReplicaSet", {kReplicaSets, &sets_}},
                           {"Deployment", {kDeployments, &deployments_}}}};
};

TEST_F(GarbageCollectorTest, DeletingAnOwnerDeletesItsDependentsInTurn) {
  auto d = api_.Create(
      kDeployments, "default",
      {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", {{"name", "web"}}}});
  auto rs = api_.Create(
      kReplicaSets, "default",
      Owned("ReplicaSet", "web-abc", {Ref("Deployment", "web", (*d)["metadata"]["uid"])}));
  ASSERT_TRUE(api_.Create(
      kPods, "default",
      Owned("Pod", "web-abc-1", {Ref("ReplicaSet", "web-abc", (*rs)["metadata"]["uid"])})));
  ASSERT_TRUE(
      api_.Create(kPods, "default", Owned("Pod", "job-pod", {Ref("Job", "nightly", "some-uid")})));
  SyncAll();
  Drain();
  EXPECT_EQ(Items(kReplicaSets).size(), 1u);  // owners alive: nothing goes
  EXPECT_EQ(Items(kPods).size(), 2u);

  ASSERT_TRUE(api_.Delete(kDeployments, "default", "web", 0));
  SyncAll();
  Drain();
  EXPECT_TRUE(Items(kReplicaSets).empty());
  SyncAll();
  Drain();
  auto pods = Items(kPods);
  ASSERT_EQ(pods.size(), 1u);  // the pod of a kind it does not watch stays
  EXPECT_EQ(pods[0]["metadata"]["name"], "job-pod");
}

TEST_F(GarbageCollectorTest, AnOwnerTheCacheHasNotSeenIsAskedFor) {
  auto d = api_.Create(
      kDeployments, "default",
      {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", {{"name", "new"}}}});
  ASSERT_TRUE(api_.Create(kReplicaSets, "default",
                          Owned("ReplicaSet", "new-abc",
                                {Ref("Deployment", "new", (*d)["metadata"]["uid"]),
                                 Ref("Deployment", "gone", "old-uid")})));
  Sync(sets_);  // the deployments informer has not listed yet
  Drain();
  auto sets = Items(kReplicaSets);
  ASSERT_EQ(sets.size(), 1u);
  // Only the dangling reference was dropped.
  ASSERT_EQ(sets[0]["metadata"]["ownerReferences"].size(), 1u);
  EXPECT_EQ(sets[0]["metadata"]["ownerReferences"][0]["name"], "new");
}

TEST_F(GarbageCollectorTest, OrphanAndForegroundDeletionActOnTheirFinalizers) {
  auto deleting = [&](const std::string& name, const std::string& finalizer) {
    return api_.Create(kDeployments, "default",
                       {{"apiVersion", "apps/v1"},
                        {"kind", "Deployment"},
                        {"metadata",
                         {{"name", name},
                          {"deletionTimestamp", "2026-01-01T00:00:00Z"},
                          {"finalizers", {finalizer}}}}});
  };
  auto orphaning = deleting("keep-pods", "orphan");
  auto foreground = deleting("wait", "foregroundDeletion");
  ASSERT_TRUE(
      api_.Create(kReplicaSets, "default",
                  Owned("ReplicaSet", "keep-pods-1",
                        {Ref("Deployment", "keep-pods", (*orphaning)["metadata"]["uid"])})));
  ASSERT_TRUE(api_.Create(kReplicaSets, "default",
                          Owned("ReplicaSet", "wait-1",
                                {Ref("Deployment", "wait", (*foreground)["metadata"]["uid"])})));
  SyncAll();
  Drain();
  // Orphan: the ReplicaSet stays, without its owner; the finalizer is gone.
  auto kept = api_.Get(kReplicaSets, "default", "keep-pods-1");
  ASSERT_TRUE(kept);
  EXPECT_TRUE((*kept)["metadata"]["ownerReferences"].empty());
  EXPECT_TRUE((*api_.Get(kDeployments, "default", "keep-pods"))["metadata"]["finalizers"].empty());
  // Foreground: the dependent is deleted first, the owner keeps its finalizer meanwhile...
  EXPECT_FALSE(api_.Get(kReplicaSets, "default", "wait-1"));
  EXPECT_EQ((*api_.Get(kDeployments, "default", "wait"))["metadata"]["finalizers"].size(), 1u);
  // ... and loses it once the informer shows no dependent left.
  SyncAll();
  clock_.Advance(std::chrono::seconds(1));
  Drain();
  EXPECT_TRUE((*api_.Get(kDeployments, "default", "wait"))["metadata"]["finalizers"].empty());
}

}  // namespace
}  // namespace capstan::control_plane::controllers
