#pragma once
// One operation at a time per volume (or snapshot) key. The CSI spec asks a plugin that is
// already working on a volume to answer ABORTED to a second call for it rather than queue it:
// the CO retries, and a slow call never piles up threads behind it.

#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace capstan::csi {

class KeyedLocks {
 public:
  class Guard {
   public:
    Guard(KeyedLocks* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    Guard(Guard&& o) noexcept : owner_(o.owner_), key_(std::move(o.key_)) { o.owner_ = nullptr; }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    Guard& operator=(Guard&&) = delete;
    ~Guard();

   private:
    KeyedLocks* owner_;
    std::string key_;
  };

  // Empty when another call holds `key`.
  std::optional<Guard> TryLock(const std::string& key);

 private:
  std::mutex mu_;
  std::set<std::string> held_;
};

}  // namespace capstan::csi
