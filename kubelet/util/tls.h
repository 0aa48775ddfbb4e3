#pragma once
// TLS for httpGet probes and hooks with scheme HTTPS. As upstream (InsecureSkipVerify), the
// server's certificate is not verified: a probe asks "does it answer", not "is it who it
// says", and pods serve self-signed certificates. SNI is sent for names, not for addresses.
// TLS 1.2 at least. Thread-safe: one client context serves every connection.

#include <memory>
#include <string>

#include "common/error.h"
#include "common/unique_fd.h"
#include "kubelet/util/socket.h"

struct ssl_ctx_st;

namespace capstan::kubelet::util {

class InsecureTlsClient {
 public:
  static Result<std::unique_ptr<InsecureTlsClient>> Create();
  ~InsecureTlsClient();
  InsecureTlsClient(const InsecureTlsClient&) = delete;
  InsecureTlsClient& operator=(const InsecureTlsClient&) = delete;

  // Handshakes over the connected non-blocking socket within `deadline`.
  Result<std::unique_ptr<Conn>> Handshake(UniqueFd fd, const std::string& server_name,
                                          Deadline deadline, std::string what) const;

 private:
  explicit InsecureTlsClient(ssl_ctx_st* ctx) : ctx_(ctx) {}
  ssl_ctx_st* ctx_;
};

}  // namespace capstan::kubelet::util
