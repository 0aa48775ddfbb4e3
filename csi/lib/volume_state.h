#pragma once
// What a directory-volume driver (capstan-csi-hostpath, capstan-csi-nfs) knows of its volumes
// and snapshots, kept in <root>/state.json and rewritten atomically after every change, so a
// driver killed at any moment restarts knowing every volume it made, where each lives, where
// it is staged and published, and what capacity is left.

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "common/error.h"

namespace capstan::csi {

struct VolumeRecord {
  std::string id;
  std::string name;  // CreateVolume's name: the idempotency key ("" for inline ephemeral)
  int64_t capacity = 0;
  std::string source_snapshot;  // content source, echoed back on a repeated CreateVolume
  std::string source_volume;
  bool ephemeral = false;  // an inline volume made by NodePublish, gone with its unpublish
  std::map<std::string, std::string> context;   // volume_context given to the CO
  std::map<std::string, std::string> location;  // where the backend keeps it (its own keys)
  std::map<std::string, bool> attached;         // ControllerPublish: node id -> read-only
  std::set<std::string> staged;                 // staging paths
  std::set<std::string> published;              // target paths
  uint64_t sequence = 0;                        // creation order: ListVolumes pages by it
};

struct SnapshotRecord {
  std::string id;
  std::string name;
  std::string source_volume;
  int64_t size = 0;
  int64_t created_unix_nanos = 0;
  uint64_t sequence = 0;
  std::map<std::string, std::string> location;  // where the backend keeps the copy
};

class State {
 public:
  // Loads <root>/state.json (absent: empty).
  static Result<State> Load(const std::string& root);
  Status Save() const;

  // Where a driver with local volumes keeps them (capstan-csi-hostpath).
  std::string VolumeDir(const std::string& id) const { return root_ + "/volumes/" + id; }
  std::string SnapshotDir(const std::string& id) const { return root_ + "/snapshots/" + id; }

  std::map<std::string, VolumeRecord>& volumes() { return volumes_; }
  std::map<std::string, SnapshotRecord>& snapshots() { return snapshots_; }
  const VolumeRecord* VolumeByName(const std::string& name) const;
  const SnapshotRecord* SnapshotByName(const std::string& name) const;
  int64_t Allocated() const;
  uint64_t NextSequence() { return ++sequence_; }

 private:
  std::string root_;
  std::map<std::string, VolumeRecord> volumes_;      // by id
  std::map<std::string, SnapshotRecord> snapshots_;  // by id
  uint64_t sequence_ = 0;
};

// A fresh id: a prefix and 32 hex digits from the kernel's random uuid.
std::string NewId(const std::string& prefix);

}  // namespace capstan::csi
