// The kubelet's CSI side against capstan-csi-hostpath served in this process: the plugin
// watcher registers the driver from its registration socket, the volume plugin stages and
// publishes at upstream's paths with vol_data.json beside them, and a kubelet that lost its
// memory (a new CsiVolumes) still unpublishes, and unstages once no pod uses the volume.
// Mounting needs root.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/mount_table.h"
#include "csi/hostpath/driver.h"
#include "csi/lib/identity.h"
#include "csi/lib/registration.h"
#include "csi/lib/server.h"
#include "kubelet/volumes/csi_volumes.h"
#include "kubelet/volumes/plugin_watcher.h"
#include "kubelet/volumes/volume_manager.h"

namespace capstan::kubelet::volumes {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
constexpr char kDriver[] = "hostpath.csi.capstan.io";

class CsiVolumesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-kubelet-csi.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    root_ = dir_ + "/kubelet";
    auto volumes = csi::hostpath::OpenVolumes(dir_ + "/driver", "node-a", 1LL << 30);
    ASSERT_TRUE(volumes.has_value());
    volumes_ = *volumes;
    identity_ = std::make_unique<csi::IdentityService>(csi::PluginIdentity{kDriver, "test"});
    controller_ = csi::NewDirectoryController(volumes_);
    node_ = csi::hostpath::NewNodeService(volumes_);
    std::string endpoint = "unix://" + dir_ + "/csi.sock";
    auto server = csi::ServeUnix(endpoint, {identity_.get(), controller_.get(), node_.get()});
    ASSERT_TRUE(server.has_value()) << server.error().message();
    server_ = std::move(*server);
    registration_ = std::make_unique<csi::RegistrationService>(kDriver, endpoint);
    auto reg = csi::ServeUnix(csi::RegistrationSocket(root_ + "/plugins_registry", kDriver),
                              {registration_.get()});
    ASSERT_TRUE(reg.has_value());
    reg_server_ = std::move(*reg);
  }
  void TearDown() override {
    for (const auto& m : MountsUnder(dir_)) ::umount2(m.c_str(), MNT_DETACH);
    if (reg_server_) reg_server_->Shutdown();
    if (server_) server_->Shutdown();
    fs::remove_all(dir_);
  }

  std::string MakeVolume(const std::string& name) {
    ::csi::v1::CreateVolumeRequest req;
    req.set_name(name);
    auto* cap = req.add_volume_capabilities();
    cap->mutable_mount();
    cap->mutable_access_mode()->set_mode(
        ::csi::v1::VolumeCapability::AccessMode::SINGLE_NODE_WRITER);
    ::csi::v1::CreateVolumeResponse out;
    EXPECT_TRUE(controller_->CreateVolume(nullptr, &req, &out).ok());
    return out.volume().volume_id();
  }
  api::k8s::Pod Pod(const std::string& uid) {
    api::k8s::Pod pod;
    pod.metadata.uid = uid;
    pod.metadata.name = "web-" + uid;
    pod.metadata.namespace_ = "shop";
    return pod;
  }
  CsiVolumeSpec Spec(const std::string& handle) {
    CsiVolumeSpec spec;
    spec.driver = kDriver;
    spec.volume_handle = handle;
    spec.spec_name = "pv-1";
    return spec;
  }

  std::string dir_, root_;
  std::shared_ptr<csi::Volumes> volumes_;
  std::unique_ptr<csi::IdentityService> identity_;
  std::unique_ptr<::csi::v1::Controller::Service> controller_;
  std::unique_ptr<::csi::v1::Node::Service> node_;
  std::unique_ptr<grpc::Server> server_, reg_server_;
  std::unique_ptr<csi::RegistrationService> registration_;
};

TEST_F(CsiVolumesTest, TheWatcherRegistersADriverFromItsSocket) {
  CsiRegistry registry;
  int changes = 0;
  PluginWatcher watcher(root_ + "/plugins_registry", &registry, [&] {
    ++changes;
    return true;
  });
  watcher.Scan();
  auto info = registry.Get(kDriver);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->node_id, "node-a");
  EXPECT_EQ(info->topology.at("topology.hostpath.csi/node"), "node-a");
  EXPECT_TRUE(registration_->registered());
  EXPECT_EQ(changes, 1);
  watcher.Scan();
  EXPECT_EQ(changes, 1);  // nothing new
  fs::remove(csi::RegistrationSocket(root_ + "/plugins_registry", kDriver));
  watcher.Scan();
  EXPECT_FALSE(registry.Get(kDriver).has_value());
  EXPECT_EQ(changes, 2);
}

TEST_F(CsiVolumesTest, SetUpFailsForADriverNotRegistered) {
  CsiRegistry registry;
  CsiVolumes csi(root_, &registry, nullptr);
  auto r = csi.SetUp(Pod("uid-1"), "d", Spec("hp-x"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("driver name hostpath.csi.capstan.io not found in the list "
                                     "of registered CSI drivers"),
            std::string::npos);
}

TEST_F(CsiVolumesTest, InlineVolumesNeedADriverThatListsEphemeral) {
  CsiRegistry registry;
  PluginWatcher watcher(root_ + "/plugins_registry", &registry, [] { return true; });
  watcher.Scan();
  Json driver = {{"spec", {{"volumeLifecycleModes", {"Persistent"}}}}};
  CsiVolumes csi(
      root_, &registry,
      [&](const std::string& kind, const std::string&, const std::string&) -> Result<Json> {
        if (kind == "CSIDriver") return driver;
        return Fail(Code::kNotFound, "not found");
      });
  CsiVolumeSpec spec = Spec("csi-inline");
  spec.ephemeral = true;
  auto r = csi.SetUp(Pod("uid-1"), "scratch", spec);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(),
            "volume mode \"Ephemeral\" not supported by driver "
            "hostpath.csi.capstan.io (only supports [\"Persistent\"])");
  EXPECT_FALSE(fs::exists(root_ + "/pods/uid-1"));
}

TEST_F(CsiVolumesTest, StagePublishAndATearDownAfterARestart) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting needs root";
  CsiRegistry registry;
  PluginWatcher watcher(root_ + "/plugins_registry", &registry, [] { return true; });
  watcher.Scan();
  std::string handle = MakeVolume("pvc-1");
  auto csi = std::make_unique<CsiVolumes>(root_, &registry, nullptr);
  auto first = csi->SetUp(Pod("uid-1"), "d", Spec(handle));
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(*first, root_ + "/pods/uid-1/volumes/kubernetes.io~csi/pv-1/mount");
  auto second = csi->SetUp(Pod("uid-2"), "d", Spec(handle));
  ASSERT_TRUE(second) << second.error().message();
  std::string staging = csi->StagingPath(kDriver, handle);
  EXPECT_TRUE(IsMountPoint(staging));
  EXPECT_TRUE(IsMountPoint(*first));
  std::ofstream(*first + "/shared") << "x";
  EXPECT_TRUE(fs::exists(*second + "/shared"));
  auto data = Json::parse(
      std::ifstream(root_ + "/pods/uid-1/volumes/kubernetes.io~csi/pv-1/vol_data.json"));
  EXPECT_EQ(data["volumeHandle"], handle);
  EXPECT_EQ(data["podVolumeName"], "d");

  // A restarted kubelet: nothing in memory, only what is on disk.
  csi = std::make_unique<CsiVolumes>(root_, &registry, nullptr);
  ASSERT_TRUE(csi->TearDown("uid-1", "d"));
  EXPECT_FALSE(IsMountPoint(*first));
  EXPECT_TRUE(IsMountPoint(staging));  // uid-2 still uses it
  ASSERT_TRUE(csi->TearDown("uid-2", ""));
  EXPECT_FALSE(IsMountPoint(*second));
  EXPECT_FALSE(IsMountPoint(staging));
  EXPECT_FALSE(fs::exists(fs::path(staging).parent_path()));
  EXPECT_TRUE(csi->TearDown("uid-2", ""));  // again: nothing left, still fine
}

TEST_F(CsiVolumesTest, OrphanedPodDirectoriesAreCleanedWithoutTheirPods) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting needs root";
  CsiRegistry registry;
  PluginWatcher watcher(root_ + "/plugins_registry", &registry, [] { return true; });
  watcher.Scan();
  std::string handle = MakeVolume("pvc-2");
  CsiVolumes csi(root_, &registry, nullptr);
  ASSERT_TRUE(csi.SetUp(Pod("gone"), "d", Spec(handle)));
  ASSERT_TRUE(csi.SetUp(Pod("kept"), "d", Spec(handle)));
  auto mounter = NewSystemMounter();
  VolumeManager manager(root_, mounter.get());
  ASSERT_TRUE(manager.CleanupOrphanedPods({"kept"}, &csi));
  EXPECT_FALSE(fs::exists(root_ + "/pods/gone"));
  EXPECT_TRUE(IsMountPoint(root_ + "/pods/kept/volumes/kubernetes.io~csi/pv-1/mount"));
  // The data of a volume still mounted is never removed through the mount.
  std::ofstream(root_ + "/pods/kept/volumes/kubernetes.io~csi/pv-1/mount/keep") << "x";
  registry.Remove(kDriver);  // the driver is away: the teardown cannot happen yet
  EXPECT_FALSE(manager.CleanupOrphanedPods({}, &csi));
  EXPECT_TRUE(fs::exists(volumes_->state().VolumeDir(handle) + "/keep"));
}

TEST(SetVolumeOwnership, GivesTheGroupAndSkipsSymlinksAndRootMatches) {
  if (::geteuid() != 0) GTEST_SKIP() << "chown needs root";
  char tmpl[] = "/tmp/capstan-fsgroup.XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  fs::create_directory(dir + "/sub");
  std::ofstream(dir + "/sub/f") << "x";
  std::ofstream(dir + "/outside") << "x";
  fs::create_symlink(dir + "/outside", dir + "/sub/link");
  ::chown((dir + "/outside").c_str(), 0, 0);
  ASSERT_TRUE(SetVolumeOwnership(dir + "/sub", 3000, "Always"));
  struct stat st {};
  ::stat((dir + "/sub/f").c_str(), &st);
  EXPECT_EQ(st.st_gid, 3000u);
  EXPECT_TRUE(st.st_mode & S_IWGRP);
  ::stat((dir + "/sub").c_str(), &st);
  EXPECT_TRUE(st.st_mode & S_ISGID);
  ::stat((dir + "/outside").c_str(), &st);
  EXPECT_EQ(st.st_gid, 0u);  // not through the link
  // OnRootMismatch: the root already matches, so a file changed since is left alone.
  ::chown((dir + "/sub/f").c_str(), 0, 0);
  ASSERT_TRUE(SetVolumeOwnership(dir + "/sub", 3000, "OnRootMismatch"));
  ::stat((dir + "/sub/f").c_str(), &st);
  EXPECT_EQ(st.st_gid, 0u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace capstan::kubelet::volumes
