// The exec protocol without a process: environment, stdin and version checks give the spec's
// error codes before any plugin code runs.
#include "cni-plugins/lib/skel.h"

#include <gtest/gtest.h>

#include <map>

namespace capstan::cni {
namespace {

struct Fixture {
  std::map<std::string, std::string> env = {{"CNI_COMMAND", "ADD"},
                                            {"CNI_CONTAINERID", "abc"},
                                            {"CNI_NETNS", "/run/netns/x"},
                                            {"CNI_IFNAME", "eth0"},
                                            {"CNI_PATH", "/opt/cni/bin"}};
  std::string stdin_data = R"({"cniVersion": "1.0.0", "name": "net1", "type": "fake"})";
  int adds = 0;
  CmdArgs last;

  PluginOutcome Run() {
    PluginFuncs f;
    f.add = [this](const CmdArgs& a) -> CniResult<std::string> {
      ++adds;
      last = a;
      return std::string(R"({"cniVersion":"1.0.0"})");
    };
    f.del = [](const CmdArgs&) -> CniStatus { return CniFail(kTryAgainLater, "busy"); };
    f.check = [](const CmdArgs&) -> CniStatus { return {}; };
    PluginIo io;
    io.getenv = [this](const char* k) -> const char* {
      auto it = env.find(k);
      return it == env.end() ? nullptr : it->second.c_str();
    };
    io.stdin_data = stdin_data;
    return RunPlugin("fake", f, io);
  }
};

int CodeOf(const PluginOutcome& o) { return Json::parse(o.out).value("code", 0); }

TEST(Skel, RunsAddWithParsedArgs) {
  Fixture f;
  auto o = f.Run();
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(f.adds, 1);
  EXPECT_EQ(f.last.container_id, "abc");
  EXPECT_EQ(f.last.cni_version, "1.0.0");
  EXPECT_EQ(f.last.config["name"], "net1");
}

TEST(Skel, MissingOrInvalidEnvironmentIsCode4) {
  for (const char* var : {"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"}) {
    Fixture f;
    f.env.erase(var);
    auto o = f.Run();
    EXPECT_EQ(o.exit_code, 1);
    EXPECT_EQ(CodeOf(o), kInvalidEnvironment) << var;
    EXPECT_NE(o.out.find(var), std::string::npos) << o.out;
    EXPECT_EQ(f.adds, 0);
  }
  for (auto [var, value] :
       std::vector<std::pair<const char*, const char*>>{{"CNI_COMMAND", "FROB"},
                                                        {"CNI_IFNAME", "a-very-long-interface"},
                                                        {"CNI_IFNAME", "a/b"},
                                                        {"CNI_IFNAME", ".."},
                                                        {"CNI_CONTAINERID", "../etc"},
                                                        {"CNI_NETNS", "relative/path"}}) {
    Fixture f;
    f.env[var] = value;
    auto o = f.Run();
    EXPECT_EQ(CodeOf(o), kInvalidEnvironment) << var << "=" << value;
  }
  Fixture del;
  del.env["CNI_COMMAND"] = "DEL";
  del.env.erase("CNI_NETNS");  // optional for DEL
  EXPECT_EQ(CodeOf(del.Run()), kTryAgainLater);
}

TEST(Skel, BadConfigsGetDecodingVersionAndConfigCodes) {
  struct Case {
    const char* config;
    int code;
  } cases[] = {
      {"not json", kDecodingFailure},
      {"[1, 2]", kDecodingFailure},
      {R"({"name": "n"})", kIncompatibleVersion},
      {R"({"cniVersion": 1, "name": "n"})", kDecodingFailure},
      {R"({"cniVersion": "0.2.0", "name": "n"})", kIncompatibleVersion},
      {R"({"cniVersion": "9.9.9", "name": "n"})", kIncompatibleVersion},
      {R"({"cniVersion": "1.0", "name": "n"})", kIncompatibleVersion},
      {R"({"cniVersion": "1.0.0", "name": "../etc"})", kInvalidConfig},
      {R"({"cniVersion": "1.0.0", "name": ""})", kInvalidConfig},
      {R"({"cniVersion": "1.0.0", "name": "a b"})", kInvalidConfig},
  };
  for (const auto& c : cases) {
    Fixture f;
    f.stdin_data = c.config;
    auto o = f.Run();
    EXPECT_EQ(o.exit_code, 1);
    EXPECT_EQ(CodeOf(o), c.code) << c.config << " -> " << o.out;
  }
}

TEST(Skel, CommandsNeedTheirVersion) {
  Fixture check;
  check.env["CNI_COMMAND"] = "CHECK";
  check.stdin_data = R"({"cniVersion": "0.3.1", "name": "n"})";
  EXPECT_EQ(CodeOf(check.Run()), kIncompatibleVersion);
  Fixture gc;
  gc.env = {{"CNI_COMMAND", "GC"}, {"CNI_PATH", "/x"}};
  gc.stdin_data = R"({"cniVersion": "1.0.0", "name": "n"})";
  EXPECT_EQ(CodeOf(gc.Run()), kIncompatibleVersion);
  gc.stdin_data = R"({"cniVersion": "1.1.0", "name": "n"})";
  EXPECT_EQ(gc.Run().exit_code, 0);
  Fixture status;
  status.env = {{"CNI_COMMAND", "STATUS"}};
  status.stdin_data = R"({"cniVersion": "1.1.0", "name": "n"})";
  EXPECT_EQ(status.Run().exit_code, 0);
}

TEST(Skel, VersionListsWhatWeSpeak) {
  Fixture f;
  f.env = {{"CNI_COMMAND", "VERSION"}};
  f.stdin_data = R"({"cniVersion": "0.4.0"})";
  auto o = f.Run();
  ASSERT_EQ(o.exit_code, 0);
  Json j = Json::parse(o.out);
  EXPECT_EQ(j["cniVersion"], "0.4.0");
  EXPECT_EQ(j["supportedVersions"],
            Json::parse(R"(["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"])"));
  f.stdin_data = "";
  EXPECT_EQ(Json::parse(f.Run().out)["cniVersion"], "1.1.0");
}

}  // namespace
}  // namespace capstan::cni
