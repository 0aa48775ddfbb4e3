// capstan-csi-hostpath's services called directly: idempotency by name and id, the spec's
// error codes, capacity accounting, clones and snapshots by copy, and state that survives a
// restart. Stage and publish mount, so those cases need root.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/mount_table.h"
#include "csi/hostpath/driver.h"

namespace capstan::csi::hostpath {
namespace {

namespace fs = std::filesystem;
using ::csi::v1::VolumeCapability;
using grpc::StatusCode;

class HostpathDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-csi-hostpath-test.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    Start();
  }
  void TearDown() override {
    for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
      if (IsMountPoint(entry.path())) {
        ::umount2(entry.path().c_str(), MNT_DETACH);
      }
    }
    fs::remove_all(dir_);
  }
  // (Re)opens the driver on the same root, as a restart does.
  void Start() {
    auto v = OpenVolumes(dir_ + "/root", "node-a", 10LL << 20, 1LL << 20);
    ASSERT_TRUE(v.has_value()) << v.error().message();
    volumes_ = *v;
    controller_ = NewDirectoryController(volumes_);
    node_ = NewNodeService(volumes_);
  }

  static VolumeCapability MountCap() {
    VolumeCapability cap;
    cap.mutable_mount();
    cap.mutable_access_mode()->set_mode(VolumeCapability::AccessMode::SINGLE_NODE_WRITER);
    return cap;
  }
  ::csi::v1::CreateVolumeRequest CreateReq(const std::string& name, int64_t bytes) {
    ::csi::v1::CreateVolumeRequest req;
    req.set_name(name);
    req.mutable_capacity_range()->set_required_bytes(bytes);
    *req.add_volume_capabilities() = MountCap();
    return req;
  }
  grpc::Status Create(const ::csi::v1::CreateVolumeRequest& req,
                      ::csi::v1::CreateVolumeResponse* out) {
    return controller_->CreateVolume(nullptr, &req, out);
  }
  std::string MustCreate(const std::string& name, int64_t bytes) {
    ::csi::v1::CreateVolumeResponse out;
    auto st = Create(CreateReq(name, bytes), &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out.volume().volume_id();
  }
  grpc::Status Delete(const std::string& id) {
    ::csi::v1::DeleteVolumeRequest req;
    req.set_volume_id(id);
    ::csi::v1::DeleteVolumeResponse out;
    return controller_->DeleteVolume(nullptr, &req, &out);
  }

  std::string dir_;
  std::shared_ptr<Volumes> volumes_;
  std::unique_ptr<::csi::v1::Controller::Service> controller_;
  std::unique_ptr<::csi::v1::Node::Service> node_;
};

TEST_F(HostpathDriverTest, CreateIsIdempotentByName) {
  ::csi::v1::CreateVolumeResponse first, again;
  ASSERT_TRUE(Create(CreateReq("pvc-1", 2 << 20), &first).ok());
  ASSERT_TRUE(Create(CreateReq("pvc-1", 2 << 20), &again).ok());
  EXPECT_EQ(first.volume().volume_id(), again.volume().volume_id());
  EXPECT_EQ(first.volume().capacity_bytes(), 2 << 20);
  EXPECT_EQ(first.volume().accessible_topology(0).segments().at(kTopologyKey), "node-a");
  EXPECT_TRUE(fs::is_directory(volumes_->state().VolumeDir(first.volume().volume_id())));
  // The same name with a size the volume does not have is another volume: refused.
  ::csi::v1::CreateVolumeResponse other;
  EXPECT_EQ(Create(CreateReq("pvc-1", 4 << 20), &other).error_code(), StatusCode::ALREADY_EXISTS);
}

TEST_F(HostpathDriverTest, CreateRefusesBadRequestsWithTheSpecCodes) {
  ::csi::v1::CreateVolumeResponse out;
  auto no_name = CreateReq("", 1);
  EXPECT_EQ(Create(no_name, &out).error_code(), StatusCode::INVALID_ARGUMENT);
  auto no_caps = CreateReq("v", 1);
  no_caps.clear_volume_capabilities();
  EXPECT_EQ(Create(no_caps, &out).error_code(), StatusCode::INVALID_ARGUMENT);
  auto block = CreateReq("v", 1);
  block.mutable_volume_capabilities(0)->mutable_block();
  EXPECT_EQ(Create(block, &out).error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Create(CreateReq("huge", 11 << 20), &out).error_code(), StatusCode::OUT_OF_RANGE);
  auto elsewhere = CreateReq("v", 1);
  (*elsewhere.mutable_accessibility_requirements()
        ->add_requisite()
        ->mutable_segments())[kTopologyKey] = "node-b";
  EXPECT_EQ(Create(elsewhere, &out).error_code(), StatusCode::RESOURCE_EXHAUSTED);
  auto from_nothing = CreateReq("clone", 1);
  from_nothing.mutable_volume_content_source()->mutable_snapshot()->set_snapshot_id("snap-x");
  EXPECT_EQ(Create(from_nothing, &out).error_code(), StatusCode::NOT_FOUND);
}

TEST_F(HostpathDriverTest, CapacityIsAccountedAndFreedByDelete) {
  std::string a = MustCreate("a", 6 << 20);
  ::csi::v1::CreateVolumeResponse out;
  EXPECT_EQ(Create(CreateReq("b", 6 << 20), &out).error_code(), StatusCode::RESOURCE_EXHAUSTED);
  ::csi::v1::GetCapacityRequest cap_req;
  ::csi::v1::GetCapacityResponse cap;
  ASSERT_TRUE(controller_->GetCapacity(nullptr, &cap_req, &cap).ok());
  EXPECT_EQ(cap.available_capacity(), 4 << 20);
  ASSERT_TRUE(Delete(a).ok());
  EXPECT_TRUE(Delete(a).ok());  // deleting what is gone succeeds
  EXPECT_FALSE(fs::exists(volumes_->state().VolumeDir(a)));
  EXPECT_TRUE(Create(CreateReq("b", 6 << 20), &out).ok());
  EXPECT_EQ(Delete("").error_code(), StatusCode::INVALID_ARGUMENT);
}

TEST_F(HostpathDriverTest, SnapshotsAndClonesCopyTheData) {
  std::string src = MustCreate("src", 1 << 20);
  std::ofstream(volumes_->state().VolumeDir(src) + "/data") << "first";
  ::csi::v1::CreateSnapshotRequest snap_req;
  snap_req.set_name("snap-1");
  snap_req.set_source_volume_id(src);
  ::csi::v1::CreateSnapshotResponse snap, snap_again;
  ASSERT_TRUE(controller_->CreateSnapshot(nullptr, &snap_req, &snap).ok());
  ASSERT_TRUE(controller_->CreateSnapshot(nullptr, &snap_req, &snap_again).ok());
  EXPECT_EQ(snap.snapshot().snapshot_id(), snap_again.snapshot().snapshot_id());
  EXPECT_TRUE(snap.snapshot().ready_to_use());
  snap_req.set_source_volume_id("hp-other");
  EXPECT_EQ(controller_->CreateSnapshot(nullptr, &snap_req, &snap_again).error_code(),
            StatusCode::ALREADY_EXISTS);
  // Written after the snapshot: the restore must not see it.
  std::ofstream(volumes_->state().VolumeDir(src) + "/data") << "second";

  auto restore = CreateReq("restored", 1 << 20);
  restore.mutable_volume_content_source()->mutable_snapshot()->set_snapshot_id(
      snap.snapshot().snapshot_id());
  ::csi::v1::CreateVolumeResponse restored;
  ASSERT_TRUE(Create(restore, &restored).ok());
  std::string text;
  std::ifstream(volumes_->state().VolumeDir(restored.volume().volume_id()) + "/data") >> text;
  EXPECT_EQ(text, "first");

  auto clone = CreateReq("clone", 1 << 20);
  clone.mutable_volume_content_source()->mutable_volume()->set_volume_id(src);
  ::csi::v1::CreateVolumeResponse cloned;
  ASSERT_TRUE(Create(clone, &cloned).ok());
  std::ifstream(volumes_->state().VolumeDir(cloned.volume().volume_id()) + "/data") >> text;
  EXPECT_EQ(text, "second");
  EXPECT_EQ(cloned.volume().content_source().volume().volume_id(), src);
}

TEST_F(HostpathDriverTest, ListVolumesPagesByToken) {
  std::string a = MustCreate("a", 1), b = MustCreate("b", 1), c = MustCreate("c", 1);
  ::csi::v1::ListVolumesRequest req;
  req.set_max_entries(2);
  ::csi::v1::ListVolumesResponse page1, page2, bad;
  ASSERT_TRUE(controller_->ListVolumes(nullptr, &req, &page1).ok());
  ASSERT_EQ(page1.entries_size(), 2);
  EXPECT_EQ(page1.entries(0).volume().volume_id(), a);
  EXPECT_EQ(page1.entries(1).volume().volume_id(), b);
  req.set_starting_token(page1.next_token());
  ASSERT_TRUE(controller_->ListVolumes(nullptr, &req, &page2).ok());
  ASSERT_EQ(page2.entries_size(), 1);
  EXPECT_EQ(page2.entries(0).volume().volume_id(), c);
  EXPECT_TRUE(page2.next_token().empty());
  req.set_starting_token("not-a-token");
  EXPECT_EQ(controller_->ListVolumes(nullptr, &req, &bad).error_code(), StatusCode::ABORTED);
}

TEST_F(HostpathDriverTest, AttachChecksTheNodeAndTheVolume) {
  std::string id = MustCreate("v", 1);
  ::csi::v1::ControllerPublishVolumeRequest req;
  req.set_volume_id(id);
  req.set_node_id("node-b");
  *req.mutable_volume_capability() = MountCap();
  ::csi::v1::ControllerPublishVolumeResponse out;
  EXPECT_EQ(controller_->ControllerPublishVolume(nullptr, &req, &out).error_code(),
            StatusCode::NOT_FOUND);
  req.set_node_id("node-a");
  ASSERT_TRUE(controller_->ControllerPublishVolume(nullptr, &req, &out).ok());
  ASSERT_TRUE(controller_->ControllerPublishVolume(nullptr, &req, &out).ok());
  req.set_readonly(true);
  EXPECT_EQ(controller_->ControllerPublishVolume(nullptr, &req, &out).error_code(),
            StatusCode::ALREADY_EXISTS);
  req.set_volume_id("hp-missing");
  EXPECT_EQ(controller_->ControllerPublishVolume(nullptr, &req, &out).error_code(),
            StatusCode::NOT_FOUND);
}

TEST_F(HostpathDriverTest, VolumesSurviveARestart) {
  std::string id = MustCreate("keep", 3 << 20);
  Start();
  ::csi::v1::CreateVolumeResponse again;
  ASSERT_TRUE(Create(CreateReq("keep", 3 << 20), &again).ok());
  EXPECT_EQ(again.volume().volume_id(), id);
  ::csi::v1::GetCapacityRequest cap_req;
  ::csi::v1::GetCapacityResponse cap;
  ASSERT_TRUE(controller_->GetCapacity(nullptr, &cap_req, &cap).ok());
  EXPECT_EQ(cap.available_capacity(), 7 << 20);
}

TEST_F(HostpathDriverTest, NodeCallsCheckTheirArguments) {
  ::csi::v1::NodePublishVolumeRequest pub;
  ::csi::v1::NodePublishVolumeResponse pub_out;
  EXPECT_EQ(node_->NodePublishVolume(nullptr, &pub, &pub_out).error_code(),
            StatusCode::INVALID_ARGUMENT);
  pub.set_volume_id("hp-missing");
  pub.set_target_path(dir_ + "/target");
  pub.set_staging_target_path(dir_ + "/staging");
  EXPECT_EQ(node_->NodePublishVolume(nullptr, &pub, &pub_out).error_code(),
            StatusCode::INVALID_ARGUMENT);  // no capability
  *pub.mutable_volume_capability() = MountCap();
  EXPECT_EQ(node_->NodePublishVolume(nullptr, &pub, &pub_out).error_code(), StatusCode::NOT_FOUND);
  ::csi::v1::NodeGetVolumeStatsRequest stats;
  ::csi::v1::NodeGetVolumeStatsResponse stats_out;
  stats.set_volume_id("hp-missing");
  EXPECT_EQ(node_->NodeGetVolumeStats(nullptr, &stats, &stats_out).error_code(),
            StatusCode::INVALID_ARGUMENT);
  stats.set_volume_path(dir_);
  EXPECT_EQ(node_->NodeGetVolumeStats(nullptr, &stats, &stats_out).error_code(),
            StatusCode::NOT_FOUND);
}

TEST_F(HostpathDriverTest, StageAndPublishBindTheVolumeAndUndoTwice) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "bind mounts need root";
  }
  std::string id = MustCreate("mounted", 1 << 20);
  std::string staging = dir_ + "/staging", target = dir_ + "/pod/target";
  fs::create_directories(staging);
  ::csi::v1::NodeStageVolumeRequest stage;
  stage.set_volume_id(id);
  stage.set_staging_target_path(staging);
  *stage.mutable_volume_capability() = MountCap();
  ::csi::v1::NodeStageVolumeResponse stage_out;
  ASSERT_TRUE(node_->NodeStageVolume(nullptr, &stage, &stage_out).ok());
  ASSERT_TRUE(node_->NodeStageVolume(nullptr, &stage, &stage_out).ok());
  ::csi::v1::NodePublishVolumeRequest pub;
  pub.set_volume_id(id);
  pub.set_staging_target_path(staging);
  pub.set_target_path(target);
  pub.set_readonly(true);
  *pub.mutable_volume_capability() = MountCap();
  ::csi::v1::NodePublishVolumeResponse pub_out;
  ASSERT_TRUE(node_->NodePublishVolume(nullptr, &pub, &pub_out).ok());
  ASSERT_TRUE(node_->NodePublishVolume(nullptr, &pub, &pub_out).ok());
  EXPECT_TRUE(IsMountPoint(target));
  std::ofstream(volumes_->state().VolumeDir(id) + "/seen") << "x";
  EXPECT_TRUE(fs::exists(target + "/seen"));
  EXPECT_FALSE(std::ofstream(target + "/write").good());  // read-only publish
  // A published volume cannot be deleted.
  EXPECT_EQ(Delete(id).error_code(), StatusCode::FAILED_PRECONDITION);

  ::csi::v1::NodeUnpublishVolumeRequest unpub;
  unpub.set_volume_id(id);
  unpub.set_target_path(target);
  ::csi::v1::NodeUnpublishVolumeResponse unpub_out;
  ASSERT_TRUE(node_->NodeUnpublishVolume(nullptr, &unpub, &unpub_out).ok());
  ASSERT_TRUE(node_->NodeUnpublishVolume(nullptr, &unpub, &unpub_out).ok());
  EXPECT_FALSE(fs::exists(target));
  ::csi::v1::NodeUnstageVolumeRequest unstage;
  unstage.set_volume_id(id);
  unstage.set_staging_target_path(staging);
  ::csi::v1::NodeUnstageVolumeResponse unstage_out;
  ASSERT_TRUE(node_->NodeUnstageVolume(nullptr, &unstage, &unstage_out).ok());
  EXPECT_FALSE(IsMountPoint(staging));
  EXPECT_TRUE(Delete(id).ok());
}

TEST_F(HostpathDriverTest, InlineEphemeralVolumeLivesAsLongAsItsPublish) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "bind mounts need root";
  }
  ::csi::v1::NodePublishVolumeRequest pub;
  pub.set_volume_id("csi-0123abcd");
  pub.set_target_path(dir_ + "/pod/inline");
  *pub.mutable_volume_capability() = MountCap();
  (*pub.mutable_volume_context())["csi.storage.k8s.io/ephemeral"] = "true";
  ::csi::v1::NodePublishVolumeResponse pub_out;
  ASSERT_TRUE(node_->NodePublishVolume(nullptr, &pub, &pub_out).ok());
  EXPECT_TRUE(fs::is_directory(volumes_->state().VolumeDir("csi-0123abcd")));
  ::csi::v1::NodeUnpublishVolumeRequest unpub;
  unpub.set_volume_id("csi-0123abcd");
  unpub.set_target_path(dir_ + "/pod/inline");
  ::csi::v1::NodeUnpublishVolumeResponse unpub_out;
  ASSERT_TRUE(node_->NodeUnpublishVolume(nullptr, &unpub, &unpub_out).ok());
  EXPECT_FALSE(fs::exists(volumes_->state().VolumeDir("csi-0123abcd")));
  pub.set_volume_id("../escape");
  EXPECT_EQ(node_->NodePublishVolume(nullptr, &pub, &pub_out).error_code(),
            StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace capstan::csi::hostpath
