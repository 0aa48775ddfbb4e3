#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "kubelet/volumes/volume_manager.h"
#include "tests/kubelet/test_pods.h"

namespace capstan::kubelet::volumes {
namespace {

class FakeMounter : public Mounter {
 public:
  Status MountTmpfs(const std::string& target, const std::string& options) override {
    mounts[target] = options;
    return Ok();
  }
  Status BindMount(const std::string& source, const std::string& target) override {
    // What the fd names, as mount(2) would resolve it.
    std::error_code ec;
    auto resolved = std::filesystem::read_symlink(source, ec);
    mounts[target] = "bind:" + (ec ? source : resolved.string());
    return Ok();
  }
  Status Unmount(const std::string& target) override {
    mounts.erase(target);
    return Ok();
  }
  bool IsMountPoint(const std::string& path) const override { return mounts.contains(path); }
  std::map<std::string, std::string> mounts;
};

class VolumesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-volumes-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    manager_ = std::make_unique<VolumeManager>(dir_ + "/root", &mounter_);
    ASSERT_TRUE(manager_->RegisterPlugin(NewEmptyDirPlugin(dir_ + "/root", &mounter_)));
    ASSERT_TRUE(manager_->RegisterPlugin(NewHostPathPlugin()));
    EXPECT_FALSE(manager_->RegisterPlugin(NewHostPathPlugin()));  // names are unique
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  api::k8s::Pod PodWithVolumes(const std::string& volumes) {
    return testing::PodFromYaml(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, uid: u1}\n"
        "spec:\n  containers: [{name: a, image: b}]\n  volumes:\n" +
        volumes);
  }

  std::string dir_;
  FakeMounter mounter_;
  std::unique_ptr<VolumeManager> manager_;
};

TEST_F(VolumesTest, EmptyDirOnDiskAndInMemory) {
  auto pod = PodWithVolumes(
      "  - {name: scratch, emptyDir: {}}\n"
      "  - {name: fast, emptyDir: {medium: Memory, sizeLimit: 64Mi}}\n");
  auto paths = manager_->MountPod(pod);
  ASSERT_TRUE(paths) << paths.error().message();
  std::string scratch = dir_ + "/root/pods/u1/volumes/kubernetes.io~empty-dir/scratch";
  EXPECT_EQ(paths->at("scratch"), scratch);
  EXPECT_TRUE(std::filesystem::is_directory(scratch));
  std::string fast = paths->at("fast");
  EXPECT_EQ(mounter_.mounts.at(fast), "mode=0777,size=67108864");
  ASSERT_TRUE(manager_->MountPod(pod));  // idempotent
  ASSERT_TRUE(manager_->UnmountPod(pod));
  EXPECT_TRUE(mounter_.mounts.empty());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/root/pods/u1"));
}

// CVE-2017-1002101: a symlink planted in a volume must not lead a subPath mount out of it.
TEST_F(VolumesTest, SubPathIsBoundFromInsideTheVolumeOnly) {
  std::string host = dir_ + "/host";
  std::filesystem::create_directories(host + "/in/ok");
  std::filesystem::create_directories(dir_ + "/outside");
  std::filesystem::create_symlink("/etc", host + "/escape");
  std::filesystem::create_symlink("../outside", host + "/up");
  std::filesystem::create_symlink("in", host + "/inner");
  auto pod = PodWithVolumes("  - {name: a, hostPath: {path: " + host + "}}\n");
  auto paths = manager_->MountPod(pod);
  ASSERT_TRUE(paths) << paths.error().message();
  auto prepare = [&](int index, const std::string& sub) {
    return manager_->PrepareSubPath({"u1", "a", paths->at("a"), "app", index, sub});
  };

  auto ok = prepare(0, "in/ok");
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(*ok, dir_ + "/root/pods/u1/volume-subpaths/a/app/0");
  EXPECT_EQ(mounter_.mounts.at(*ok), "bind:" + host + "/in/ok");
  EXPECT_TRUE(prepare(0, "in/ok"));  // again (a restarted container): the bind is reused

  auto via_inner_link = prepare(1, "inner/ok");
  ASSERT_TRUE(via_inner_link) << via_inner_link.error().message();
  EXPECT_EQ(mounter_.mounts.at(*via_inner_link), "bind:" + host + "/in/ok");

  auto created = prepare(2, "new/dir");
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_TRUE(std::filesystem::is_directory(host + "/new/dir"));

  for (const std::string sub : {"escape", "escape/passwd", "up", "escape/made/here"}) {
    auto refused = prepare(3, sub);
    ASSERT_FALSE(refused) << sub;
    EXPECT_EQ(refused.error().code(), Code::kPermissionDenied) << refused.error().message();
    EXPECT_NE(refused.error().message().find("leads outside volume"), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists("/etc/made"));
  EXPECT_FALSE(prepare(4, "/etc"));

  ASSERT_TRUE(manager_->UnmountPod(pod));
  EXPECT_TRUE(mounter_.mounts.empty());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/root/pods/u1"));
  EXPECT_TRUE(std::filesystem::is_directory(host + "/in/ok"));  // the volume's files stay
}

TEST_F(VolumesTest, HostPathTypeChecks) {
  std::filesystem::create_directories(dir_ + "/existing-dir");
  std::ofstream(dir_ + "/existing-file") << "x";
  auto ok = PodWithVolumes("  - {name: a, hostPath: {path: " + dir_ +
                           "/existing-dir, type: Directory}}\n"
                           "  - {name: b, hostPath: {path: " +
                           dir_ +
                           "/new-dir/sub, type: DirectoryOrCreate}}\n"
                           "  - {name: c, hostPath: {path: " +
                           dir_ +
                           "/existing-file, type: File}}\n"
                           "  - {name: d, hostPath: {path: " +
                           dir_ +
                           "/new-file, type: FileOrCreate}}\n"
                           "  - {name: e, hostPath: {path: /whatever/unchecked}}\n");
  auto paths = manager_->MountPod(ok);
  ASSERT_TRUE(paths) << paths.error().message();
  EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/new-dir/sub"));
  EXPECT_TRUE(std::filesystem::is_regular_file(dir_ + "/new-file"));
  EXPECT_EQ(paths->at("e"), "/whatever/unchecked");

  for (const std::string& bad :
       std::vector<std::string>{"{path: " + dir_ + "/existing-file, type: Directory}",
                                "{path: " + dir_ + "/existing-dir, type: File}",
                                "{path: " + dir_ + "/missing, type: Directory}",
                                "{path: " + dir_ + "/existing-dir, type: Socket}",
                                "{path: " + dir_ + "/existing-file, type: DirectoryOrCreate}",
                                "{path: relative, type: Directory}"}) {
    auto pod = PodWithVolumes("  - {name: x, hostPath: " + bad + "}\n");
    auto r = manager_->MountPod(pod);
    EXPECT_FALSE(r) << bad;
  }
  // A source no registered plugin handles is refused, never defaulted to an emptyDir.
  auto unsupported = PodWithVolumes("  - {name: data, persistentVolumeClaim: {claimName: c}}\n");
  ASSERT_TRUE(unsupported.spec.volumes[0].persistent_volume_claim);
  EXPECT_FALSE(unsupported.spec.volumes[0].empty_dir);
  auto r = manager_->MountPod(unsupported);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("not supported"), std::string::npos);
  auto iscsi = PodWithVolumes("  - {name: disk, iscsi: {targetPortal: x}}\n");
  r = manager_->MountPod(iscsi);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("iscsi volumes are not supported yet"), std::string::npos);
}

}  // namespace
}  // namespace capstan::kubelet::volumes
