#pragma once
// Internal to http_server.cc: one connection of an HttpServer, plain HTTP or TLS, on
// Boost.Beast. Every step runs on the server's io thread; the router and log reads run on
// its worker pool.

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <type_traits>

#include "common/log.h"
#include "kubelet/server/http_server.h"

namespace capstan::kubelet::server::internal {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

inline const log::Logger kSessionLog("kubelet-server");
inline constexpr size_t kMaxBodyBytes = 64 * 1024;  // no endpoint takes a body
inline constexpr size_t kChunkBytes = 64 * 1024;

// What Stop needs of a connection.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Ends the connection at once. On the io thread.
  virtual void Abort() = 0;
};

// What sessions share with their server; outlives every session.
struct SessionContext {
  HttpServerOptions options;
  const Router* router = nullptr;
  net::thread_pool* pool = nullptr;
  std::atomic<size_t> connections{0};
  std::mutex sessions_mu;
  std::set<SessionBase*> sessions;  // registered for their lifetime
};

inline std::string Utf8(const ASN1_STRING* s) {
  unsigned char* out = nullptr;
  int n = ASN1_STRING_to_UTF8(&out, s);
  if (n < 0) {
    return "";
  }
  std::string r(reinterpret_cast<char*>(out), n);
  OPENSSL_free(out);
  return r;
}

// The client's certificate, if it sent one; `verified` only if OpenSSL's chain check passed.
inline std::optional<PeerCertificate> PeerOf(SSL* ssl, bool verify_failed) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) {
    return std::nullopt;
  }
  PeerCertificate p;
  p.verified = !verify_failed && SSL_get_verify_result(ssl) == X509_V_OK;
  X509_NAME* name = X509_get_subject_name(cert);
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    if (nid == NID_commonName) {
      p.common_name = Utf8(X509_NAME_ENTRY_get_data(e));  // the last one, as Go's pkix
    } else if (nid == NID_organizationName) {
      p.organizations.push_back(Utf8(X509_NAME_ENTRY_get_data(e)));
    }
  }
  X509_free(cert);
  return p;
}

// Whether a comma-separated header value lists `token` (case-insensitively).
inline bool HasToken(std::string value, std::string_view token) {
  std::transform(value.begin(), value.end(), value.begin(), ::tolower);
  size_t at = 0;
  while (at <= value.size()) {
    size_t comma = value.find(',', at);
    if (comma == std::string::npos) comma = value.size();
    std::string item = value.substr(at, comma - at);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (item == token) return true;
    at = comma + 1;
  }
  return false;
}

// One connection: reads requests, hands them to the router on the pool, writes responses
// (or streams a log). Every step runs on the io thread; the router and the log reader run
// on the pool.
template <typename Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  template <typename... Args>
  Session(SessionContext* server, Args&&... args)
      : server_(server), stream_(std::forward<Args>(args)...), timer_(stream_.get_executor()) {
    ++server_->connections;
    std::lock_guard lock(server_->sessions_mu);
    server_->sessions.insert(this);
  }
  ~Session() override {
    {
      // First thing: Stop may be aborting this session under the lock.
      std::lock_guard lock(server_->sessions_mu);
      server_->sessions.erase(this);
    }
    --server_->connections;
  }

  // Ends the connection at once (pending operations complete with errors). On the io thread.
  void Abort() override {
    if (closed_) {
      return;
    }
    closed_ = true;
    timer_.cancel();
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().close();
  }

  void Run() {
    if constexpr (kTls) {
      auto self = this->shared_from_this();
      if (server_->options.tls && !server_->options.tls->client_ca_file.empty()) {
        // Ask for a certificate but let the handshake finish without a valid one: an
        // unverified certificate is then ignored, and the request may still be anonymous.
        stream_.set_verify_mode(ssl::verify_peer);
        // `this`, not `self`: the stream owns the callback, which would otherwise own the
        // session; it only runs during the handshake, which holds the session.
        stream_.set_verify_callback([this](bool ok, ssl::verify_context&) {
          if (!ok) {
            verify_failed_ = true;
          }
          return true;
        });
      }
      Lowest().expires_after(server_->options.handshake_timeout);
      stream_.async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
        if (ec) {
          kSessionLog.Debug("TLS handshake", {{"error", ec.message()}});
          return;
        }
        self->peer_ = PeerOf(self->stream_.native_handle(), self->verify_failed_);
        self->Read();
      });
    } else {
      Read();
    }
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void Read() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_->options.max_header_bytes));
    parser_->body_limit(kMaxBodyBytes);
    Lowest().expires_after(server_->options.read_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream) {
      Close();
      return;
    }
    if (ec == http::error::header_limit) {
      Reply(431, "request headers too large", false);
      return;
    }
    if (ec == http::error::body_limit) {
      Reply(413, "request body too large", false);
      return;
    }
    if (ec) {
      if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
        Reply(400, "malformed request", false);
      }
      return;  // timeouts, resets: drop the connection
    }
    const auto& req = parser_->get();
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    std::string method(req.method_string());
    std::string target(req.target());
    bool upgrade = req.find(http::field::upgrade) != req.end() &&
                   HasToken(std::string(req[http::field::connection]), "upgrade");
    Lowest().expires_never();  // the router may take a while; the client is not involved
    net::post(*server_->pool, [self = this->shared_from_this(), method = std::move(method),
                               target = std::move(target), upgrade] {
      auto r = std::make_shared<HttpResponse>(
          self->server_->router->Handle(method, target, self->peer_, upgrade));
      net::post(self->stream_.get_executor(), [self, r] { self->Respond(std::move(*r)); });
    });
  }

  void Reply(int status, std::string body, bool keep_alive) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    keep_alive_ = keep_alive;
    Respond(std::move(r));
  }

  void Respond(HttpResponse r) {
    if (r.stream) {
      StartStream(std::move(r));
      return;
    }
    if (!r.proxy_url.empty()) {
      StartProxy(r.proxy_url);
      return;
    }
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), version_ ? version_ : 11);
    res->set(http::field::content_type, r.content_type);
    res->set("X-Content-Type-Options", "nosniff");
    res->keep_alive(keep_alive_);
    res->body() = std::move(r.body);
    res->prepare_payload();
    Lowest().expires_after(server_->options.write_timeout);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec) {
                          return;
                        }
                        if (res->keep_alive()) {
                          self->Read();
                        } else {
                          self->Close();
                        }
                      });
  }

  // A log: the header now, then the reader's output as it comes, until it ends or the
  // client goes away. The connection closes afterwards.
  void StartStream(HttpResponse r) {
    reader_ = std::move(r.stream);
    chunked_ = version_ >= 11;
    auto res = std::make_shared<http::response<http::empty_body>>(
        static_cast<http::status>(r.status), version_ ? version_ : 11);
    res->set(http::field::content_type, r.content_type);
    res->set("X-Content-Type-Options", "nosniff");
    res->keep_alive(false);
    if (chunked_) {
      res->chunked(true);
    }
    auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*res);
    Lowest().expires_after(server_->options.write_timeout);
    http::async_write_header(
        stream_, *sr, [self = this->shared_from_this(), res, sr](beast::error_code ec, size_t) {
          if (ec) {
            return;
          }
          self->WatchClient();
          self->Pump();
        });
  }

  // Any read completing while a log streams means the client closed (or misbehaves).
  void WatchClient() {
    Lowest().expires_never();
    stream_.async_read_some(net::buffer(&probe_, 1),
                            [self = this->shared_from_this()](beast::error_code, size_t) {
                              self->client_gone_ = true;
                              self->timer_.cancel();
                            });
  }

  void Pump() {
    if (client_gone_ || closed_) {
      Abort();
      return;
    }
    net::post(*server_->pool, [self = this->shared_from_this()] {
      auto chunk =
          std::make_shared<Result<logs::LogReader::Chunk>>(self->reader_->Next(kChunkBytes));
      net::post(self->stream_.get_executor(), [self, chunk] { self->OnChunk(*chunk); });
    });
  }

  void OnChunk(Result<logs::LogReader::Chunk>& chunk) {
    if (client_gone_ || closed_) {
      Abort();
      return;
    }
    if (!chunk) {
      kSessionLog.Warn("reading a container log", {{"error", chunk.error().message()}});
      Finish();
      return;
    }
    bool end = chunk->state == logs::LogReader::State::kEnd;
    if (!chunk->data.empty()) {
      data_ = std::move(chunk->data);
      Lowest().expires_after(server_->options.write_timeout);
      auto done = [self = this->shared_from_this(), end](beast::error_code ec, size_t) {
        if (ec) {
          self->Abort();
        } else if (end) {
          self->Finish();
        } else {
          self->Pump();
        }
      };
      if (chunked_) {
        net::async_write(stream_, http::make_chunk(net::buffer(data_)), std::move(done));
      } else {
        net::async_write(stream_, net::buffer(data_), std::move(done));
      }
      return;
    }
    if (end) {
      Finish();
      return;
    }
    timer_.expires_after(server_->options.follow_poll);
    timer_.async_wait([self = this->shared_from_this()](beast::error_code) { self->Pump(); });
  }

  void Finish() {
    if (!chunked_) {
      Abort();
      return;
    }
    Lowest().expires_after(server_->options.write_timeout);
    net::async_write(
        stream_, http::make_chunk_last(),
        [self = this->shared_from_this()](beast::error_code, size_t) { self->Abort(); });
  }

  // Exec, attach, port-forward: the client's request goes to the runtime's streaming server
  // (plain HTTP on the node, e.g. http://127.0.0.1:PORT/exec/TOKEN), then bytes are relayed
  // both ways, the runtime's 101 answer included, until either side closes.
  void StartProxy(const std::string& url) {
    static constexpr std::string_view kScheme = "http://";
    std::string rest = url.rfind(kScheme, 0) == 0 ? url.substr(kScheme.size()) : "";
    size_t slash = rest.find('/');
    std::string hostport = rest.substr(0, slash);
    std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
    size_t colon = hostport.rfind(':');
    beast::error_code ec;
    std::string host = colon == std::string::npos ? hostport : hostport.substr(0, colon);
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    auto address = net::ip::make_address(host, ec);
    int port = colon == std::string::npos ? 80 : std::atoi(hostport.c_str() + colon + 1);
    if (rest.empty() || ec || port <= 0 || port > 65535) {
      kSessionLog.Warn("unusable streaming URL from the runtime", {{"url", url}});
      Reply(500, "the runtime returned an unusable streaming URL", false);
      return;
    }
    const auto& req = parser_->get();
    auto head = std::make_shared<std::string>(std::string(req.method_string()) + " " + path +
                                              " HTTP/1.1\r\nHost: " + hostport + "\r\n");
    for (const auto& field : req) {
      if (field.name() == http::field::host) continue;
      *head += std::string(field.name_string()) + ": " + std::string(field.value()) + "\r\n";
    }
    *head += "\r\n";
    // What the client sent past its request (nothing, usually: it waits for the 101).
    *head += beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    backend_.emplace(stream_.get_executor());
    backend_->async_connect(
        tcp::endpoint(address, static_cast<unsigned short>(port)),
        [self = this->shared_from_this(), head](beast::error_code ec) {
          if (ec) {
            kSessionLog.Warn("connecting to the runtime's streaming server",
                             {{"error", ec.message()}});
            self->Reply(502, "error connecting to the runtime's streaming server", false);
            return;
          }
          net::async_write(*self->backend_, net::buffer(*head),
                           [self, head](beast::error_code ec, size_t) {
                             if (ec) {
                               self->EndProxy();
                               return;
                             }
                             self->RelayToRuntime();
                             self->RelayToClient();
                           });
        });
  }

  void RelayToRuntime() {
    stream_.async_read_some(net::buffer(to_runtime_), [self = this->shared_from_this()](
                                                          beast::error_code ec, size_t n) {
      if (ec) {
        self->EndProxy();
        return;
      }
      net::async_write(*self->backend_, net::buffer(self->to_runtime_.data(), n),
                       [self](beast::error_code ec, size_t) {
                         if (ec) {
                           self->EndProxy();
                         } else {
                           self->RelayToRuntime();
                         }
                       });
    });
  }

  void RelayToClient() {
    backend_->async_read_some(
        net::buffer(to_client_), [self = this->shared_from_this()](beast::error_code ec, size_t n) {
          if (ec) {
            self->EndProxy();
            return;
          }
          net::async_write(self->stream_, net::buffer(self->to_client_.data(), n),
                           [self](beast::error_code ec, size_t) {
                             if (ec) {
                               self->EndProxy();
                             } else {
                               self->RelayToClient();
                             }
                           });
        });
  }

  void EndProxy() {
    if (backend_) {
      beast::error_code ec;
      backend_->shutdown(tcp::socket::shutdown_both, ec);
      backend_->close(ec);
    }
    Abort();
  }

  // Ends the connection politely after a response.
  void Close() {
    if constexpr (kTls) {
      Lowest().expires_after(server_->options.handshake_timeout);
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->Abort(); });
    } else {
      // Lingering close: what the client still sends (the rest of an oversized request) is
      // read and dropped for a moment, so closing does not reset the connection before the
      // client has read our answer.
      beast::error_code ec;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      Lowest().expires_after(std::chrono::seconds(1));
      Discard(1024 * 1024);
    }
  }

  void Discard(size_t budget) {
    Lowest().async_read_some(net::buffer(discard_), [self = this->shared_from_this(), budget](
                                                        beast::error_code ec, size_t n) {
      if (!ec && n < budget) {
        self->Discard(budget - n);
      }
    });
  }

  SessionContext* server_;
  Stream stream_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<PeerCertificate> peer_;
  bool verify_failed_ = false;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  std::unique_ptr<logs::LogReader> reader_;
  bool chunked_ = true;
  bool client_gone_ = false;
  bool closed_ = false;
  std::string data_;  // the chunk being written
  char probe_ = 0;
  std::array<char, 4096> discard_;
  std::optional<tcp::socket> backend_;  // the runtime's streaming server, when proxying
  std::array<char, 64 * 1024> to_runtime_, to_client_;
};

}  // namespace capstan::kubelet::server::internal
