#include "api/k8s/client/rest_client.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

namespace capstan::api::k8s::client {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

}  // namespace

class RestClient::Impl {
 public:
  explicit Impl(RestConfig config) : config_(std::move(config)), tls_(ssl::context::tls_client) {}

  Status Init() {
    try {
      tls_.set_verify_mode(ssl::verify_peer);
      if (!config_.ca_pem.empty()) {
        tls_.add_certificate_authority(net::buffer(config_.ca_pem));
      } else {
        tls_.set_default_verify_paths();
      }
      if (!config_.client_cert_pem.empty()) {
        tls_.use_certificate_chain(net::buffer(config_.client_cert_pem));
        tls_.use_private_key(net::buffer(config_.client_key_pem), ssl::context::pem);
      }
    } catch (const std::exception& e) {
      return Fail(Code::kInvalidArgument, "loading client TLS material: {}", e.what());
    }
    return Ok();
  }

  Result<std::unique_ptr<TlsStream>> Connect() {
    try {
      tcp::resolver resolver(io_);
      auto results = resolver.resolve(config_.host, std::to_string(config_.port));
      auto stream = std::make_unique<TlsStream>(io_, tls_);
      SSL_set_tlsext_host_name(stream->native_handle(), config_.host.c_str());
      // The serving certificate names this host (IP or DNS).
      stream->set_verify_callback(ssl::host_name_verification(config_.host));
      beast::get_lowest_layer(*stream).expires_after(config_.timeout);
      beast::get_lowest_layer(*stream).connect(results);
      beast::get_lowest_layer(*stream).socket().set_option(tcp::no_delay(true));
      stream->handshake(ssl::stream_base::client);
      return stream;
    } catch (const std::exception& e) {
      return Fail(Code::kUnavailable, "connecting to {}:{}: {}", config_.host, config_.port,
                  e.what());
    }
  }

  http::request<http::string_body> Request(const std::string& method, const std::string& path,
                                           const std::string& body, const std::string& content_type,
                                           const std::map<std::string, std::string>& headers) {
    http::request<http::string_body> req{http::string_to_verb(method), path, 11};
    req.set(http::field::host, config_.host);
    req.set(http::field::user_agent, "capstan");
    req.set(http::field::accept, "application/json");
    if (!config_.bearer_token.empty()) {
      req.set(http::field::authorization, "Bearer " + config_.bearer_token);
    }
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty()) {
      req.set(http::field::content_type, content_type);
      req.body() = body;
    }
    req.keep_alive(true);
    req.prepare_payload();
    return req;
  }

  Result<RestResponse> Do(const std::string& method, const std::string& path,
                          const std::string& body, const std::string& content_type,
                          const std::map<std::string, std::string>& headers) {
    // One retry on a fresh connection: a kept-alive one may have been closed meanwhile.
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!conn_) {
        auto c = Connect();
        if (!c) return std::unexpected(c.error());
        conn_ = std::move(*c);
      }
      try {
        auto req = Request(method, path, body, content_type, headers);
        beast::get_lowest_layer(*conn_).expires_after(config_.timeout);
        http::write(*conn_, req);
        http::response_parser<http::string_body> parser;
        parser.body_limit(256 * 1024 * 1024);
        http::read(*conn_, buffer_, parser);
        auto& res = parser.get();
        RestResponse out;
        out.status = res.result_int();
        out.content_type = std::string(res[http::field::content_type]);
        out.body = std::move(res.body());
        if (!res.keep_alive()) conn_.reset();
        return out;
      } catch (const std::exception& e) {
        conn_.reset();
        buffer_.clear();
        if (attempt == 1) {
          return Fail(Code::kUnavailable, "{} {}: {}", method, path, e.what());
        }
      }
    }
    return Fail(Code::kUnavailable, "{} {}: no connection", method, path);
  }

  Status Stream(const std::string& path, const std::function<bool(const std::string&)>& on_line,
                std::chrono::milliseconds timeout, const std::function<void(int fd)>& on_socket) {
    auto c = Connect();
    if (!c) return std::unexpected(c.error());
    auto& stream = **c;
    if (on_socket) on_socket(beast::get_lowest_layer(stream).socket().native_handle());
    try {
      auto req = Request("GET", path, "", "", {});
      beast::get_lowest_layer(stream).expires_after(timeout);
      http::write(stream, req);
      beast::flat_buffer buffer;
      http::response_parser<http::buffer_body> parser;
      parser.body_limit(boost::none);
      http::read_header(stream, buffer, parser);
      if (int status = parser.get().result_int(); status != 200) {
        Code code = status == 410                    ? Code::kOutOfRange
                    : status == 401 || status == 403 ? Code::kPermissionDenied
                    : status == 404                  ? Code::kNotFound
                                                     : Code::kUnavailable;
        return Fail(code, "watch {}: HTTP {}", path, status);
      }
      std::string pending;
      char chunk[16384];
      while (!parser.is_done()) {
        parser.get().body().data = chunk;
        parser.get().body().size = sizeof(chunk);
        beast::error_code ec;
        // read_some: hand over what arrived, not wait for the buffer to fill.
        http::read_some(stream, buffer, parser, ec);
        if (ec && ec != http::error::need_buffer) break;
        pending.append(chunk, sizeof(chunk) - parser.get().body().size);
        size_t nl;
        while ((nl = pending.find('\n')) != std::string::npos) {
          if (!on_line(pending.substr(0, nl))) return Ok();
          pending.erase(0, nl + 1);
        }
      }
    } catch (const std::exception& e) {
      return Fail(Code::kUnavailable, "watch {}: {}", path, e.what());
    }
    return Ok();
  }

 private:
  RestConfig config_;
  net::io_context io_;
  ssl::context tls_;
  std::unique_ptr<TlsStream> conn_;
  beast::flat_buffer buffer_;
};

RestClient::RestClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RestClient::~RestClient() = default;

Result<std::unique_ptr<RestClient>> RestClient::Create(RestConfig config) {
  auto impl = std::make_unique<Impl>(std::move(config));
  CAPSTAN_TRY(impl->Init());
  return std::unique_ptr<RestClient>(new RestClient(std::move(impl)));
}

Result<RestResponse> RestClient::Do(const std::string& method, const std::string& path,
                                    const std::string& body, const std::string& content_type,
                                    const std::map<std::string, std::string>& headers) {
  return impl_->Do(method, path, body, content_type, headers);
}

Status RestClient::Stream(const std::string& path,
                          const std::function<bool(const std::string&)>& on_line,
                          std::chrono::milliseconds timeout,
                          const std::function<void(int fd)>& on_socket) {
  return impl_->Stream(path, on_line, timeout, on_socket);
}

Result<std::pair<std::string, int>> ParseServerUrl(const std::string& url) {
  const std::string scheme = "https://";
  if (url.rfind(scheme, 0) != 0) return Fail(Code::kInvalidArgument, "not an https URL: {}", url);
  std::string rest = url.substr(scheme.size());
  rest = rest.substr(0, rest.find('/'));
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || rest.back() == ']') return std::make_pair(rest, 443);
  try {
    return std::make_pair(rest.substr(0, colon), std::stoi(rest.substr(colon + 1)));
  } catch (...) {
    return Fail(Code::kInvalidArgument, "bad port in {}", url);
  }
}

}  // namespace capstan::api::k8s::client
