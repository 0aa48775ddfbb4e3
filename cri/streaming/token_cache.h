#pragma once
// TokenCache: the one-time tokens in the URLs that Exec, Attach and PortForward return. A
// token names the request it was made for, is good for one connection and expires after a
// minute (containerd's and CRI-O's streaming servers do the same), so a URL that leaks from
// a log is useless.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace capstan::cri::streaming {

struct StreamRequest {
  enum class Kind { kExec, kAttach, kPortForward } kind = Kind::kExec;
  std::string container_id;      // exec, attach
  std::vector<std::string> cmd;  // exec
  bool tty = false, stdin = false, stdout = false, stderr = false;
  std::string sandbox_id;  // port-forward
  std::vector<int32_t> ports;
};

class TokenCache {
 public:
  explicit TokenCache(std::chrono::milliseconds ttl = std::chrono::minutes(1),
                      size_t max_in_flight = 1000);
  // A new token for `request`; ResourceExhausted when max_in_flight tokens are unused.
  Result<std::string> Insert(StreamRequest request);
  // The request for `token`, once: the token is gone afterwards. Nothing when it is unknown
  // or expired.
  std::optional<StreamRequest> Consume(const std::string& token);

 private:
  void DropExpiredLocked(std::chrono::steady_clock::time_point now);

  std::chrono::milliseconds ttl_;
  size_t max_in_flight_;
  std::mutex mu_;
  std::map<std::string, std::pair<std::chrono::steady_clock::time_point, StreamRequest>> entries_;
};

}  // namespace capstan::cri::streaming
