#pragma once
// A small blocking SPDY/3.1 client for tests: the client end of Kubernetes' streaming
// protocols, as kubectl and crictl speak them (HTTP upgrade, then one SPDY stream per
// channel with a "streamtype" header).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/spdy/frame.h"
#include "common/unique_fd.h"

struct ssl_ctx_st;
struct ssl_st;

namespace capstan::integration {

class SpdyClient {
 public:
  ~SpdyClient();
  // Connects to `url` (http:// or https://host:port/path; TLS without verifying the server,
  // as `curl -k`) and asks to upgrade to SPDY/3.1 with these
  // X-Stream-Protocol-Version values. Fails unless the answer is 101; `status_out` gets the
  // status code (and `body_out` the body) of a refusal.
  static Result<std::unique_ptr<SpdyClient>> Connect(const std::string& url,
                                                     const std::vector<std::string>& protocols,
                                                     int* status_out = nullptr,
                                                     std::string* body_out = nullptr);

  const std::string& protocol() const { return protocol_; }
  // Opens a stream with these headers; returns its id.
  uint32_t Open(const spdy::HeaderBlock& headers);
  bool Send(uint32_t stream_id, std::string_view data, bool fin = false);
  // Reads frames until `done` holds, the connection ends, or the timeout passes; false on
  // timeout.
  bool ReadUntil(const std::function<bool()>& done,
                 std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void Close() { fd_.Reset(); }

  std::map<uint32_t, std::string> data;  // by stream
  std::set<uint32_t> finished;           // streams the server half-closed
  std::set<uint32_t> replied;            // streams the server accepted (SYN_REPLY)
  std::set<uint32_t> reset;              // streams the server refused or reset
  bool closed = false;                   // GOAWAY or EOF

 private:
  ssize_t RawSend(const void* data, size_t n);
  ssize_t RawRecv(void* data, size_t n);
  bool Readable(int timeout_ms);

  UniqueFd fd_;
  ::ssl_ctx_st* ctx_ = nullptr;
  ::ssl_st* ssl_ = nullptr;
  std::string protocol_;
  spdy::FrameWriter writer_;
  spdy::FrameReader reader_;
  uint32_t next_id_ = 1;
};

}  // namespace capstan::integration
