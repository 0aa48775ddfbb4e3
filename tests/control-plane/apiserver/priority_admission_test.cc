// The Priority admission plugin: classes resolve to values, the global default applies, and
// what contradicts a class is refused with upstream's words.
#include <gtest/gtest.h>

#include "control-plane/apiserver/priority_admission.h"
#include "tests/control-plane/apiserver/registry_fixture.h"

namespace capstan::control_plane::apiserver {
namespace {

class PriorityAdmissionTest : public RegistryFixture {
 protected:
  void AddClass(const std::string& name, int value, bool global_default = false,
                const std::string& policy = "") {
    Json pc = {{"metadata", {{"name", name}}}, {"value", value}};
    if (global_default) pc["globalDefault"] = true;
    if (!policy.empty()) pc["preemptionPolicy"] = policy;
    ASSERT_TRUE(AdmitPriorityClass(store_.get(), pc));
    ASSERT_TRUE(registry_->Create(Res("priorityclasses", "scheduling.k8s.io"), "", pc, false));
  }
  static Json Pod(Json spec) {
    spec["containers"] = {{{"name", "a"}, {"image", "b"}}};
    return {{"metadata", {{"name", "web"}, {"namespace", "default"}}}, {"spec", std::move(spec)}};
  }
};

TEST_F(PriorityAdmissionTest, NoClassAndNoDefaultIsPriorityZero) {
  Json pod = Pod(Json::object());
  ASSERT_TRUE(AdmitPodPriority(store_.get(), pod));
  EXPECT_EQ(pod["spec"]["priority"], 0);
  EXPECT_EQ(pod["spec"]["preemptionPolicy"], "PreemptLowerPriority");
  EXPECT_FALSE(pod["spec"].contains("priorityClassName"));
}

TEST_F(PriorityAdmissionTest, NamedClassGivesItsValueAndPolicy) {
  AddClass("batch", 100, false, "Never");
  Json pod = Pod({{"priorityClassName", "batch"}});
  ASSERT_TRUE(AdmitPodPriority(store_.get(), pod));
  EXPECT_EQ(pod["spec"]["priority"], 100);
  EXPECT_EQ(pod["spec"]["preemptionPolicy"], "Never");
}

TEST_F(PriorityAdmissionTest, GlobalDefaultAppliesToPodsWithoutAClass) {
  AddClass("low", 10);
  AddClass("normal", 500, true);
  Json pod = Pod(Json::object());
  ASSERT_TRUE(AdmitPodPriority(store_.get(), pod));
  EXPECT_EQ(pod["spec"]["priority"], 500);
  EXPECT_EQ(pod["spec"]["priorityClassName"], "normal");
}

TEST_F(PriorityAdmissionTest, MissingClassIsForbidden) {
  Json pod = Pod({{"priorityClassName", "gold"}});
  auto r = AdmitPodPriority(store_.get(), pod);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 403);
  EXPECT_EQ(r.error().message,
            "pods \"web\" is forbidden: no PriorityClass with name gold was found");
}

TEST_F(PriorityAdmissionTest, PriorityOrPolicyOtherThanTheClassGivesIsForbidden) {
  AddClass("high", 1000);
  Json pod = Pod({{"priorityClassName", "high"}, {"priority", 7}});
  auto r = AdmitPodPriority(store_.get(), pod);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 403);
  EXPECT_NE(r.error().message.find("the integer value of priority (7) must not be provided in pod "
                                   "spec; priority admission controller computed 1000"),
            std::string::npos)
      << r.error().message;
  Json same = Pod({{"priorityClassName", "high"}, {"priority", 1000}});
  EXPECT_TRUE(AdmitPodPriority(store_.get(), same));

  Json never = Pod({{"priorityClassName", "high"}, {"preemptionPolicy", "Never"}});
  auto p = AdmitPodPriority(store_.get(), never);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("the string value of PreemptionPolicy (Never)"),
            std::string::npos);
}

TEST_F(PriorityAdmissionTest, OnlyOneGlobalDefault) {
  AddClass("normal", 500, true);
  Json second = {{"metadata", {{"name", "other"}}}, {"value", 1}, {"globalDefault", true}};
  auto r = AdmitPriorityClass(store_.get(), second);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 403);
  EXPECT_NE(r.error().message.find("PriorityClass normal is already marked as default. Only one "
                                   "default can exist"),
            std::string::npos);
}

TEST_F(PriorityAdmissionTest, SystemNamesAndValuesAreReserved) {
  for (const auto& pc : SystemPriorityClasses()) {
    EXPECT_TRUE(AdmitPriorityClass(store_.get(), pc));
  }
  auto named =
      AdmitPriorityClass(store_.get(), {{"metadata", {{"name", "system-x"}}}, {"value", 1}});
  ASSERT_FALSE(named);
  EXPECT_EQ(named.error().code, 422);
  auto high =
      AdmitPriorityClass(store_.get(), {{"metadata", {{"name", "huge"}}}, {"value", 1000000001}});
  ASSERT_FALSE(high);
  EXPECT_NE(high.error().message.find("maximum allowed value of a user defined priority is "
                                      "1000000000"),
            std::string::npos);
}

}  // namespace
}  // namespace capstan::control_plane::apiserver

namespace capstan::control_plane::apiserver {
namespace {

class PriorityClassStrategyTest : public RegistryFixture {};

TEST_F(PriorityClassStrategyTest, ValuesAreInt32AndImmutable) {
  const auto& r = Res("priorityclasses", "scheduling.k8s.io");
  auto huge =
      registry_->Create(r, "", {{"metadata", {{"name", "huge"}}}, {"value", 3000000000LL}}, false);
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().code, 422);
  auto stringy = registry_->Create(
      r, "", {{"metadata", {{"name", "s"}}}, {"value", 1}, {"globalDefault", "yes"}}, false);
  ASSERT_FALSE(stringy);
  EXPECT_NE(stringy.error().message.find("globalDefault"), std::string::npos);
  ASSERT_TRUE(registry_->Create(r, "", {{"metadata", {{"name", "ok"}}}, {"value", 5}}, false));
  auto got = registry_->Get(r, "", "ok");
  ASSERT_TRUE(got);
  Json changed = *got;
  changed["value"] = 6;
  auto updated = registry_->Update(r, "", "ok", changed, "", false);
  ASSERT_FALSE(updated);
  EXPECT_NE(updated.error().message.find("value: Forbidden: may not be changed in an update."),
            std::string::npos)
      << updated.error().message;
}

}  // namespace
}  // namespace capstan::control_plane::apiserver
