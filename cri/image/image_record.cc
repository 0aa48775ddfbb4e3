#include "cri/image/image_record.h"

#include <nlohmann/json.hpp>

#include "cri/image/digest.h"

namespace capstan::cri::image {

using nlohmann::json;

std::string EncodeRecord(const ImageRecord& r) {
  json cfg = {
      {"user", r.config.user},
      {"env", r.config.env},
      {"entrypoint", r.config.entrypoint},
      {"cmd", r.config.cmd},
      {"working_dir", r.config.working_dir},
      {"labels", r.config.labels},
      {"volumes", r.config.volumes},
      {"stop_signal", r.config.stop_signal},
  };
  json j = {
      {"id", r.id},
      {"repo_tags", r.repo_tags},
      {"repo_digests", r.repo_digests},
      {"manifest_digest", r.manifest_digest},
      {"size", r.size},
      {"config", cfg},
      {"diff_ids", r.diff_ids},
      {"blobs", r.blobs},
      {"updated_unix_nanos", r.updated_unix_nanos},
  };
  return j.dump(2) + "\n";
}

Result<ImageRecord> DecodeRecord(std::string_view text) {
  ImageRecord r;
  try {
    json j = json::parse(text);
    r.id = j.at("id").get<std::string>();
    r.repo_tags = j.value("repo_tags", std::vector<std::string>{});
    r.repo_digests = j.value("repo_digests", std::vector<std::string>{});
    r.manifest_digest = j.value("manifest_digest", std::string());
    r.size = j.value("size", uint64_t{0});
    r.diff_ids = j.at("diff_ids").get<std::vector<std::string>>();
    r.blobs = j.value("blobs", std::set<std::string>{});
    r.updated_unix_nanos = j.value("updated_unix_nanos", int64_t{0});
    const json& c = j.at("config");
    r.config.user = c.value("user", std::string());
    r.config.env = c.value("env", std::vector<std::string>{});
    r.config.entrypoint = c.value("entrypoint", std::vector<std::string>{});
    r.config.cmd = c.value("cmd", std::vector<std::string>{});
    r.config.working_dir = c.value("working_dir", std::string());
    r.config.labels = c.value("labels", std::map<std::string, std::string>{});
    r.config.volumes = c.value("volumes", std::vector<std::string>{});
    r.config.stop_signal = c.value("stop_signal", std::string());
  } catch (const json::exception& e) {
    return Fail(Code::kInvalidArgument, "image record: {}", e.what());
  }
  CAPSTAN_TRY(CheckDigest(r.id, "image record id"));
  for (const auto& d : r.diff_ids) {
    CAPSTAN_TRY(CheckDigest(d, "image record diff_ids"));
  }
  for (const auto& d : r.blobs) {
    CAPSTAN_TRY(CheckDigest(d, "image record blobs"));
  }
  return r;
}

}  // namespace capstan::cri::image
