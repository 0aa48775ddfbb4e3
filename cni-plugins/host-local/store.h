#pragma once
// host-local's allocations on disk, in the reference plugin's format so either plugin can
// take over the other's directory: <dataDir>/<network>/<ip> holds "<containerID>\r\n<ifname>",
// last_reserved_ip.<rangeset index> the round-robin cursor, and "lock" is flock()ed around
// every change, so concurrent plugin processes never hand out one address twice.

#include <string>
#include <vector>

#include "cni-plugins/lib/ip.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace capstan::cni::host_local {

struct Allocation {
  IpAddr ip;
  std::string container_id;
  std::string ifname;  // "" in files written by old versions (id only)
};

class Store {
 public:
  // Creates <data_dir>/<network> if needed. `network` must be a validated network name.
  static Result<Store> Open(const std::string& data_dir, const std::string& network);

  // Holds the exclusive lock until the returned guard goes.
  class Lock {
   public:
    explicit Lock(int fd) : fd_(fd) {}
    Lock(Lock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    ~Lock();

   private:
    int fd_;
  };
  Result<Lock> Acquire();

  // Creates the file for `ip` unless it exists; false when taken. Records it as the last
  // reserved address of `range_id`.
  Result<bool> Reserve(const std::string& id, const std::string& ifname, const IpAddr& ip,
                       int range_id);
  std::optional<IpAddr> LastReserved(int range_id);
  // Every allocation in the directory.
  Result<std::vector<Allocation>> List();
  // Removes the files of (id, ifname), and of id alone in the old format. Missing is fine.
  Status ReleaseById(const std::string& id, const std::string& ifname);
  Status Release(const IpAddr& ip);

  const std::string& dir() const { return dir_; }

 private:
  Store(std::string dir, UniqueFd dir_fd, UniqueFd lock_fd)
      : dir_(std::move(dir)), dir_fd_(std::move(dir_fd)), lock_fd_(std::move(lock_fd)) {}
  std::string dir_;
  UniqueFd dir_fd_;
  UniqueFd lock_fd_;
};

}  // namespace capstan::cni::host_local
