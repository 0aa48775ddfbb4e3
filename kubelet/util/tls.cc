#include "kubelet/util/tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>

#include <cstring>

namespace capstan::kubelet::util {
namespace {

std::string OpenSslError() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) {
      out += "; ";
    }
    out += buf;
  }
  return out.empty() ? "unknown TLS error" : out;
}

bool IsIpAddress(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

class TlsConn : public Conn {
 public:
  TlsConn(UniqueFd fd, SSL* ssl, std::string what)
      : fd_(std::move(fd)), ssl_(ssl), what_(std::move(what)) {}
  ~TlsConn() override {
    // Best effort, without waiting: the connection is done with either way.
    ERR_clear_error();
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }

  // Runs one OpenSSL step until it completes, waiting on the socket in between as it asks.
  template <typename Step>
  Result<int> Drive(Step step, Deadline deadline, const char* op) {
    while (true) {
      ERR_clear_error();
      int r = step();
      if (r > 0) {
        return r;
      }
      switch (SSL_get_error(ssl_, r)) {
        case SSL_ERROR_WANT_READ: CAPSTAN_TRY(WaitFd(fd_.get(), POLLIN, deadline, what_)); break;
        case SSL_ERROR_WANT_WRITE: CAPSTAN_TRY(WaitFd(fd_.get(), POLLOUT, deadline, what_)); break;
        // The peer closed (SSL_OP_IGNORE_UNEXPECTED_EOF turns a bare close into this too).
        case SSL_ERROR_ZERO_RETURN: return 0;
        case SSL_ERROR_SYSCALL:
          if (errno == 0 || errno == ECONNRESET) {
            return Fail(Code::kUnavailable, "{}: TLS {}: connection closed", what_, op);
          }
          return Fail(Code::kUnavailable, "{}: TLS {}: {}", what_, op, std::strerror(errno));
        default: return Fail(Code::kUnavailable, "{}: TLS {}: {}", what_, op, OpenSslError());
      }
    }
  }

  Status Handshake(Deadline deadline) {
    CAPSTAN_ASSIGN_OR_RETURN(int r,
                             Drive([this] { return SSL_connect(ssl_); }, deadline, "handshake"));
    if (r == 0) {
      return Fail(Code::kUnavailable, "{}: TLS handshake: connection closed", what_);
    }
    return Ok();
  }

  Status Send(std::string_view data, Deadline deadline) override {
    while (!data.empty()) {
      size_t written = 0;
      CAPSTAN_ASSIGN_OR_RETURN(
          int r, Drive([&] { return SSL_write_ex(ssl_, data.data(), data.size(), &written); },
                       deadline, "write"));
      if (r == 0) {
        return Fail(Code::kUnavailable, "{}: TLS write: connection closed", what_);
      }
      data.remove_prefix(written);
    }
    return Ok();
  }

  Result<size_t> Recv(char* buf, size_t len, Deadline deadline) override {
    size_t got = 0;
    CAPSTAN_ASSIGN_OR_RETURN(
        int r, Drive([&] { return SSL_read_ex(ssl_, buf, len, &got); }, deadline, "read"));
    return r == 0 ? 0 : got;
  }

 private:
  UniqueFd fd_;
  SSL* ssl_;
  std::string what_;
};

}  // namespace

Result<std::unique_ptr<InsecureTlsClient>> InsecureTlsClient::Create() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    return Fail(Code::kInternal, "TLS client context: {}", OpenSslError());
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  return std::unique_ptr<InsecureTlsClient>(new InsecureTlsClient(ctx));
}

InsecureTlsClient::~InsecureTlsClient() { SSL_CTX_free(ctx_); }

Result<std::unique_ptr<Conn>> InsecureTlsClient::Handshake(UniqueFd fd,
                                                           const std::string& server_name,
                                                           Deadline deadline,
                                                           std::string what) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) {
    return Fail(Code::kInternal, "{}: TLS: {}", what, OpenSslError());
  }
  int raw_fd = fd.get();
  auto conn = std::make_unique<TlsConn>(std::move(fd), ssl, what);
  if (SSL_set_fd(ssl, raw_fd) != 1) {
    return Fail(Code::kInternal, "{}: TLS: {}", what, OpenSslError());
  }
  if (!server_name.empty() && !IsIpAddress(server_name)) {
    SSL_set_tlsext_host_name(ssl, server_name.c_str());
  }
  SSL_set_connect_state(ssl);
  CAPSTAN_TRY(conn->Handshake(deadline));
  return std::unique_ptr<Conn>(std::move(conn));
}

}  // namespace capstan::kubelet::util
