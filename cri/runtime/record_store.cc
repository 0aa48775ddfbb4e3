#include "cri/runtime/record_store.h"

#include <sys/random.h>

#include <filesystem>

#include "common/file.h"
#include "common/log.h"

namespace capstan::cri::runtime {

namespace {
const log::Logger kLog("cri.store");
}

std::string NewId() {
  unsigned char bytes[32];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    ssize_t n = ::getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
    }
  }
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 15];
  }
  return id;
}

std::string SandboxName(const v1::PodSandboxMetadata& m) {
  return fmt::format("{}_{}_{}_{}", m.name(), m.namespace_(), m.uid(), m.attempt());
}

std::string ContainerName(const v1::ContainerMetadata& c, const v1::PodSandboxMetadata& s) {
  return fmt::format("{}_{}_{}_{}_{}", c.name(), s.name(), s.namespace_(), s.uid(), c.attempt());
}

RecordStore::RecordStore(std::string root) : root_(std::move(root)) {}

Result<RecordStore::Orphans> RecordStore::Load() {
  Orphans orphans;
  CAPSTAN_TRY(MkdirAll(root_ + "/sandboxes", 0700));
  CAPSTAN_TRY(MkdirAll(root_ + "/containers", 0700));
  for (const auto& e : std::filesystem::directory_iterator(root_ + "/sandboxes")) {
    auto text = ReadFile(e.path() / "meta.json");
    auto rec =
        text ? SandboxFromJson(*text) : Result<std::shared_ptr<SandboxRecord>>(Fail(text.error()));
    if (!rec) {
      kLog.Warn("sandbox without a readable record",
                {{"dir", e.path().string()}, {"error", rec.error().message()}});
      orphans.sandbox_dirs.push_back(e.path().filename());
      continue;
    }
    names_[SandboxName((*rec)->config.metadata())] = (*rec)->id;
    sandboxes_[(*rec)->id] = *rec;
  }
  for (const auto& e : std::filesystem::directory_iterator(root_ + "/containers")) {
    auto text = ReadFile(e.path() / "meta.json");
    auto rec = text ? ContainerFromJson(*text)
                    : Result<std::shared_ptr<ContainerRecord>>(Fail(text.error()));
    if (!rec || !sandboxes_.count((*rec)->sandbox_id)) {
      orphans.container_dirs.push_back(e.path().filename());
      continue;
    }
    const auto& sb = sandboxes_[(*rec)->sandbox_id];
    names_[ContainerName((*rec)->config.metadata(), sb->config.metadata())] = (*rec)->id;
    containers_[(*rec)->id] = *rec;
  }
  return orphans;
}

Status RecordStore::ReserveName(const std::string& name, const std::string& id) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = names_.emplace(name, id);
  if (!inserted && it->second != id) {
    return Fail(Code::kAlreadyExists, "name {:?} is reserved for {}", name, it->second);
  }
  return Ok();
}

void RecordStore::ReleaseName(const std::string& name) {
  std::lock_guard lock(mu_);
  names_.erase(name);
}

void RecordStore::Add(std::shared_ptr<SandboxRecord> r) {
  std::lock_guard lock(mu_);
  sandboxes_[r->id] = std::move(r);
}
void RecordStore::Add(std::shared_ptr<ContainerRecord> r) {
  std::lock_guard lock(mu_);
  containers_[r->id] = std::move(r);
}
void RecordStore::RemoveSandbox(const std::string& id) {
  std::lock_guard lock(mu_);
  sandboxes_.erase(id);
}
void RecordStore::RemoveContainer(const std::string& id) {
  std::lock_guard lock(mu_);
  containers_.erase(id);
}

template <typename T>
Result<std::shared_ptr<T>> RecordStore::Find(const std::map<std::string, std::shared_ptr<T>>& m,
                                             const std::string& key, const char* kind) const {
  if (key.empty()) {
    return Fail(Code::kInvalidArgument, "{} id is empty", kind);
  }
  std::lock_guard lock(mu_);
  auto it = m.lower_bound(key);
  if (it != m.end() && it->first == key) {
    return it->second;
  }
  if (it != m.end() && it->first.compare(0, key.size(), key) == 0) {
    auto next = std::next(it);
    if (next == m.end() || next->first.compare(0, key.size(), key) != 0) {
      return it->second;
    }
    return Fail(Code::kNotFound, "{} id prefix {:?} is ambiguous", kind, key);
  }
  return Fail(Code::kNotFound, "{} {:?} not found", kind, key);
}

Result<std::shared_ptr<SandboxRecord>> RecordStore::Sandbox(const std::string& id) const {
  return Find(sandboxes_, id, "sandbox");
}
Result<std::shared_ptr<ContainerRecord>> RecordStore::Container(const std::string& id) const {
  return Find(containers_, id, "container");
}

std::vector<std::shared_ptr<SandboxRecord>> RecordStore::Sandboxes() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<SandboxRecord>> out;
  for (const auto& [id, r] : sandboxes_) {
    out.push_back(r);
  }
  return out;
}

std::vector<std::shared_ptr<ContainerRecord>> RecordStore::Containers() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<ContainerRecord>> out;
  for (const auto& [id, r] : containers_) {
    out.push_back(r);
  }
  return out;
}

std::vector<std::shared_ptr<ContainerRecord>> RecordStore::ContainersOf(
    const std::string& sandbox_id) const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<ContainerRecord>> out;
  for (const auto& [id, r] : containers_) {
    if (r->sandbox_id == sandbox_id) {
      out.push_back(r);
    }
  }
  return out;
}

Status RecordStore::Persist(const SandboxRecord& r) {
  std::string dir = SandboxDir(r.id);
  CAPSTAN_TRY(MkdirAll(dir, 0700));
  return WriteFileAtomic(dir + "/meta.json", SandboxToJson(r), 0600);
}

Status RecordStore::Persist(const ContainerRecord& r) {
  std::string dir = ContainerDir(r.id);
  CAPSTAN_TRY(MkdirAll(dir, 0700));
  return WriteFileAtomic(dir + "/meta.json", ContainerToJson(r), 0600);
}

}  // namespace capstan::cri::runtime
