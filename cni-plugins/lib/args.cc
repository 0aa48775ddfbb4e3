#include "cni-plugins/lib/args.h"

namespace capstan::cni {

CniResult<CniArgs> ParseCniArgs(std::string_view text, const std::set<std::string>& known) {
  CniArgs out;
  if (text.empty()) {
    return out;
  }
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find(';', pos);
    std::string_view pair = text.substr(pos, end == std::string_view::npos ? end : end - pos);
    pos = end == std::string_view::npos ? text.size() + 1 : end + 1;
    if (pair.empty()) {
      continue;
    }
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return CniFail(kInvalidEnvironment, "CNI_ARGS: {:?} is not KEY=VALUE", pair);
    }
    out[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
  }
  bool ignore_unknown = false;
  if (auto it = out.find("IgnoreUnknown"); it != out.end()) {
    const std::string& v = it->second;
    ignore_unknown = v == "1" || v == "true" || v == "True" || v == "TRUE" || v == "t";
  }
  static const std::set<std::string> kAlways = {"IgnoreUnknown", "K8S_POD_NAME",
                                                "K8S_POD_NAMESPACE", "K8S_POD_INFRA_CONTAINER_ID",
                                                "K8S_POD_UID"};
  if (!ignore_unknown) {
    for (const auto& [k, v] : out) {
      if (!kAlways.count(k) && !known.count(k)) {
        return CniFail(kInvalidEnvironment, "CNI_ARGS: unknown key {:?}", k);
      }
    }
  }
  return out;
}

}  // namespace capstan::cni
