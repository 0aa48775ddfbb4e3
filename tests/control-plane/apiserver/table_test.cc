#include "control-plane/apiserver/table.h"

#include <gtest/gtest.h>

#include "api/k8s/meta.h"

namespace capstan::control_plane::apiserver {
namespace {

const WallTime kNow = *api::k8s::ParseTime("2026-12-01T12:00:00Z");

// A copy: BuiltinResources() returns its list by value.
ResourceInfo Builtin(const std::string& plural) {
  for (auto& x : BuiltinResources()) {
    if (x.plural == plural) return x;
  }
  return ResourceInfo{};
}
const ResourceInfo& Pods() {
  static const ResourceInfo pods = Builtin("pods");
  return pods;
}

Json Pod(const std::string& status_json, const std::string& spec_extra = "") {
  Json pod = Json::parse(R"({"metadata":{"name":"web","creationTimestamp":"2026-12-01T11:55:00Z"},
    "spec":{"containers":[{"name":"a"},{"name":"b"}]}})");
  pod["status"] = Json::parse(status_json);
  if (!spec_extra.empty()) pod["spec"].update(Json::parse(spec_extra));
  return pod;
}

TEST(PodTable, RunningWithRestartsAndWideColumns) {
  Json pod = Pod(R"({"phase":"Running","podIP":"10.88.0.5","podIPs":[{"ip":"10.88.0.5"}],
    "containerStatuses":[
      {"name":"a","ready":true,"restartCount":2,"state":{"running":{}},
       "lastState":{"terminated":{"exitCode":1,"finishedAt":"2026-12-01T11:59:30Z"}}},
      {"name":"b","ready":true,"restartCount":0,"state":{"running":{}}}]})",
                 R"({"nodeName":"node1"})");
  Json cells = CellsFor(Pods(), pod, kNow);
  Json want = Json::array(
      {"web", "2/2", "Running", "2 (30s ago)", "5m", "10.88.0.5", "node1", "<none>", "<none>"});
  EXPECT_EQ(cells, want);
}

TEST(PodTable, StatusReasons) {
  struct Case {
    const char* status;
    const char* want;
  } cases[] = {
      {R"({"phase":"Pending"})", "Pending"},
      {R"({"phase":"Running","containerStatuses":[{"name":"a","ready":false,"restartCount":5,
          "state":{"waiting":{"reason":"CrashLoopBackOff"}}}]})",
       "CrashLoopBackOff"},
      {R"({"phase":"Pending","initContainerStatuses":[
          {"name":"i1","state":{"terminated":{"exitCode":0}}},
          {"name":"i2","state":{"running":{}}}]})",
       "Init:1/2"},
      {R"({"phase":"Pending","initContainerStatuses":[
          {"name":"i1","state":{"terminated":{"exitCode":3}}}]})",
       "Init:ExitCode:3"},
      {R"({"phase":"Failed","containerStatuses":[{"name":"a","state":{"terminated":{"exitCode":137,"reason":"OOMKilled"}}}]})",
       "OOMKilled"},
  };
  for (const auto& c : cases) {
    Json pod = Pod(c.status, R"({"initContainers":[{"name":"i1"},{"name":"i2"}]})");
    EXPECT_EQ(CellsFor(Pods(), pod, kNow)[2], c.want) << c.status;
  }
}

TEST(PodTable, TerminatingAndTable) {
  Json pod = Pod(R"({"phase":"Running"})");
  pod["metadata"]["deletionTimestamp"] = "2026-12-01T12:00:30Z";
  EXPECT_EQ(CellsFor(Pods(), pod, kNow)[2], "Terminating");
  Json table = ObjectToTable(Pods(), pod, kNow, "Metadata");
  EXPECT_EQ(table["kind"], "Table");
  EXPECT_EQ(table["columnDefinitions"][0]["name"], "Name");
  EXPECT_EQ(table["columnDefinitions"][5]["priority"], 1);
  EXPECT_EQ(table["rows"][0]["object"]["kind"], "PartialObjectMetadata");
}

// printNode: Ready when the Ready condition is True, NotReady for False and Unknown alike.
TEST(NodeTable, StatusColumn) {
  auto status_of = [](const char* ready, bool unschedulable) {
    Json node = {{"metadata", {{"name", "n1"}, {"creationTimestamp", "2026-12-01T11:00:00Z"}}},
                 {"spec", {{"unschedulable", unschedulable}}},
                 {"status", {{"conditions", Json::array()}}}};
    if (ready) node["status"]["conditions"].push_back({{"type", "Ready"}, {"status", ready}});
    return CellsFor(Builtin("nodes"), node, kNow)[1];
  };
  EXPECT_EQ(status_of("True", false), "Ready");
  EXPECT_EQ(status_of("False", false), "NotReady");
  EXPECT_EQ(status_of("Unknown", false), "NotReady");
  EXPECT_EQ(status_of(nullptr, false), "Unknown");
  EXPECT_EQ(status_of("True", true), "Ready,SchedulingDisabled");
}

// printResourceQuota: used/hard per resource in name order, limits.* in their own column.
TEST(ResourceQuotaTable, RequestAndLimitColumns) {
  Json quota =
      Json::parse(R"({"metadata":{"name":"compute","creationTimestamp":"2026-12-01T11:00:00Z"},
    "spec":{"hard":{"pods":"10","requests.cpu":"4","limits.memory":"16Gi"}},
    "status":{"hard":{"pods":"10","requests.cpu":"4","limits.memory":"16Gi"},
              "used":{"pods":"2","requests.cpu":"750m"}}})");
  EXPECT_EQ(
      CellsFor(Builtin("resourcequotas"), quota, kNow),
      Json::array({"compute", "60m", "pods: 2/10, requests.cpu: 750m/4", "limits.memory: 0/16Gi"}));
}

TEST(HumanDuration, MatchesApimachinery) {
  using std::chrono::seconds;
  EXPECT_EQ(HumanDuration(seconds(5)), "5s");
  EXPECT_EQ(HumanDuration(seconds(119)), "119s");
  EXPECT_EQ(HumanDuration(seconds(125)), "2m5s");
  EXPECT_EQ(HumanDuration(seconds(600)), "10m");
  EXPECT_EQ(HumanDuration(seconds(3 * 3600 + 120)), "3h2m");
  EXPECT_EQ(HumanDuration(seconds(30 * 3600)), "30h");
  EXPECT_EQ(HumanDuration(seconds(3 * 86400 + 3600)), "3d1h");
  EXPECT_EQ(HumanDuration(seconds(400 * 86400)), "400d");
}

}  // namespace
}  // namespace capstan::control_plane::apiserver
