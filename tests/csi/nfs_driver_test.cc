// capstan-csi-nfs without a server: its StorageClass parameters refused with the spec's
// code when wrong, where a volume goes when right, the subDir templates filled in with
// nothing leading out of the share, and the mount options it understands.
#include <gtest/gtest.h>

#include "csi/nfs/nfs_client.h"
#include "csi/nfs/nfs_driver.h"

namespace capstan::csi::nfs {
namespace {

google::protobuf::Map<std::string, std::string> Params() {
  google::protobuf::Map<std::string, std::string> p;
  p["csi.storage.k8s.io/pvc/name"] = "data";
  p["csi.storage.k8s.io/pvc/namespace"] = "shop";
  p["csi.storage.k8s.io/pv/name"] = "pvc-1";
  return p;
}

TEST(NfsSubDir, TemplatesAreFilledIn) {
  auto dir =
      ExpandSubDir("${pvc.metadata.namespace}/${pvc.metadata.name}-${pv.metadata.name}", Params());
  ASSERT_TRUE(dir) << dir.error().message();
  EXPECT_EQ(*dir, "shop/data-pvc-1");
  EXPECT_EQ(*ExpandSubDir("//a/./b/", Params()), "a/b");
}

TEST(NfsSubDir, NothingLeadsOutOfTheShare) {
  EXPECT_FALSE(ExpandSubDir("../etc", Params()));
  EXPECT_FALSE(ExpandSubDir("a/../../b", Params()));
  EXPECT_FALSE(ExpandSubDir("/", Params()));
  EXPECT_FALSE(ExpandSubDir("${pvc.metadata.labels}", Params()));
  google::protobuf::Map<std::string, std::string> none;
  EXPECT_FALSE(ExpandSubDir("${pvc.metadata.name}", none));
  // A claim named ".." cannot exist, but a template value is checked all the same.
  auto p = Params();
  p["csi.storage.k8s.io/pvc/name"] = "..";
  EXPECT_FALSE(ExpandSubDir("${pvc.metadata.name}", p));
}

::csi::v1::CreateVolumeRequest Request(std::map<std::string, std::string> params) {
  ::csi::v1::CreateVolumeRequest req;
  req.set_name("pvc-1");
  for (const auto& [k, v] : params) (*req.mutable_parameters())[k] = v;
  auto* cap = req.add_volume_capabilities();
  cap->mutable_mount()->add_mount_flags("port=2050");
  cap->mutable_mount()->add_mount_flags("vers=3");
  cap->mutable_access_mode()->set_mode(
      ::csi::v1::VolumeCapability::AccessMode::MULTI_NODE_MULTI_WRITER);
  return req;
}

TEST(NfsPlace, BadParametersAreInvalidArguments) {
  auto backend = NewNfsBackend();
  VolumeRecord rec;
  auto code = [&](std::map<std::string, std::string> params) {
    return backend->Place(Request(std::move(params)), &rec).error_code();
  };
  EXPECT_EQ(code({{"share", "/export"}}), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(code({{"server", "nfs"}}), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(code({{"server", "nfs"}, {"share", "export"}}), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(code({{"server", "nfs"}, {"share", "/export"}, {"color", "red"}}),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(code({{"server", "nfs"}, {"share", "/export"}, {"onDelete", "shred"}}),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(code({{"server", "nfs"}, {"share", "/export"}, {"mountPermissions", "999"}}),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(code({{"server", "nfs"}, {"share", "/export"}, {"subDir", "../x"}}),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST(NfsPlace, WhereTheVolumeGoes) {
  auto backend = NewNfsBackend();
  VolumeRecord rec;
  auto req = Request({{"server", "10.0.0.5"},
                      {"share", "/export"},
                      {"subDir", "${pvc.metadata.namespace}/${pvc.metadata.name}"},
                      {"mountPermissions", "0750"},
                      {"onDelete", "archive"}});
  (*req.mutable_parameters())["csi.storage.k8s.io/pvc/name"] = "data";
  (*req.mutable_parameters())["csi.storage.k8s.io/pvc/namespace"] = "shop";
  ASSERT_TRUE(backend->Place(req, &rec).ok());
  EXPECT_EQ(rec.context.at("server"), "10.0.0.5");
  EXPECT_EQ(rec.context.at("share"), "/export");
  EXPECT_EQ(rec.context.at("subdir"), "shop/data");
  EXPECT_EQ(rec.context.at("mountPermissions"), "0750");
  EXPECT_EQ(rec.location.at("onDelete"), "archive");
  EXPECT_EQ(rec.location.at("mountOptions"), "port=2050,vers=3");
  EXPECT_EQ(rec.id.rfind("nfs-", 0), 0u);
  // Without subDir, the volume's name.
  ASSERT_TRUE(backend->Place(Request({{"server", "nfs"}, {"share", "/e"}}), &rec).ok());
  EXPECT_EQ(rec.context.at("subdir"), "pvc-1");
  EXPECT_EQ(rec.location.at("onDelete"), "delete");
}

TEST(NfsMountOptions, PortsAndVersion) {
  NfsTarget t{"127.0.0.1", "/export"};
  ApplyMountOptions("port=2050,mountport=20048,vers=4.1,ro,hard", &t);
  EXPECT_EQ(t.port, 2050);
  EXPECT_EQ(t.mount_port, 20048);
  EXPECT_EQ(t.version, 4);
  EXPECT_EQ(UrlOf(t), "nfs://127.0.0.1/export?version=4&nfsport=2050");
  t.version = 3;
  EXPECT_EQ(UrlOf(t), "nfs://127.0.0.1/export?version=3&nfsport=2050&mountport=20048");
}

}  // namespace
}  // namespace capstan::csi::nfs
