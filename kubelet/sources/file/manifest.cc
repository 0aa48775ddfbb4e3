#include "kubelet/sources/file/manifest.h"

#include <openssl/evp.h>

#include "api/k8s/codec.h"
#include "api/k8s/defaults.h"
#include "api/k8s/validation.h"
#include "kubelet/sources/pod_config.h"

namespace capstan::kubelet::sources {
namespace {

std::string Md5Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += fmt::format("{:02x}", digest[i]);
  }
  return out;
}

}  // namespace

Result<std::vector<api::k8s::Pod>> StaticPodsFromManifest(std::string_view text,
                                                          const std::string& path,
                                                          const std::string& node_name,
                                                          WallTime seen) {
  CAPSTAN_ASSIGN_OR_RETURN(std::vector<api::k8s::Pod> decoded, api::k8s::DecodePodManifest(text));
  std::vector<api::k8s::Pod> out;
  for (size_t i = 0; i < decoded.size(); ++i) {
    api::k8s::Pod pod = api::k8s::WithDefaults(std::move(decoded[i]));
    pod.status = {};
    if (auto st = api::k8s::ValidatePod(pod); !st) {
      return decoded.size() == 1 ? Fail(st.error().Wrap("invalid pod"))
                                 : Fail(st.error().Wrap("invalid pod items[{}]", i));
    }
    if (pod.metadata.uid.empty()) {
      // The uid hashes the defaulted pod (nlohmann orders keys: a canonical form), the node
      // and the file, as upstream hashes the object with host and file.
      std::string material = api::k8s::EncodePod(pod).dump();
      material += "host:" + node_name;
      material += "file:" + path;
      pod.metadata.uid = Md5Hex(material);
    }
    pod.metadata.name += "-" + node_name;
    pod.spec.node_name = node_name;
    pod.metadata.annotations[kConfigHashAnnotation] = pod.metadata.uid;
    pod.metadata.annotations[kConfigSourceAnnotation] = kFileSource;
    pod.metadata.annotations[kConfigSeenAnnotation] = FormatRfc3339Nano(seen);
    pod.status.phase = "Pending";
    out.push_back(std::move(pod));
  }
  return out;
}

}  // namespace capstan::kubelet::sources
