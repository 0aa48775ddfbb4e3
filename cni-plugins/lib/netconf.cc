#include "cni-plugins/lib/netconf.h"

#include "cni-plugins/lib/hash.h"
#include "cni-plugins/lib/validate.h"

namespace capstan::cni {

CniResult<NetConf> ParseNetConf(const CmdArgs& a) {
  NetConf n;
  const Json& c = a.config;
  n.cni_version = a.cni_version;
  CAPSTAN_ASSIGN_OR_RETURN(n.name, OptString(c, "name", ""));
  CAPSTAN_ASSIGN_OR_RETURN(n.type, OptString(c, "type", ""));
  CAPSTAN_ASSIGN_OR_RETURN(Json ipam, OptObject(c, "ipam", ""));
  CAPSTAN_ASSIGN_OR_RETURN(n.ipam_type, OptString(ipam, "type", "ipam"));
  if (!n.ipam_type.empty() && !IsValidPluginType(n.ipam_type)) {
    return CniFail(kInvalidConfig, "ipam.type {:?} is not a valid plugin name", n.ipam_type);
  }
  if (c.contains("dns")) {
    CAPSTAN_ASSIGN_OR_RETURN(n.dns, DnsFromJson(c["dns"], "dns"));
  }
  if (c.contains("prevResult") && !c["prevResult"].is_null()) {
    auto prev = ResultFromJson(c["prevResult"]);
    if (!prev) {
      CniError e = prev.error();
      e.msg = "prevResult: " + e.msg;
      return std::unexpected(e);
    }
    n.prev_result = std::move(*prev);
  }
  CAPSTAN_ASSIGN_OR_RETURN(n.runtime_config, OptObject(c, "runtimeConfig", ""));
  CAPSTAN_ASSIGN_OR_RETURN(n.args, OptObject(c, "args", ""));
  return n;
}

CniResult<std::set<Attachment>> ValidAttachments(const Json& config) {
  std::set<Attachment> out;
  CAPSTAN_ASSIGN_OR_RETURN(Json list, OptArray(config, "cni.dev/valid-attachments", ""));
  for (size_t i = 0; i < list.size(); ++i) {
    std::string where = fmt::format("cni.dev/valid-attachments[{}]", i);
    if (!list[i].is_object()) {
      return CniFail(kDecodingFailure, "{} must be an object", where);
    }
    CAPSTAN_ASSIGN_OR_RETURN(std::string id, OptString(list[i], "containerID", where));
    CAPSTAN_ASSIGN_OR_RETURN(std::string ifname, OptString(list[i], "ifname", where));
    out.emplace(id, ifname);
  }
  return out;
}

std::string AttachmentHash(const std::string& container_id, const std::string& ifname) {
  return HashHex(container_id + ":" + ifname);
}

}  // namespace capstan::cni
