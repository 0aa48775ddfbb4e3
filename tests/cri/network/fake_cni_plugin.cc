// A CNI plugin for the runtime's unit tests, run through links named after plugin types. It
// records every call (type, command, CNI_* variables, stdin) as a JSON line in
// $FAKE_CNI_DIR/calls and behaves as files in that directory say:
//   fail-<type>-<COMMAND>  answer with error code 11
//   versions-<type>        the VERSION answer
// ADD without prevResult returns an interface in the sandbox with 10.99.0.9/16 and fd00::9/64;
// with prevResult it passes it on, adding its type to dns.nameservers (to show the order).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

extern char** environ;

int main(int argc, char** argv) {
  using nlohmann::json;
  const char* d = std::getenv("FAKE_CNI_DIR");
  if (d == nullptr) {
    return 3;
  }
  std::string dir = d;
  std::string type = std::filesystem::path(argv[0]).filename();
  std::string cmd = std::getenv("CNI_COMMAND") ? std::getenv("CNI_COMMAND") : "";
  std::stringstream ss;
  ss << std::cin.rdbuf();
  json input = json::parse(ss.str(), nullptr, false);
  json env = json::object();
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    if (kv.rfind("CNI_", 0) == 0) {
      env[kv.substr(0, kv.find('='))] = kv.substr(kv.find('=') + 1);
    }
  }
  {
    std::ofstream calls(dir + "/calls", std::ios::app);
    calls << json{{"type", type},
                  {"cmd", cmd},
                  {"env", env},
                  {"stdin", input.is_discarded() ? json() : input}}
                 .dump()
          << "\n";
  }
  if (std::filesystem::exists(dir + "/fail-" + type + "-" + cmd)) {
    std::cout << R"({"cniVersion":"1.0.0","code":11,"msg":"try again later"})";
    return 1;
  }
  if (cmd == "VERSION") {
    std::ifstream v(dir + "/versions-" + type);
    if (v) {
      std::cout << v.rdbuf();
    } else {
      std::cout
          << R"({"cniVersion":"1.0.0","supportedVersions":["0.3.1","0.4.0","1.0.0","1.1.0"]})";
    }
    return 0;
  }
  if (cmd == "ADD") {
    json result;
    if (input.contains("prevResult")) {
      result = input["prevResult"];
      result["dns"]["nameservers"].push_back(type);
    } else {
      result = json{
          {"cniVersion", input["cniVersion"]},
          {"interfaces", {{{"name", "cni0"}}, {{"name", "eth0"}, {"sandbox", env["CNI_NETNS"]}}}},
          {"ips",
           {{{"address", "fd00::9/64"}, {"interface", 1}},
            {{"address", "10.99.0.1/16"}, {"interface", 0}},
            {{"address", "10.99.0.9/16"}, {"interface", 1}}}}};
    }
    std::cout << result.dump();
  }
  return 0;
}
