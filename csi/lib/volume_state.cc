#include "csi/lib/volume_state.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/file.h"

namespace capstan::csi {

using nlohmann::json;

namespace {

json ToJson(const VolumeRecord& v) {
  return {{"id", v.id},
          {"name", v.name},
          {"capacity", v.capacity},
          {"sourceSnapshot", v.source_snapshot},
          {"sourceVolume", v.source_volume},
          {"ephemeral", v.ephemeral},
          {"context", v.context},
          {"location", v.location},
          {"attached", v.attached},
          {"staged", v.staged},
          {"published", v.published},
          {"sequence", v.sequence}};
}

json ToJson(const SnapshotRecord& s) {
  return {{"id", s.id},
          {"name", s.name},
          {"sourceVolume", s.source_volume},
          {"size", s.size},
          {"created", s.created_unix_nanos},
          {"location", s.location},
          {"sequence", s.sequence}};
}

}  // namespace

Result<State> State::Load(const std::string& root) {
  State state;
  state.root_ = root;
  CAPSTAN_TRY(MkdirAll(root + "/volumes", 0755));
  CAPSTAN_TRY(MkdirAll(root + "/snapshots", 0700));
  std::string path = root + "/state.json";
  if (!PathExists(path)) {
    return state;
  }
  CAPSTAN_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  try {
    json doc = json::parse(text);
    for (const json& j : doc.value("volumes", json::array())) {
      VolumeRecord v;
      v.id = j.at("id").get<std::string>();
      v.name = j.value("name", "");
      v.capacity = j.value("capacity", int64_t{0});
      v.source_snapshot = j.value("sourceSnapshot", "");
      v.source_volume = j.value("sourceVolume", "");
      v.ephemeral = j.value("ephemeral", false);
      v.context = j.value("context", std::map<std::string, std::string>{});
      v.location = j.value("location", std::map<std::string, std::string>{});
      v.attached = j.value("attached", std::map<std::string, bool>{});
      v.staged = j.value("staged", std::set<std::string>{});
      v.published = j.value("published", std::set<std::string>{});
      v.sequence = j.value("sequence", uint64_t{0});
      state.sequence_ = std::max(state.sequence_, v.sequence);
      state.volumes_[v.id] = std::move(v);
    }
    for (const json& j : doc.value("snapshots", json::array())) {
      SnapshotRecord s;
      s.id = j.at("id").get<std::string>();
      s.name = j.value("name", "");
      s.source_volume = j.value("sourceVolume", "");
      s.size = j.value("size", int64_t{0});
      s.created_unix_nanos = j.value("created", int64_t{0});
      s.location = j.value("location", std::map<std::string, std::string>{});
      s.sequence = j.value("sequence", uint64_t{0});
      state.sequence_ = std::max(state.sequence_, s.sequence);
      state.snapshots_[s.id] = std::move(s);
    }
  } catch (const json::exception& e) {
    return Fail(Code::kInternal, "{} is corrupt: {}", path, e.what());
  }
  return state;
}

Status State::Save() const {
  json doc = {{"volumes", json::array()}, {"snapshots", json::array()}};
  for (const auto& [id, v] : volumes_) {
    doc["volumes"].push_back(ToJson(v));
  }
  for (const auto& [id, s] : snapshots_) {
    doc["snapshots"].push_back(ToJson(s));
  }
  return WriteFileAtomic(root_ + "/state.json", doc.dump(1));
}

const VolumeRecord* State::VolumeByName(const std::string& name) const {
  for (const auto& [id, v] : volumes_) {
    if (!v.name.empty() && v.name == name) {
      return &v;
    }
  }
  return nullptr;
}

const SnapshotRecord* State::SnapshotByName(const std::string& name) const {
  for (const auto& [id, s] : snapshots_) {
    if (s.name == name) {
      return &s;
    }
  }
  return nullptr;
}

int64_t State::Allocated() const {
  int64_t total = 0;
  for (const auto& [id, v] : volumes_) {
    total += v.capacity;
  }
  return total;
}

std::string NewId(const std::string& prefix) {
  auto uuid = ReadFile("/proc/sys/kernel/random/uuid");
  std::string hex;
  for (char c : uuid ? *uuid : std::string()) {
    if (std::isxdigit(static_cast<unsigned char>(c))) {
      hex += c;
    }
  }
  return prefix + hex;
}

}  // namespace capstan::csi
