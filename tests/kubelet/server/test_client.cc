#include "tests/kubelet/server/test_client.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/unique_fd.h"

namespace capstan::kubelet::server::testing {

namespace {

struct Sink {
  const ClientOptions* options;
  std::string body;
};

size_t OnWrite(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  std::string piece(data, size * n);
  if (sink->options->on_data) {
    if (!sink->options->on_data(piece)) {
      return 0;  // hang up
    }
  }
  sink->body += piece;
  return size * n;
}

UniqueFd Connect(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return UniqueFd();
  }
  return fd;
}

}  // namespace

ClientResponse Get(const std::string& url, const ClientOptions& options) {
  ClientResponse r;
  CURL* curl = curl_easy_init();
  Sink sink{&options, ""};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnWrite);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);  // send hostile paths as they are
  if (options.ca_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
  }
  if (!options.cert_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, options.cert_file.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLKEY, options.key_file.c_str());
  }
  CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && options.on_data)) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
    char* ct = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct);
    r.content_type = ct ? ct : "";
  } else {
    r.error = curl_easy_strerror(rc);
  }
  r.body = std::move(sink.body);
  curl_easy_cleanup(curl);
  return r;
}

std::string RawExchange(int port, const std::string& bytes, std::chrono::milliseconds timeout) {
  UniqueFd fd = Connect(port);
  if (!fd) {
    return "";
  }
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd.get(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      break;  // the server may close early, e.g. on oversized headers
    }
    sent += n;
  }
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd.get(), POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 1))) <= 0) {
      break;
    }
    char buf[4096];
    ssize_t n = ::recv(fd.get(), buf, sizeof(buf), 0);
    if (n <= 0) {
      break;
    }
    out.append(buf, n);
  }
  return out;
}

std::chrono::milliseconds TimeUntilClosed(int port, std::chrono::milliseconds limit) {
  auto start = std::chrono::steady_clock::now();
  UniqueFd fd = Connect(port);
  pollfd p{fd.get(), POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(limit.count())) > 0) {
    char c;
    if (::recv(fd.get(), &c, 1, 0) <= 0) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
    }
  }
  return limit;
}

}  // namespace capstan::kubelet::server::testing
