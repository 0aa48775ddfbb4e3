#include "kubelet/server/http_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <future>
#include <thread>
#include <vector>

#include "common/log.h"
#include "kubelet/server/http_session.h"

namespace capstan::kubelet::server {

using namespace internal;

namespace {
const log::Logger kLog("kubelet-server");

// TCP keepalive with short timers: a client that vanished without a FIN (a dropped network,
// a killed VM) while following a quiet log is noticed within about half a minute, instead of
// holding its connection slot forever.
void KeepAlive(tcp::socket& socket) {
  beast::error_code ec;
  socket.set_option(net::socket_base::keep_alive(true), ec);
  int fd = socket.native_handle();
  int idle = 15, interval = 5, count = 3;
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
}
}  // namespace

struct HttpServer::Impl {
  SessionContext ctx;
  const HttpServerOptions& options;
  // Replaced whole by ReloadTls (on the io thread); retired contexts are kept until the
  // server goes, as sessions made from them may still be open.
  std::shared_ptr<ssl::context> tls;
  std::vector<std::shared_ptr<ssl::context>> retired_tls;
  // Destroyed in reverse: the pool's abandoned work first (it holds sessions whose sockets
  // need the io_context), then the io_context with the handlers still queued on it.
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  net::steady_timer accept_backoff{ioc};
  net::thread_pool pool;
  std::thread io_thread;
  int port = 0;
  std::atomic<bool> stopped{false};

  Impl(HttpServerOptions o, const Router* r)
      : options(ctx.options), pool(std::max(1, o.worker_threads)) {
    ctx.options = std::move(o);
    ctx.router = r;
    ctx.pool = &pool;
  }

  void Accept();
  template <typename Stream, typename... Args>
  void StartSession(Args&&... args);
};

namespace {

Result<ssl::context> MakeTlsContext(const TlsOptions& o) {
  ssl::context ctx(ssl::context::tls_server);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                  ssl::context::single_dh_use);
  beast::error_code ec;
  ctx.use_certificate_chain_file(o.cert_file, ec);
  if (ec) {
    return Fail(Code::kInvalidArgument, "TLS certificate {}: {}", o.cert_file, ec.message());
  }
  ctx.use_private_key_file(o.key_file, ssl::context::pem, ec);
  if (ec) {
    return Fail(Code::kInvalidArgument, "TLS key {}: {}", o.key_file, ec.message());
  }
  if (!o.client_ca_file.empty()) {
    ctx.load_verify_file(o.client_ca_file, ec);
    if (ec) {
      return Fail(Code::kInvalidArgument, "client CA {}: {}", o.client_ca_file, ec.message());
    }
    // Tell clients which CAs we take, so they pick the right certificate.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.client_ca_file.c_str())) {
      SSL_CTX_set_client_CA_list(ctx.native_handle(), names);
    }
    static const unsigned char kSessionContext[] = "capstan-kubelet";
    SSL_CTX_set_session_id_context(ctx.native_handle(), kSessionContext,
                                   sizeof(kSessionContext) - 1);
  }
  return ctx;
}

}  // namespace

template <typename Stream, typename... Args>
void HttpServer::Impl::StartSession(Args&&... args) {
  std::make_shared<Session<Stream>>(&ctx, std::forward<Args>(args)...)->Run();
}

void HttpServer::Impl::Accept() {
  acceptor.async_accept(ioc, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || stopped) {
      return;
    }
    if (!ec) {
      KeepAlive(socket);
      if (ctx.connections >= options.max_connections) {
        kLog.Warn("too many connections, refusing one", {{"server", options.name}});
      } else if (tls) {
        StartSession<beast::ssl_stream<beast::tcp_stream>>(std::move(socket), *tls);
      } else {
        StartSession<beast::tcp_stream>(std::move(socket));
      }
    } else {
      // Out of descriptors (EMFILE) and the like: retrying at once would spin and flood the
      // log until a connection closes.
      kLog.Warn("accept", {{"server", options.name}, {"error", ec.message()}});
      accept_backoff.expires_after(std::chrono::milliseconds(200));
      accept_backoff.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec && !stopped) {
          Accept();
        }
      });
      return;
    }
    Accept();
  });
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                      const Router* router) {
  auto impl = std::make_unique<Impl>(std::move(options), router);
  const auto& o = impl->options;
  if (o.tls) {
    CAPSTAN_ASSIGN_OR_RETURN(auto ctx, MakeTlsContext(*o.tls));
    impl->tls = std::make_shared<ssl::context>(std::move(ctx));
  }
  beast::error_code ec;
  auto address = net::ip::make_address(o.address, ec);
  if (ec) {
    return Fail(Code::kInvalidArgument, "{} address {:?}: {}", o.name, o.address, ec.message());
  }
  tcp::endpoint ep(address, static_cast<unsigned short>(o.port));
  auto& a = impl->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Fail(
        Error(Code::kUnavailable,
              fmt::format("{}: listening on {}:{}: {}", o.name, o.address, o.port, ec.message()),
              ec.value()));
  }
  impl->port = a.local_endpoint().port();
  impl->Accept();
  Impl* raw = impl.get();
  impl->io_thread = std::thread([raw] { raw->ioc.run(); });
  kLog.Info("serving", {{"server", o.name},
                        {"address", o.address},
                        {"port", impl->port},
                        {"tls", o.tls.has_value()}});
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->port; }

size_t HttpServer::connections() const { return impl_->ctx.connections; }

Status HttpServer::ReloadTls() {
  if (!impl_->options.tls) return Ok();
  CAPSTAN_ASSIGN_OR_RETURN(auto ctx, MakeTlsContext(*impl_->options.tls));
  auto next = std::make_shared<ssl::context>(std::move(ctx));
  net::post(impl_->ioc, [impl = impl_.get(), next] {
    impl->retired_tls.push_back(std::move(impl->tls));
    impl->tls = next;
  });
  kLog.Info("serving certificate reloaded", {{"server", impl_->options.name}});
  return Ok();
}

void HttpServer::Stop() {
  if (impl_->stopped.exchange(true)) {
    return;
  }
  // Close the listener and every connection on the io thread, so clients see the end now
  // rather than when the server is destroyed.
  auto closed = std::make_shared<std::promise<void>>();
  net::post(impl_->ioc, [this, closed] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
    impl_->accept_backoff.cancel();
    std::lock_guard lock(impl_->ctx.sessions_mu);
    for (SessionBase* s : impl_->ctx.sessions) {
      s->Abort();
    }
    closed->set_value();
  });
  closed->get_future().wait_for(std::chrono::seconds(5));
  impl_->pool.stop();
  impl_->pool.join();
  impl_->ioc.stop();
  if (impl_->io_thread.joinable()) {
    impl_->io_thread.join();
  }
}

}  // namespace capstan::kubelet::server
