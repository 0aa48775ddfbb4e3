#pragma once
// The keys every plugin config shares (SPEC section 1 and 3): name, type, ipam.type, dns,
// prevResult, runtimeConfig, args, and GC's cni.dev/valid-attachments.

#include <optional>
#include <set>
#include <string>
#include <utility>

#include "cni-plugins/lib/error.h"
#include "cni-plugins/lib/json_util.h"
#include "cni-plugins/lib/result.h"
#include "cni-plugins/lib/skel.h"

namespace capstan::cni {

struct NetConf {
  std::string name;
  std::string type;
  std::string cni_version;
  std::string ipam_type;  // "" when the config has no ipam section
  Dns dns;
  std::optional<AddResult> prev_result;
  Json runtime_config = Json::object();
  Json args = Json::object();
};

CniResult<NetConf> ParseNetConf(const CmdArgs& a);

// GC's cni.dev/valid-attachments as (containerID, ifname) pairs.
using Attachment = std::pair<std::string, std::string>;
CniResult<std::set<Attachment>> ValidAttachments(const Json& config);

// The hash naming an attachment's kernel objects: (container id, ifname).
std::string AttachmentHash(const std::string& container_id, const std::string& ifname);

}  // namespace capstan::cni
