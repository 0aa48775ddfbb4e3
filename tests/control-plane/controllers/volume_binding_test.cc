// The binder's matching: class, mode, access modes, size, selector, volumeName, claimRef,
// and the smallest fit first.
#include "control-plane/controllers/volume_binding.h"

#include <gtest/gtest.h>

namespace capstan::control_plane::controllers {
namespace {

Json Volume(const std::string& name, const std::string& size, Json extra = Json::object()) {
  Json v = {{"metadata", {{"name", name}, {"labels", {{"tier", "fast"}}}}},
            {"spec",
             {{"capacity", {{"storage", size}}},
              {"accessModes", {"ReadWriteOnce", "ReadOnlyMany"}},
              {"hostPath", {{"path", "/tmp/" + name}}}}},
            {"status", {{"phase", "Available"}}}};
  v["spec"].update(extra);
  return v;
}

Json Claim(const std::string& size, Json extra = Json::object()) {
  Json c = {
      {"metadata", {{"name", "data"}, {"namespace", "default"}, {"uid", "c-1"}}},
      {"spec",
       {{"accessModes", {"ReadWriteOnce"}}, {"resources", {{"requests", {{"storage", size}}}}}}}};
  c["spec"].update(extra);
  return c;
}

TEST(VolumeBindingTest, TheSmallestVolumeThatFitsWins) {
  std::vector<Json> volumes = {Volume("big", "10Gi"), Volume("small", "1Gi"),
                               Volume("medium", "2Gi"), Volume("tiny", "500Mi")};
  auto match = FindMatchingVolume(Claim("1Gi"), volumes);
  ASSERT_TRUE(match);
  EXPECT_EQ(volumes[*match]["metadata"]["name"], "small");
  match = FindMatchingVolume(Claim("1500Mi"), volumes);
  ASSERT_TRUE(match);
  EXPECT_EQ(volumes[*match]["metadata"]["name"], "medium");
  EXPECT_FALSE(FindMatchingVolume(Claim("20Gi"), volumes));
}

TEST(VolumeBindingTest, ClassModeAccessAndSelectorMustAllAgree) {
  std::vector<Json> volumes = {Volume("v", "1Gi")};
  EXPECT_TRUE(FindMatchingVolume(Claim("1Gi"), volumes));
  EXPECT_FALSE(FindMatchingVolume(Claim("1Gi", {{"storageClassName", "fast"}}), volumes));
  EXPECT_FALSE(FindMatchingVolume(Claim("1Gi", {{"volumeMode", "Block"}}), volumes));
  EXPECT_FALSE(FindMatchingVolume(Claim("1Gi", {{"accessModes", {"ReadWriteMany"}}}), volumes));
  EXPECT_TRUE(FindMatchingVolume(
      Claim("1Gi", {{"selector", {{"matchLabels", {{"tier", "fast"}}}}}}), volumes));
  EXPECT_FALSE(FindMatchingVolume(
      Claim("1Gi", {{"selector", {{"matchLabels", {{"tier", "slow"}}}}}}), volumes));
  EXPECT_EQ(Mismatch(Claim("1Gi", {{"accessModes", {"ReadWriteMany"}}}), volumes[0]),
            "access mode ReadWriteMany not offered");
  // The class may come from the legacy annotation.
  Json annotated = Volume("old", "1Gi");
  annotated["metadata"]["annotations"] = {{"volume.beta.kubernetes.io/storage-class", "fast"}};
  EXPECT_EQ(VolumeClass(annotated), "fast");
  EXPECT_TRUE(FindMatchingVolume(Claim("1Gi", {{"storageClassName", "fast"}}), {annotated}));
}

TEST(VolumeBindingTest, TakenReleasedAndNamedVolumes) {
  Json taken =
      Volume("taken", "1Gi", {{"claimRef", {{"namespace", "default"}, {"name", "other"}}}});
  Json released = Volume("released", "1Gi");
  released["status"]["phase"] = "Released";
  Json free = Volume("free", "5Gi");
  std::vector<Json> volumes = {taken, released, free};
  auto match = FindMatchingVolume(Claim("1Gi"), volumes);
  ASSERT_TRUE(match);
  EXPECT_EQ(volumes[*match]["metadata"]["name"], "free");
  // A volume reserved for this claim beats a smaller free one.
  Json reserved =
      Volume("mine", "8Gi", {{"claimRef", {{"namespace", "default"}, {"name", "data"}}}});
  volumes = {Volume("small", "1Gi"), reserved};
  match = FindMatchingVolume(Claim("1Gi"), volumes);
  ASSERT_TRUE(match);
  EXPECT_EQ(volumes[*match]["metadata"]["name"], "mine");
  // A reservation for an earlier claim of the same name (another uid) is not this one's.
  reserved["spec"]["claimRef"]["uid"] = "old-uid";
  EXPECT_FALSE(ReservedFor(reserved, Claim("1Gi")));
  // volumeName narrows the choice to that volume.
  volumes = {Volume("a", "1Gi"), Volume("b", "2Gi")};
  match = FindMatchingVolume(Claim("1Gi", {{"volumeName", "b"}}), volumes);
  ASSERT_TRUE(match);
  EXPECT_EQ(volumes[*match]["metadata"]["name"], "b");
  // Unreadable sizes never match.
  EXPECT_FALSE(FindMatchingVolume(Claim("lots"), volumes));
}

}  // namespace
}  // namespace capstan::control_plane::controllers
