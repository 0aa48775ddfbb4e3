// The provisioner beside a driver, against the fake API and capstan-csi-hostpath's Controller
// served in this process: claims handed to it get a volume and a pre-bound PersistentVolume
// (WaitForFirstConsumer only once a node is chosen, and only for its node), Released Delete
// volumes are deleted, and an expandable claim asking for more grows.
#include "csi/provisioner/provisioner.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "api/k8s/client/fake_api_client.h"
#include "csi/hostpath/driver.h"

namespace capstan::csi {
namespace {

namespace fs = std::filesystem;
using api::k8s::client::Json;
namespace res = api::k8s::client::resources;
constexpr char kDriver[] = "hostpath.csi.capstan.io";

class ProvisionerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-provisioner.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    auto volumes = hostpath::OpenVolumes(dir_, "node-a", 1LL << 30);
    ASSERT_TRUE(volumes.has_value());
    volumes_ = *volumes;
    controller_ = NewDirectoryController(volumes_);
    grpc::ServerBuilder builder;
    builder.RegisterService(controller_.get());
    server_ = builder.BuildAndStart();
    stub_ = ::csi::v1::Controller::NewStub(server_->InProcessChannel(grpc::ChannelArguments()));
    api_.Create(res::kNodes, "",
                {{"metadata",
                  {{"name", "node-a"}, {"labels", {{"topology.hostpath.csi/node", "node-a"}}}}}});
    api_.Create(
        res::kCsiNodes, "",
        {{"metadata", {{"name", "node-a"}}},
         {"spec",
          {{"drivers", Json::array({{{"name", kDriver},
                                     {"nodeID", "node-a"},
                                     {"topologyKeys", {"topology.hostpath.csi/node"}}}})}}}});
    AddClass("local-path", "WaitForFirstConsumer", kDriver);
    AddClass("now", "Immediate", kDriver);
    AddClass("elsewhere", "Immediate", "other.csi.example.com");
    provisioner_ = std::make_unique<Provisioner>(
        &api_, std::shared_ptr<::csi::v1::Controller::StubInterface>(std::move(stub_)),
        ProvisionerOptions{kDriver, "node-a", std::chrono::milliseconds(50)}, &clock_);
    provisioner_->Start();
  }
  void TearDown() override {
    provisioner_->Stop();
    api_.StopWatches();
    server_->Shutdown();
    fs::remove_all(dir_);
  }

  void AddClass(const std::string& name, const std::string& mode, const std::string& provisioner) {
    api_.Create(res::kStorageClasses, "",
                {{"metadata", {{"name", name}}},
                 {"provisioner", provisioner},
                 {"reclaimPolicy", "Delete"},
                 {"volumeBindingMode", mode},
                 {"allowVolumeExpansion", true}});
  }
  // A claim as the PV controller leaves it for the provisioner.
  void AddClaim(const std::string& name, const std::string& cls, const std::string& provisioner,
                const std::string& selected = "") {
    Json claim = {{"metadata",
                   {{"name", name},
                    {"namespace", "shop"},
                    {"annotations", {{"volume.kubernetes.io/storage-provisioner", provisioner}}}}},
                  {"spec",
                   {{"storageClassName", cls},
                    {"accessModes", {"ReadWriteOnce"}},
                    {"resources", {{"requests", {{"storage", "1Mi"}}}}}}}};
    if (!selected.empty()) {
      claim["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] = selected;
    }
    ASSERT_TRUE(api_.Create(res::kPersistentVolumeClaims, "shop", claim));
  }
  // Waits (up to 5 s) for `done`.
  bool Eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 250; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
  }
  // The volume a claim gets: pvc-<its uid> (the fake API gives uids).
  std::string VolumeOf(const std::string& claim) {
    auto c = api_.Get(res::kPersistentVolumeClaims, "shop", claim);
    return c ? "pvc-" + (*c)["metadata"]["uid"].get<std::string>() : "";
  }
  bool HasVolume(const std::string& name) {
    return api_.Get(res::kPersistentVolumes, "", name).has_value();
  }

  std::string dir_;
  RealClock clock_;
  api::k8s::client::FakeApiClient api_;
  std::shared_ptr<Volumes> volumes_;
  std::unique_ptr<::csi::v1::Controller::Service> controller_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<::csi::v1::Controller::Stub> stub_;
  std::unique_ptr<Provisioner> provisioner_;
};

TEST_F(ProvisionerTest, WaitsForTheSchedulerThenProvisionsOnItsNode) {
  AddClaim("wait", "local-path", kDriver);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(HasVolume(VolumeOf("wait")));
  // The scheduler chose another node: not ours to make.
  Json claim = *api_.Get(res::kPersistentVolumeClaims, "shop", "wait");
  claim["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] = "node-b";
  ASSERT_TRUE(api_.Update(res::kPersistentVolumeClaims, "shop", "wait", claim, ""));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(HasVolume(VolumeOf("wait")));
  claim = *api_.Get(res::kPersistentVolumeClaims, "shop", "wait");
  claim["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] = "node-a";
  ASSERT_TRUE(api_.Update(res::kPersistentVolumeClaims, "shop", "wait", claim, ""));
  ASSERT_TRUE(Eventually([&] { return HasVolume(VolumeOf("wait")); }));
  Json pv = *api_.Get(res::kPersistentVolumes, "", VolumeOf("wait"));
  EXPECT_EQ("pvc-" + pv["spec"]["claimRef"]["uid"].get<std::string>(), VolumeOf("wait"));
  EXPECT_EQ(pv["spec"]["csi"]["driver"], kDriver);
  EXPECT_EQ(pv["spec"]["capacity"]["storage"], "1Mi");
  EXPECT_EQ(pv["spec"]["persistentVolumeReclaimPolicy"], "Delete");
  EXPECT_EQ(pv["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"], kDriver);
  EXPECT_EQ(pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]
              ["values"][0],
            "node-a");
  std::string handle = pv["spec"]["csi"]["volumeHandle"];
  EXPECT_TRUE(fs::is_directory(volumes_->state().VolumeDir(handle)));
}

TEST_F(ProvisionerTest, TakesAnImmediateClaimForItsNodeFirst) {
  AddClaim("now", "now", kDriver);
  ASSERT_TRUE(Eventually([&] { return HasVolume(VolumeOf("now")); }));
  Json claim = *api_.Get(res::kPersistentVolumeClaims, "shop", "now");
  EXPECT_EQ(claim["metadata"]["annotations"]["volume.kubernetes.io/selected-node"], "node-a");
}

TEST_F(ProvisionerTest, LeavesOtherProvisionersClaimsAlone) {
  AddClaim("other", "elsewhere", "other.csi.example.com", "node-a");
  AddClaim("not-yet", "now", "");  // the PV controller has not handed it over yet
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(HasVolume(VolumeOf("other")));
  EXPECT_FALSE(HasVolume(VolumeOf("not-yet")));
}

TEST_F(ProvisionerTest, DeletesAReleasedVolumeAndItsObject) {
  AddClaim("gone", "local-path", kDriver, "node-a");
  ASSERT_TRUE(Eventually([&] { return HasVolume(VolumeOf("gone")); }));
  std::string name = VolumeOf("gone");
  Json pv = *api_.Get(res::kPersistentVolumes, "", name);
  std::string handle = pv["spec"]["csi"]["volumeHandle"];
  // Its claim goes (so the PV controller calls it Released).
  ASSERT_TRUE(api_.Delete(res::kPersistentVolumeClaims, "shop", "gone"));
  pv["status"]["phase"] = "Released";
  ASSERT_TRUE(api_.Update(res::kPersistentVolumes, "", name, pv, "status"));
  ASSERT_TRUE(Eventually([&] { return !HasVolume(name); }));
  EXPECT_FALSE(fs::exists(volumes_->state().VolumeDir(handle)));
}

TEST_F(ProvisionerTest, GrowsAnExpandableClaim) {
  AddClaim("grow", "local-path", kDriver, "node-a");
  ASSERT_TRUE(Eventually([&] { return HasVolume(VolumeOf("grow")); }));
  // Bound, as the PV controller leaves it, then asked for more.
  Json claim = *api_.Get(res::kPersistentVolumeClaims, "shop", "grow");
  claim["spec"]["volumeName"] = VolumeOf("grow");
  claim["spec"]["resources"]["requests"]["storage"] = "3Mi";
  claim["status"] = {{"phase", "Bound"}, {"capacity", {{"storage", "1Mi"}}}};
  ASSERT_TRUE(api_.Update(res::kPersistentVolumeClaims, "shop", "grow", claim, ""));
  ASSERT_TRUE(Eventually([&] {
    auto c = api_.Get(res::kPersistentVolumeClaims, "shop", "grow");
    return c && (*c)["status"]["capacity"]["storage"] == "3Mi";
  }));
  Json pv = *api_.Get(res::kPersistentVolumes, "", VolumeOf("grow"));
  EXPECT_EQ(pv["spec"]["capacity"]["storage"], "3Mi");
  EXPECT_EQ(volumes_->state().volumes()[pv["spec"]["csi"]["volumeHandle"]].capacity, 3 << 20);
}

}  // namespace
}  // namespace capstan::csi
