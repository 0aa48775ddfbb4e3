#include "control-plane/apiserver/http_server.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "common/log.h"

namespace capstan::control_plane::apiserver {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

const log::Logger kLog("apiserver-http");

void SetSocketTimeout(int fd, int option, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = (timeout.count() % 1000) * 1000;
  setsockopt(fd, SOL_SOCKET, option, &tv, sizeof(tv));
}

std::string NameEntry(X509_NAME* name, int nid, int index) {
  X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, index);
  if (entry == nullptr || OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry)) != nid) return "";
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(entry);
  unsigned char* out = nullptr;
  int len = ASN1_STRING_to_UTF8(&out, s);
  if (len < 0) return "";
  std::string text(reinterpret_cast<char*>(out), len);
  OPENSSL_free(out);
  return text;
}

std::optional<ClientCertificate> VerifiedPeer(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return std::nullopt;
  std::optional<ClientCertificate> out;
  if (SSL_get_verify_result(ssl) == X509_V_OK) {
    ClientCertificate peer;
    X509_NAME* subject = X509_get_subject_name(cert);
    for (int i = 0; i < X509_NAME_entry_count(subject); ++i) {
      std::string cn = NameEntry(subject, NID_commonName, i);
      if (!cn.empty()) peer.common_name = cn;
      std::string o = NameEntry(subject, NID_organizationName, i);
      if (!o.empty()) peer.organizations.push_back(o);
    }
    out = std::move(peer);
  }
  X509_free(cert);
  return out;
}

}  // namespace

std::string HttpRequest::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, Handler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        io_(std::make_shared<net::io_context>()),
        tls_(ssl::context::tls_server),
        acceptor_(*io_) {}

  Status Init() {
    try {
      tls_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
      tls_.use_certificate_chain_file(options_.cert_file);
      tls_.use_private_key_file(options_.key_file, ssl::context::pem);
      if (!options_.client_ca_file.empty()) {
        tls_.load_verify_file(options_.client_ca_file);
        // Ask for a certificate, accept clients without one (they may carry a token), and
        // let the handshake of an unverifiable one go on: it is then simply not trusted.
        SSL_CTX_set_verify(tls_.native_handle(), SSL_VERIFY_PEER,
                           [](int, X509_STORE_CTX*) { return 1; });
      }
      // Only HTTP/1.1 is offered: clients (Go's included) then speak it, watches and
      // upgrades (exec, logs -f) need it anyway.
      static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
      SSL_CTX_set_alpn_select_cb(
          tls_.native_handle(),
          [](SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
             unsigned int inlen, void*) -> int {
            if (SSL_select_next_proto(const_cast<unsigned char**>(out), outlen, kAlpn,
                                      sizeof(kAlpn), in, inlen) == OPENSSL_NPN_NEGOTIATED) {
              return SSL_TLSEXT_ERR_OK;
            }
            return SSL_TLSEXT_ERR_NOACK;
          },
          nullptr);
      tcp::endpoint endpoint(net::ip::make_address(options_.address),
                             static_cast<unsigned short>(options_.port));
      acceptor_.open(endpoint.protocol());
      acceptor_.set_option(net::socket_base::reuse_address(true));
      acceptor_.bind(endpoint);
      acceptor_.listen(net::socket_base::max_listen_connections);
    } catch (const std::exception& e) {
      return Fail(Code::kInvalidArgument, "starting the API server on {}:{}: {}", options_.address,
                  options_.port, e.what());
    }
    accept_thread_ = std::thread([this] { AcceptLoop(); });
    return Ok();
  }

  int port() const { return acceptor_.local_endpoint().port(); }

  void Stop() {
    if (stopping_.exchange(true)) return;
    beast::error_code ec;
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    acceptor_.close(ec);
    if (accept_thread_.joinable()) accept_thread_.join();
    std::unique_lock lock(mu_);
    for (const auto& [id, fd] : open_) ::shutdown(fd, SHUT_RDWR);
    done_.wait(lock, [this] { return open_.empty(); });
  }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      tcp::socket socket(*io_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec) {
        if (stopping_) return;
        kLog.Warn("accept failed", {{"error", ec.message()}});
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      uint64_t id = 0;
      {
        std::lock_guard lock(mu_);
        if (open_.size() >= options_.max_connections) {
          continue;  // the socket closes as it leaves scope
        }
        id = ++next_id_;
        open_[id] = socket.native_handle();
      }
      // The thread keeps the io_context alive: its socket is destroyed as Serve returns,
      // which may be after Stop returned and this Impl is gone.
      std::thread([this, id, io = io_, s = std::move(socket)]() mutable {
        Serve(id, std::move(s));
      }).detach();
    }
  }

  void Serve(uint64_t id, tcp::socket socket);

  friend class ConnectionWriter;
  HttpServerOptions options_;
  Handler handler_;
  std::shared_ptr<net::io_context> io_;
  ssl::context tls_;
  tcp::acceptor acceptor_;
  std::thread accept_thread_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable done_;
  // Open connections by id, with their fds for Stop to shut down.
  std::map<uint64_t, int> open_;
  uint64_t next_id_ = 0;
};

namespace {

using TlsStream = ssl::stream<tcp::socket&>;

class ConnectionWriter : public ResponseWriter {
 public:
  ConnectionWriter(TlsStream& stream, int fd, unsigned version, bool keep_alive)
      : stream_(stream), fd_(fd), version_(version), keep_alive_(keep_alive) {}

  void Respond(int status, const std::string& content_type, const std::string& body,
               const std::map<std::string, std::string>& headers) override {
    http::response<http::string_body> res{static_cast<http::status>(status), version_};
    res.set(http::field::content_type, content_type);
    res.set("Cache-Control", "no-cache, private");
    for (const auto& [k, v] : headers) res.set(k, v);
    res.keep_alive(keep_alive_);
    res.body() = body;
    res.prepare_payload();
    beast::error_code ec;
    http::write(stream_, res, ec);
    failed_ = failed_ || static_cast<bool>(ec);
    responded_ = true;
  }

  bool StartStream(int status, const std::string& content_type) override {
    http::response<http::empty_body> res{static_cast<http::status>(status), version_};
    res.set(http::field::content_type, content_type);
    res.set("Cache-Control", "no-cache, private");
    res.chunked(true);
    res.keep_alive(false);  // a stream ends the connection
    http::response_serializer<http::empty_body> sr{res};
    beast::error_code ec;
    http::write_header(stream_, sr, ec);
    responded_ = true;
    streaming_ = true;
    failed_ = failed_ || static_cast<bool>(ec);
    return !failed_;
  }

  bool WriteChunk(std::string_view data) override {
    if (failed_ || data.empty()) return !failed_;
    beast::error_code ec;
    net::write(stream_, http::make_chunk(net::const_buffer(data.data(), data.size())), ec);
    failed_ = failed_ || static_cast<bool>(ec);
    return !failed_;
  }

  void EndStream() override {
    if (failed_) return;
    beast::error_code ec;
    net::write(stream_, http::make_chunk_last(), ec);
    failed_ = true;  // the connection closes after a stream
  }

  bool ClientGone() override {
    if (failed_) return true;
    pollfd p{fd_, POLLRDHUP, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
  }

  Status ProxyUpgrade(const UpgradeTarget& target) override;

  bool responded() const { return responded_; }
  bool reusable() const { return !failed_ && !streaming_ && keep_alive_; }

 private:
  TlsStream& stream_;
  int fd_;
  unsigned version_;
  bool keep_alive_;
  bool responded_ = false;
  bool streaming_ = false;
  bool failed_ = false;
};

// The relay of an upgraded connection: one read and one write outstanding each way, on an
// io_context of the connection's own, run by its thread.
template <typename Client, typename Upstream>
class Relay : public std::enable_shared_from_this<Relay<Client, Upstream>> {
 public:
  Relay(Client& client, Upstream& upstream) : client_(client), upstream_(upstream) {}
  void Start() {
    Pump(client_, upstream_, up_);
    Pump(upstream_, client_, down_);
  }

 private:
  template <typename From, typename To>
  void Pump(From& from, To& to, std::array<char, 64 * 1024>& buf) {
    from.async_read_some(net::buffer(buf), [self = this->shared_from_this(), &from, &to, &buf](
                                               beast::error_code ec, size_t n) {
      if (ec) return self->End();
      net::async_write(to, net::buffer(buf.data(), n),
                       [self, &from, &to, &buf](beast::error_code ec, size_t) {
                         if (ec) return self->End();
                         self->Pump(from, to, buf);
                       });
    });
  }
  void End() {
    if (ended_) return;
    ended_ = true;
    beast::error_code ec;
    beast::get_lowest_layer(client_).cancel(ec);
    beast::get_lowest_layer(upstream_).close(ec);
  }

  Client& client_;
  Upstream& upstream_;
  std::array<char, 64 * 1024> up_, down_;
  bool ended_ = false;
};

Status ConnectionWriter::ProxyUpgrade(const UpgradeTarget& target) {
  net::io_context io;
  ssl::context tls(ssl::context::tls_client);
  // The stream is made once the context is complete: its SSL copies the context's settings.
  std::optional<ssl::stream<tcp::socket>> upstream_holder;
  try {
    tls.set_verify_mode(ssl::verify_peer);
    tls.add_certificate_authority(net::buffer(target.ca_pem));
    tls.use_certificate_chain(net::buffer(target.client_cert_pem));
    tls.use_private_key(net::buffer(target.client_key_pem), ssl::context::pem);
    upstream_holder.emplace(io, tls);
    tcp::endpoint endpoint(net::ip::make_address(target.host),
                           static_cast<unsigned short>(target.port));
    auto& socket = upstream_holder->next_layer();
    socket.open(endpoint.protocol());
    SetSocketTimeout(socket.native_handle(), SO_SNDTIMEO, target.connect_timeout);
    SetSocketTimeout(socket.native_handle(), SO_RCVTIMEO, target.connect_timeout);
    socket.connect(endpoint);
    socket.set_option(tcp::no_delay(true));
    SSL_set_tlsext_host_name(upstream_holder->native_handle(), target.host.c_str());
    upstream_holder->set_verify_callback(ssl::host_name_verification(target.host));
    upstream_holder->handshake(ssl::stream_base::client);
    net::write(*upstream_holder, net::buffer(target.request_head));
  } catch (const std::exception& e) {
    return Fail(Code::kUnavailable, "{}", e.what());
  }
  // From here on the client belongs to the relay: its socket moves onto this io_context (and
  // back before returning, so the connection's own teardown finds it as it left it).
  tcp::socket& client_socket = stream_.next_layer();
  beast::error_code ec;
  auto local = client_socket.local_endpoint(ec);
  if (ec) return Fail(Code::kUnavailable, "the client went away: {}", ec.message());
  responded_ = true;
  failed_ = true;
  auto original_executor = client_socket.get_executor();
  try {
    client_socket = tcp::socket(io, local.protocol(), client_socket.release());
    auto relay =
        std::make_shared<Relay<TlsStream, ssl::stream<tcp::socket>>>(stream_, *upstream_holder);
    relay->Start();
    relay.reset();
    io.run();
    client_socket = tcp::socket(original_executor, local.protocol(), client_socket.release());
  } catch (const std::exception& e) {
    kLog.Warn("relaying an upgraded connection", {{"error", e.what()}});
    beast::error_code ignored;
    client_socket.close(ignored);
    // Whichever io_context it is on, it must not outlive this one's: an unopened socket on
    // the connection's own takes its place.
    client_socket = tcp::socket(original_executor);
  }
  return Ok();
}

}  // namespace

void HttpServer::Impl::Serve(uint64_t id, tcp::socket socket) {
  int fd = socket.native_handle();
  std::string remote;
  {
    beast::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    if (!ec) remote = ep.address().to_string();
  }
  // Responses go out as several TLS records: without NODELAY, Nagle holds the last one for
  // the client's delayed ACK (40 ms a request). Go's servers set it too.
  beast::error_code ignored_ec;
  socket.set_option(tcp::no_delay(true), ignored_ec);
  SetSocketTimeout(fd, SO_RCVTIMEO, options_.handshake_timeout);
  SetSocketTimeout(fd, SO_SNDTIMEO, options_.write_timeout);
  {
    TlsStream stream(socket, tls_);
    beast::error_code ec;
    stream.handshake(ssl::stream_base::server, ec);
    if (!ec) {
      std::optional<ClientCertificate> peer = VerifiedPeer(stream.native_handle());
      SetSocketTimeout(fd, SO_RCVTIMEO, options_.idle_timeout);
      beast::flat_buffer buffer;
      while (!stopping_) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(static_cast<uint32_t>(options_.max_header_bytes));
        parser.body_limit(options_.max_body_bytes);
        http::read(stream, buffer, parser, ec);
        if (ec == http::error::body_limit) {
          ConnectionWriter w(stream, fd, 11, false);
          w.Respond(
              413, "application/json",
              R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
              R"("message":"the request body is too large","reason":"RequestEntityTooLarge","code":413})",
              {});
          break;
        }
        if (ec) break;
        auto& req = parser.get();
        HttpRequest request;
        request.method = std::string(req.method_string());
        request.target = std::string(req.target());
        for (const auto& field : req) {
          std::string name(field.name_string());
          std::transform(name.begin(), name.end(), name.begin(), ::tolower);
          request.headers[name] = std::string(field.value());
          request.header_lines.emplace_back(std::string(field.name_string()),
                                            std::string(field.value()));
        }
        request.body = std::move(req.body());
        request.client_certificate = peer;
        request.remote_address = remote;
        ConnectionWriter writer(stream, fd, req.version(), req.keep_alive());
        handler_(request, writer);
        if (!writer.responded()) {
          writer.Respond(500, "text/plain", "no response\n", {});
        }
        if (!writer.reusable()) break;
      }
      stream.shutdown(ec);
    }
  }
  beast::error_code ignored;
  socket.close(ignored);
  std::lock_guard lock(mu_);
  open_.erase(id);
  done_.notify_all();
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { Stop(); }
int HttpServer::port() const { return impl_->port(); }
void HttpServer::Stop() { impl_->Stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options, Handler handler) {
  auto impl = std::make_unique<Impl>(std::move(options), std::move(handler));
  CAPSTAN_TRY(impl->Init());
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

}  // namespace capstan::control_plane::apiserver
