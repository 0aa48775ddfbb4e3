#pragma once
// RecordStore: the in-memory index of sandboxes and containers, their reserved names, and
// their meta.json files under <root>/sandboxes/<id>/ and <root>/containers/<id>/.
// Thread-safe. Lookups accept a full id or a unique prefix of one (as crictl users type).

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cri/runtime/records.h"

namespace capstan::cri::runtime {

class RecordStore {
 public:
  explicit RecordStore(std::string root);

  // Loads every meta.json. Directories without a readable meta.json are returned (to be
  // cleaned up): they are creations a crash interrupted.
  struct Orphans {
    std::vector<std::string> sandbox_dirs;
    std::vector<std::string> container_dirs;
  };
  Result<Orphans> Load();

  // The CRI's names are unique among live objects; AlreadyExists names the holder.
  Status ReserveName(const std::string& name, const std::string& id);
  void ReleaseName(const std::string& name);

  void Add(std::shared_ptr<SandboxRecord> r);
  void Add(std::shared_ptr<ContainerRecord> r);
  void RemoveSandbox(const std::string& id);
  void RemoveContainer(const std::string& id);

  Result<std::shared_ptr<SandboxRecord>> Sandbox(const std::string& id_or_prefix) const;
  Result<std::shared_ptr<ContainerRecord>> Container(const std::string& id_or_prefix) const;
  std::vector<std::shared_ptr<SandboxRecord>> Sandboxes() const;
  std::vector<std::shared_ptr<ContainerRecord>> Containers() const;
  std::vector<std::shared_ptr<ContainerRecord>> ContainersOf(const std::string& sandbox_id) const;

  // Writes meta.json atomically. The caller holds the record's mu.
  Status Persist(const SandboxRecord& r);
  Status Persist(const ContainerRecord& r);

  std::string SandboxDir(const std::string& id) const { return root_ + "/sandboxes/" + id; }
  std::string ContainerDir(const std::string& id) const { return root_ + "/containers/" + id; }

 private:
  template <typename T>
  Result<std::shared_ptr<T>> Find(const std::map<std::string, std::shared_ptr<T>>& m,
                                  const std::string& key, const char* kind) const;

  std::string root_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> names_;  // name -> id
  std::map<std::string, std::shared_ptr<SandboxRecord>> sandboxes_;
  std::map<std::string, std::shared_ptr<ContainerRecord>> containers_;
};

// Unique names as containerd forms them.
std::string SandboxName(const v1::PodSandboxMetadata& m);
std::string ContainerName(const v1::ContainerMetadata& c, const v1::PodSandboxMetadata& s);

// 64 hex characters from the kernel's random pool.
std::string NewId();

}  // namespace capstan::cri::runtime
