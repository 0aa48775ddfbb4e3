#pragma once

#include <google/protobuf/map.h>

#include <string>

namespace capstan::cri::runtime {

// A CRI label selector matches when every key/value it names is present.
inline bool LabelsMatch(const google::protobuf::Map<std::string, std::string>& want,
                        const google::protobuf::Map<std::string, std::string>& have) {
  for (const auto& [k, v] : want) {
    auto it = have.find(k);
    if (it == have.end() || it->second != v) {
      return false;
    }
  }
  return true;
}

}  // namespace capstan::cri::runtime
