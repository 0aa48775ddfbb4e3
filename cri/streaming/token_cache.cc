#include "cri/streaming/token_cache.h"

#include <sys/random.h>

namespace capstan::cri::streaming {

namespace {

// 16 random bytes, base64url without padding (URL-safe as a path segment).
Result<std::string> NewToken() {
  unsigned char raw[16];
  if (::getrandom(raw, sizeof(raw), 0) != sizeof(raw)) {
    return FailErrno("getrandom");
  }
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char b : raw) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

}  // namespace

TokenCache::TokenCache(std::chrono::milliseconds ttl, size_t max_in_flight)
    : ttl_(ttl), max_in_flight_(max_in_flight) {}

void TokenCache::DropExpiredLocked(std::chrono::steady_clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->second.first <= now ? entries_.erase(it) : std::next(it);
  }
}

Result<std::string> TokenCache::Insert(StreamRequest request) {
  CAPSTAN_ASSIGN_OR_RETURN(std::string token, NewToken());
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  DropExpiredLocked(now);
  if (entries_.size() >= max_in_flight_) {
    return Fail(Code::kResourceExhausted, "too many streaming requests in flight ({})",
                entries_.size());
  }
  entries_[token] = {now + ttl_, std::move(request)};
  return token;
}

std::optional<StreamRequest> TokenCache::Consume(const std::string& token) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(token);
  if (it == entries_.end()) return std::nullopt;
  auto [deadline, request] = std::move(it->second);
  entries_.erase(it);
  if (deadline <= std::chrono::steady_clock::now()) return std::nullopt;
  return std::move(request);
}

}  // namespace capstan::cri::streaming
