// Localhost seccomp profiles in the OCI / Docker JSON format.
#include <seccomp.h>

#include <nlohmann/json.hpp>

#include "cri/oci/seccomp.h"

namespace capstan::cri::oci {
namespace {

using nlohmann::json;

Result<uint32_t> ParseAction(const std::string& action, const json& rule) {
  int errno_ret = rule.is_object() ? rule.value("errnoRet", EPERM) : EPERM;
  if (action == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (action == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(static_cast<uint32_t>(errno_ret));
  if (action == "SCMP_ACT_KILL" || action == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL;
  if (action == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (action == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (action == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (action == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(static_cast<uint16_t>(errno_ret));
  return Fail(Code::kInvalidArgument, "seccomp profile: unknown action {:?}", action);
}

Result<uint32_t> ParseArch(const std::string& arch) {
  if (arch == "SCMP_ARCH_X86_64") return SCMP_ARCH_X86_64;
  if (arch == "SCMP_ARCH_X86") return SCMP_ARCH_X86;
  if (arch == "SCMP_ARCH_X32") return SCMP_ARCH_X32;
  if (arch == "SCMP_ARCH_AARCH64") return SCMP_ARCH_AARCH64;
  if (arch == "SCMP_ARCH_ARM") return SCMP_ARCH_ARM;
  return Fail(Code::kInvalidArgument, "seccomp profile: unknown architecture {:?}", arch);
}

Result<scmp_compare> ParseOp(const std::string& op) {
  if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
  if (op == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  return Fail(Code::kInvalidArgument, "seccomp profile: unknown operator {:?}", op);
}

// Builds the filter; loads it only when `load` is set.
Status Build(const std::string& text, bool load) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    return Fail(Code::kInvalidArgument, "seccomp profile is not valid JSON: {}", e.what());
  }
  if (!doc.is_object() || !doc.contains("defaultAction") || !doc["defaultAction"].is_string()) {
    return Fail(Code::kInvalidArgument, "seccomp profile: defaultAction is required");
  }
  CAPSTAN_ASSIGN_OR_RETURN(uint32_t def, ParseAction(doc["defaultAction"], doc));
  scmp_filter_ctx ctx = seccomp_init(def);
  if (ctx == nullptr) {
    return Fail(Code::kInternal, "seccomp_init failed");
  }
  struct Release {
    scmp_filter_ctx c;
    ~Release() { seccomp_release(c); }
  } release{ctx};
  try {
    for (const auto& a : doc.value("architectures", json::array())) {
      CAPSTAN_ASSIGN_OR_RETURN(uint32_t arch, ParseArch(a.get<std::string>()));
      int rc = seccomp_arch_add(ctx, arch);
      if (rc != 0 && rc != -EEXIST) {
        return Fail(Code::kInvalidArgument, "seccomp profile: adding architecture failed");
      }
    }
    for (const auto& rule : doc.value("syscalls", json::array())) {
      CAPSTAN_ASSIGN_OR_RETURN(uint32_t action, ParseAction(rule.at("action"), rule));
      std::vector<scmp_arg_cmp> cmps;
      for (const auto& arg : rule.value("args", json::array())) {
        CAPSTAN_ASSIGN_OR_RETURN(scmp_compare op, ParseOp(arg.at("op")));
        cmps.push_back(scmp_arg_cmp{arg.at("index").get<unsigned>(), op,
                                    arg.value("value", uint64_t{0}),
                                    arg.value("valueTwo", uint64_t{0})});
      }
      std::vector<std::string> names = rule.value("names", std::vector<std::string>{});
      if (rule.contains("name")) {
        names.push_back(rule["name"]);
      }
      for (const auto& name : names) {
        int nr = seccomp_syscall_resolve_name(name.c_str());
        if (nr == __NR_SCMP_ERROR || action == def) {
          continue;  // unknown here, or the rule changes nothing
        }
        int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(cmps.size()),
                                        cmps.data());
        if (rc != 0) {
          return Fail(Code::kInvalidArgument, "seccomp profile: rule for {} rejected ({})", name,
                      rc);
        }
      }
    }
  } catch (const json::exception& e) {
    return Fail(Code::kInvalidArgument, "seccomp profile: {}", e.what());
  }
  if (load) {
    if (int rc = seccomp_load(ctx); rc != 0) {
      return Fail(ErrnoError(-rc, "loading seccomp profile"));
    }
  }
  return Ok();
}

}  // namespace

Status LoadSeccompProfile(const std::string& json_text) { return Build(json_text, true); }
Status ValidateSeccompProfile(const std::string& json_text) { return Build(json_text, false); }

}  // namespace capstan::cri::oci
