#pragma once
// Static pod manifests for the kubelet tests: a Pod named `name` in namespace default whose
// spec is `spec` (YAML indented by two spaces), with IMAGE and HOSTDIR replaced.

#include <string>

namespace capstan::integration::kubelet {

inline std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

inline std::string PodYaml(const std::string& name, const std::string& spec,
                           const std::string& image, const std::string& host_dir = "") {
  std::string text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name +
                     "\n  namespace: default\nspec:" + spec;
  return ReplaceAll(ReplaceAll(text, "IMAGE", image), "HOSTDIR", host_dir);
}

}  // namespace capstan::integration::kubelet
