// ProbeHttpGetter against servers in this process: plain HTTP and HTTPS with a self-signed
// certificate made here (probes do not verify certificates, as upstream). Status, headers,
// redirects (same host only), the 10 KiB body limit and the timeout.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include "kubelet/prober/prober.h"
#include "kubelet/util/net.h"
#include "tests/kubelet/test_pods.h"

namespace capstan::kubelet::util {
namespace {

using std::chrono::milliseconds;

// A self-signed certificate for "localhost" with a P-256 key.
struct SelfSigned {
  SelfSigned() {
    key = EVP_EC_gen("P-256");
    cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
  }
  ~SelfSigned() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
};

// Serves one connection at a time: reads the request head, answers with what `handler`
// returns for it (the full response text).
class TestServer {
 public:
  using Handler = std::function<std::string(const std::string& request)>;

  TestServer(bool tls, Handler handler) : handler_(std::move(handler)) {
    // A client that stops reading (the 10 KiB limit) must not kill the test with SIGPIPE.
    ::signal(SIGPIPE, SIG_IGN);
    if (tls) {
      ctx_ = SSL_CTX_new(TLS_server_method());
      SSL_CTX_use_certificate(ctx_, cert_.cert);
      SSL_CTX_use_PrivateKey(ctx_, cert_.key);
    }
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(listen_fd_, 16);
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~TestServer() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    ::close(listen_fd_);
    if (ctx_) {
      SSL_CTX_free(ctx_);
    }
  }
  int port() const { return port_; }
  std::vector<std::string> Requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void Loop() {
    while (!stopping_) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        return;
      }
      Serve(fd);
      ::close(fd);
    }
  }
  void Serve(int fd) {
    SSL* ssl = nullptr;
    if (ctx_) {
      ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) != 1) {
        SSL_free(ssl);
        return;
      }
    }
    auto read = [&](char* buf, int n) { return ssl ? SSL_read(ssl, buf, n) : ::read(fd, buf, n); };
    auto write = [&](const std::string& s) {
      size_t off = 0;
      while (off < s.size()) {
        int n = ssl ? SSL_write(ssl, s.data() + off, static_cast<int>(s.size() - off))
                    : static_cast<int>(::write(fd, s.data() + off, s.size() - off));
        if (n <= 0) {
          return;
        }
        off += static_cast<size_t>(n);
      }
    };
    std::string request;
    char buf[1024];
    while (request.find("\r\n\r\n") == std::string::npos) {
      int n = static_cast<int>(read(buf, sizeof(buf)));
      if (n <= 0) {
        break;
      }
      request.append(buf, static_cast<size_t>(n));
    }
    {
      std::lock_guard lock(mu_);
      requests_.push_back(request);
    }
    write(handler_(request));
    if (ssl) {
      SSL_shutdown(ssl);
      SSL_free(ssl);
    }
  }

  SelfSigned cert_;
  SSL_CTX* ctx_ = nullptr;
  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

std::string Response(int status, const std::string& body, const std::string& extra = "") {
  return fmt::format("HTTP/1.1 {} X\r\nContent-Length: {}\r\n{}Connection: close\r\n\r\n{}", status,
                     body.size(), extra, body);
}

// /ok 200, /fail 500, /big 20 KiB, /to-fail and /to-ok redirect on the same host, /away
// redirects to another host.
std::string Route(const std::string& request) {
  std::string path = request.substr(4, request.find(' ', 4) - 4);
  if (path == "/ok") return Response(200, "fine");
  if (path == "/fail") return Response(500, "broken");
  if (path == "/big") return Response(200, std::string(20 << 10, 'x'));
  if (path == "/to-fail") return Response(302, "", "Location: /fail\r\n");
  if (path == "/to-ok") return Response(301, "", "Location: ok\r\n");
  if (path == "/away") return Response(302, "", "Location: http://elsewhere.invalid/fail\r\n");
  if (path == "/loop") return Response(307, "", "Location: /loop\r\n");
  if (path == "/chunked") {
    return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nfine\r\n0\r\n\r\n";
  }
  return Response(404, "");
}

HttpRequest Req(const std::string& scheme, int port, const std::string& path) {
  HttpRequest r;
  r.scheme = scheme;
  r.host = "127.0.0.1";
  r.port = port;
  r.path = path;
  r.timeout = milliseconds(3000);
  return r;
}

TEST(ProbeHttpGetterTest, HttpsWithoutVerifyingTheCertificate) {
  TestServer server(/*tls=*/true, Route);
  ProbeHttpGetter getter;
  auto ok = getter.Get(Req("HTTPS", server.port(), "/ok"));
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "fine");
  auto fail = getter.Get(Req("HTTPS", server.port(), "/fail"));
  ASSERT_TRUE(fail) << fail.error().message();
  EXPECT_EQ(fail->status, 500);
  EXPECT_EQ(fail->body, "broken");
}

TEST(ProbeHttpGetterTest, SendsUpstreamsHeaders) {
  TestServer server(/*tls=*/false, Route);
  ProbeHttpGetter getter;
  auto req = Req("HTTP", server.port(), "/ok?x=1");
  req.headers = {{"X-Custom", "yes"}, {"Accept", "application/json"}};
  ASSERT_TRUE(getter.Get(req));
  req.headers = {{"Host", "example.com"}};
  ASSERT_TRUE(getter.Get(req));
  auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(requests[0].starts_with("GET /ok?x=1 HTTP/1.1\r\n")) << requests[0];
  EXPECT_NE(requests[0].find(fmt::format("Host: 127.0.0.1:{}\r\n", server.port())),
            std::string::npos);
  EXPECT_NE(requests[0].find("User-Agent: kube-probe/1."), std::string::npos);
  EXPECT_NE(requests[0].find("X-Custom: yes\r\n"), std::string::npos);
  EXPECT_NE(requests[0].find("Accept: application/json\r\n"), std::string::npos);
  EXPECT_EQ(requests[0].find("Accept: */*"), std::string::npos);
  EXPECT_NE(requests[1].find("Host: example.com\r\n"), std::string::npos);
  EXPECT_EQ(requests[1].find("Host: 127.0.0.1"), std::string::npos);
}

TEST(ProbeHttpGetterTest, FollowsRedirectsOnTheSameHostOnly) {
  TestServer server(/*tls=*/true, Route);
  ProbeHttpGetter getter;
  auto r = getter.Get(Req("HTTPS", server.port(), "/to-fail"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->status, 500);
  r = getter.Get(Req("HTTPS", server.port(), "/to-ok"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->status, 200);
  // Another host: the redirect is the answer (a success for a probe, as upstream).
  r = getter.Get(Req("HTTPS", server.port(), "/away"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->status, 302);
  EXPECT_FALSE(getter.Get(Req("HTTPS", server.port(), "/loop")));
}

TEST(ProbeHttpGetterTest, ReadsAtMostTenKiBOfBody) {
  TestServer server(/*tls=*/true, Route);
  ProbeHttpGetter getter;
  auto r = getter.Get(Req("HTTPS", server.port(), "/big"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->body.size(), 10u << 10);
  r = getter.Get(Req("HTTPS", server.port(), "/chunked"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->body, "fine");
}

TEST(ProbeHttpGetterTest, TimesOutOnAServerThatNeverAnswers) {
  // Listening, never accepting: the kernel completes the TCP handshake, TLS never starts.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ProbeHttpGetter getter;
  auto req = Req("HTTPS", ntohs(addr.sin_port), "/ok");
  req.timeout = milliseconds(200);
  auto r = getter.Get(req);
  ::close(fd);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kDeadlineExceeded) << r.error().ToString();
}

TEST(ProbeHttpGetterTest, HttpsProbesPassAndFail) {
  TestServer server(/*tls=*/true, Route);
  ProbeHttpGetter getter;
  prober::ProberDeps deps;
  deps.http = &getter;
  prober::Prober prober(deps);
  auto pod = testing::PodFromYaml(fmt::format(R"yaml(
apiVersion: v1
kind: Pod
metadata: {{name: p, uid: u1}}
spec:
  containers:
  - name: app
    image: busybox
    livenessProbe: {{httpGet: {{scheme: HTTPS, port: {0}, path: /ok}}}}
    readinessProbe: {{httpGet: {{scheme: HTTPS, port: {0}, path: /fail}}}}
)yaml",
                                              server.port()));
  auto r =
      prober.Probe(prober::ProbeType::kLiveness, pod, pod.spec.containers[0], "c1", "127.0.0.1");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, prober::ProbeResult::kSuccess);
  r = prober.Probe(prober::ProbeType::kReadiness, pod, pod.spec.containers[0], "c1", "127.0.0.1");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, prober::ProbeResult::kFailure);
}

}  // namespace
}  // namespace capstan::kubelet::util
