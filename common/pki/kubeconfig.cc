#include "common/pki/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "common/file.h"
#include "common/pki/base64.h"

namespace capstan::pki {

Status WriteKubeconfig(const std::string& path, const KubeconfigSpec& spec) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "v1";
  out << YAML::Key << "kind" << YAML::Value << "Config";
  out << YAML::Key << "clusters" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << spec.cluster_name;
  out << YAML::Key << "cluster" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "server" << YAML::Value << spec.server;
  out << YAML::Key << "certificate-authority-data" << YAML::Value << Base64Encode(spec.ca_pem);
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "users" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << spec.user_name;
  out << YAML::Key << "user" << YAML::Value << YAML::BeginMap;
  if (!spec.client_cert_pem.empty()) {
    out << YAML::Key << "client-certificate-data" << YAML::Value
        << Base64Encode(spec.client_cert_pem);
    out << YAML::Key << "client-key-data" << YAML::Value << Base64Encode(spec.client_key_pem);
  }
  if (!spec.token.empty()) out << YAML::Key << "token" << YAML::Value << spec.token;
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "contexts" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << spec.cluster_name;
  out << YAML::Key << "context" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "cluster" << YAML::Value << spec.cluster_name;
  out << YAML::Key << "user" << YAML::Value << spec.user_name;
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "current-context" << YAML::Value << spec.cluster_name;
  out << YAML::EndMap;
  return WriteFileAtomic(path, std::string(out.c_str()) + "\n", 0600);
}

namespace {

YAML::Node Named(const YAML::Node& list, const std::string& name, const char* inner) {
  if (!list.IsSequence()) return YAML::Node();
  for (const auto& item : list) {
    if (item["name"] && item["name"].as<std::string>() == name) return item[inner];
  }
  return YAML::Node();
}

// Embedded data, or a file relative to the kubeconfig's folder.
Result<std::string> Material(const YAML::Node& node, const char* data_key, const char* file_key,
                             const std::filesystem::path& base) {
  if (node[data_key]) {
    auto decoded = Base64Decode(node[data_key].as<std::string>());
    if (!decoded) return Fail(Code::kInvalidArgument, "{} is not base64", data_key);
    return *decoded;
  }
  if (node[file_key]) {
    std::filesystem::path p = node[file_key].as<std::string>();
    if (p.is_relative()) p = base / p;
    return ReadFile(p);
  }
  return std::string();
}

}  // namespace

Result<Kubeconfig> ReadKubeconfig(const std::string& path) {
  CAPSTAN_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  try {
    YAML::Node root = YAML::Load(text);
    std::string current = root["current-context"] ? root["current-context"].as<std::string>() : "";
    YAML::Node context = Named(root["contexts"], current, "context");
    if (!context) return Fail(Code::kInvalidArgument, "{}: no current context", path);
    YAML::Node cluster = Named(root["clusters"], context["cluster"].as<std::string>(""), "cluster");
    YAML::Node user = Named(root["users"], context["user"].as<std::string>(""), "user");
    if (!cluster) return Fail(Code::kInvalidArgument, "{}: no cluster for the context", path);
    auto base = std::filesystem::path(path).parent_path();
    Kubeconfig kc;
    kc.server = cluster["server"].as<std::string>("");
    kc.insecure_skip_tls_verify = cluster["insecure-skip-tls-verify"].as<bool>(false);
    CAPSTAN_ASSIGN_OR_RETURN(
        kc.ca_pem, Material(cluster, "certificate-authority-data", "certificate-authority", base));
    if (user) {
      CAPSTAN_ASSIGN_OR_RETURN(kc.client_cert_pem, Material(user, "client-certificate-data",
                                                            "client-certificate", base));
      CAPSTAN_ASSIGN_OR_RETURN(kc.client_key_pem,
                               Material(user, "client-key-data", "client-key", base));
      kc.token = user["token"].as<std::string>("");
    }
    return kc;
  } catch (const YAML::Exception& e) {
    return Fail(Code::kInvalidArgument, "{}: {}", path, e.what());
  }
}

}  // namespace capstan::pki
