#include "cni-plugins/lib/error.h"

#include <nlohmann/json.hpp>

namespace capstan::cni {

std::string CniError::ToJson(const std::string& cni_version) const {
  nlohmann::json j{{"cniVersion", cni_version}, {"code", code}, {"msg", msg}};
  if (!details.empty()) {
    j["details"] = details;
  }
  // Messages may quote hostile input: never let invalid UTF-8 throw here.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace capstan::cni
