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
  EXPECT_FALSE(api_.Get(kDeployments, "default", "keep-pods"));  // gone with its finalizer
  // Foreground: the dependent is deleted first, the owner keeps its finalizer meanwhile...
  EXPECT_FALSE(api_.Get(kReplicaSets, "default", "wait-1"));
  EXPECT_EQ((*api_.Get(kDeployments, "default", "wait"))["metadata"]["finalizers"].size(), 1u);
  // ... and loses it (and so goes) once the informer shows no dependent left.
  SyncAll();
  clock_.Advance(std::chrono::seconds(1));
  Drain();
  EXPECT_FALSE(api_.Get(kDeployments, "default", "wait"));
}

// kubectl delete deploy --cascade=foreground: the ReplicaSet goes in the foreground too, so
// the Deployment stays until the last pod is gone, even one a finalizer holds.
TEST_F(GarbageCollectorTest, ForegroundDeletionWaitsForGrandchildren) {
  auto d = api_.Create(
      kDeployments, "default",
      {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", {{"name", "web"}}}});
  auto rs = api_.Create(
      kReplicaSets, "default",
      Owned("ReplicaSet", "web-1", {Ref("Deployment", "web", (*d)["metadata"]["uid"])}));
  Json held = Owned("Pod", "web-1-a", {Ref("ReplicaSet", "web-1", (*rs)["metadata"]["uid"])});
  held["metadata"]["finalizers"] = {"example.com/hold"};
  ASSERT_TRUE(api_.Create(kPods, "default", held));
  ASSERT_TRUE(
      api_.Create(kPods, "default",
                  Owned("Pod", "web-1-b", {Ref("ReplicaSet", "web-1", (*rs)["metadata"]["uid"])})));
  ASSERT_TRUE(api_.Delete(kDeployments, "default", "web", -1, "Foreground"));
  for (int round = 0; round < 3; ++round) {
    SyncAll();
    clock_.Advance(std::chrono::seconds(1));
    Drain();
  }
  auto set = api_.Get(kReplicaSets, "default", "web-1");
  ASSERT_TRUE(set);
  EXPECT_EQ((*set)["metadata"]["finalizers"], Json({"foregroundDeletion"}));
  EXPECT_FALSE(api_.Get(kPods, "default", "web-1-b"));
  ASSERT_TRUE(api_.Get(kPods, "default", "web-1-a"));
  EXPECT_TRUE((*api_.Get(kPods, "default", "web-1-a"))["metadata"].contains("deletionTimestamp"));
  ASSERT_TRUE(api_.Get(kDeployments, "default", "web"));

  // The finalizer released: the pod, then its ReplicaSet, then the Deployment go.
  ASSERT_TRUE(api_.Patch(kPods, "default", "web-1-a", client::PatchType::kMerge,
                         {{"metadata", {{"finalizers", nullptr}}}}, ""));
  for (int round = 0; round < 3; ++round) {
    SyncAll();
    clock_.Advance(std::chrono::seconds(1));
    Drain();
  }
  EXPECT_FALSE(api_.Get(kReplicaSets, "default", "web-1"));
  EXPECT_FALSE(api_.Get(kDeployments, "default", "web"));
}

}  // namespace
}  // namespace capstan::control_plane::controllers
