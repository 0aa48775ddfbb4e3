// capstan-csi-nfs's subDir: the provisioner's templates filled in, and nothing that could
// lead out of the share.
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
