// Port-forward over SPDY (portforward.k8s.io): for each connection it forwards, the client
// opens two streams with the same "requestid" header and the "port" it wants, one with
// streamtype "error" and one with "data". Once both are there we connect to that port on
// the pod's loopback, inside its network namespace, and relay the data stream to and from
// the connection; a failure goes to the error stream as text. Many pairs share one SPDY
// connection, each independent of the others.
#include <poll.h>
#include <sys/socket.h>

#include <map>
#include <memory>

#include "common/log.h"
#include "cri/streaming/sessions.h"
#include "cri/streaming/spdy_connection.h"

namespace capstan::cri::streaming {

namespace {

const log::Logger kLog("cri.streaming");
using Clock = std::chrono::steady_clock;
constexpr size_t kMaxBuffered = 4 << 20;  // per pair, each way

struct Pair {
  uint32_t error_id = 0, data_id = 0;
  int32_t port = 0;
  UniqueFd conn;             // to the pod's port, once dialed
  std::string to_conn;       // client bytes not yet written to it
  bool client_done = false;  // the client half-closed the data stream
  bool conn_done = false;    // the pod's side sent EOF: the pair ends
  bool shut_write = false;
};

class PortForwardSession {
 public:
  PortForwardSession(int fd, std::string_view leftover, const StreamRequest& request,
                     const SessionLimits& limits,
                     const std::function<Result<UniqueFd>(int32_t)>& dial, bool websocket_tunnel)
      : fd_(fd),
        conn_(fd, leftover, websocket_tunnel),
        request_(request),
        limits_(limits),
        dial_(dial) {}

  void Run() {
    auto last_activity = Clock::now();
    char buf[32 * 1024];
    for (;;) {
      std::vector<pollfd> fds;
      fds.push_back({fd_, static_cast<short>(POLLIN | (conn_.pending() ? POLLOUT : 0)), 0});
      std::vector<std::string> keys;
      for (auto& [key, pair] : pairs_) {
        if (!pair->conn) continue;
        short events = 0;
        if (!pair->conn_done && conn_.pending() < kMaxBuffered) events |= POLLIN;
        if (!pair->to_conn.empty()) events |= POLLOUT;
        fds.push_back({pair->conn.get(), events, 0});
        keys.push_back(key);
      }
      auto idle_deadline = last_activity + limits_.idle_timeout;
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(idle_deadline - Clock::now());
      int ready = ::poll(fds.data(), fds.size(),
                         static_cast<int>(std::clamp<int64_t>(ms.count(), 0, 60000)));
      if (ready < 0 && errno != EINTR) return;
      if (ready == 0) {
        if (Clock::now() >= idle_deadline) return;
        continue;
      }
      last_activity = Clock::now();
      if (fds[0].revents) {
        bool closed = false;
        auto frames = conn_.Read(closed);
        if (!frames) return;
        for (auto& f : *frames) OnFrame(f);
        if (closed) return;
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        auto it = pairs_.find(keys[i - 1]);
        if (it == pairs_.end()) continue;
        Pair& pair = *it->second;
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
          ssize_t n = ::recv(pair.conn.get(), buf, sizeof(buf), MSG_DONTWAIT);
          if (n > 0) {
            conn_.Data(pair.data_id, std::string_view(buf, static_cast<size_t>(n)));
          } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            pair.conn_done = true;
          }
        }
        WriteToConn(pair);
        // The pod's side ended the connection: so does the pair (kubectl waits for the error
        // stream to close before it closes its local connection).
        if (pair.conn_done) {
          conn_.Data(pair.data_id, "", true);
          conn_.Data(pair.error_id, "", true);
          ErasePair(it->first);
        }
      }
      if (!conn_.Flush()) return;
    }
  }

 private:
  void WriteToConn(Pair& pair) {
    while (!pair.to_conn.empty() && pair.conn) {
      ssize_t n = ::send(pair.conn.get(), pair.to_conn.data(), pair.to_conn.size(),
                         MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) {
        pair.to_conn.erase(0, static_cast<size_t>(n));
      } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
      } else {
        pair.to_conn.clear();  // the pod's side reset: its EOF or error shows on read
      }
    }
    if (pair.client_done && pair.to_conn.empty() && pair.conn && !pair.shut_write) {
      ::shutdown(pair.conn.get(), SHUT_WR);
      pair.shut_write = true;
    }
  }

  void ErasePair(const std::string& request_id) {
    auto it = pairs_.find(request_id);
    if (it == pairs_.end()) return;
    by_stream_.erase(it->second->error_id);
    by_stream_.erase(it->second->data_id);
    pairs_.erase(it);
  }

  void OnFrame(spdy::Frame& frame) {
    if (auto* syn = std::get_if<spdy::SynStream>(&frame)) {
      OnStream(*syn);
    } else if (auto* data = std::get_if<spdy::DataFrame>(&frame)) {
      auto it = by_stream_.find(data->stream_id);
      if (it == by_stream_.end()) return;
      auto p = pairs_.find(it->second);
      if (p == pairs_.end() || data->stream_id != p->second->data_id) return;
      Pair& pair = *p->second;
      if (pair.to_conn.size() + data->data.size() > kMaxBuffered) {
        // The client ignores that we have no flow control to offer: drop the pair.
        conn_.Reset(pair.data_id, spdy::kFlowControlError);
        ErasePair(p->first);
        return;
      }
      pair.to_conn += data->data;
      if (data->flags & spdy::kFlagFin) pair.client_done = true;
      WriteToConn(pair);
    } else if (auto* rst = std::get_if<spdy::RstStream>(&frame)) {
      auto it = by_stream_.find(rst->stream_id);
      if (it != by_stream_.end()) ErasePair(std::string(it->second));
    }
  }

  void OnStream(const spdy::SynStream& syn) {
    std::string type = spdy::HeaderValue(syn.headers, "streamtype");
    std::string request_id = spdy::HeaderValue(syn.headers, "requestid");
    std::string port_text = spdy::HeaderValue(syn.headers, "port");
    int32_t port = 0;
    try {
      size_t used = 0;
      int v = std::stoi(port_text, &used);
      if (used == port_text.size() && v > 0 && v <= 65535) port = v;
    } catch (const std::exception&) {
    }
    if ((type != "error" && type != "data") || port == 0 ||
        (pairs_.size() >= limits_.max_port_forward_streams && !pairs_.count(request_id))) {
      conn_.Reset(syn.stream_id, spdy::kRefusedStream);
      return;
    }
    auto& slot = pairs_[request_id];
    if (!slot) slot = std::make_unique<Pair>();
    Pair& pair = *slot;
    uint32_t& id = type == "error" ? pair.error_id : pair.data_id;
    if (id != 0 || (pair.port != 0 && pair.port != port)) {
      conn_.Reset(syn.stream_id, spdy::kProtocolError);
      return;
    }
    id = syn.stream_id;
    pair.port = port;
    by_stream_[syn.stream_id] = request_id;
    conn_.Reply(syn.stream_id);
    if (pair.error_id == 0 || pair.data_id == 0) return;
    auto dialed = dial_(port);
    if (!dialed) {
      // kubectl prints this and goes on serving other connections.
      std::string message = "error forwarding port " + std::to_string(port) + " to pod " +
                            request_.sandbox_id + ", uid : " + dialed.error().message();
      kLog.Info("port-forward", {{"sandbox", request_.sandbox_id}, {"error", message}});
      conn_.Data(pair.error_id, message, true);
      conn_.Data(pair.data_id, "", true);
      ErasePair(request_id);
      return;
    }
    pair.conn = std::move(*dialed);
  }

  int fd_;
  SpdyConnection conn_;
  const StreamRequest& request_;
  SessionLimits limits_;
  const std::function<Result<UniqueFd>(int32_t)>& dial_;
  std::map<std::string, std::unique_ptr<Pair>> pairs_;  // by request id
  std::map<uint32_t, std::string> by_stream_;
};

}  // namespace

void ServePortForwardSpdy(int fd, std::string_view leftover, const StreamRequest& request,
                          const SessionLimits& limits,
                          const std::function<Result<UniqueFd>(int32_t port)>& dial,
                          bool websocket_tunnel) {
  PortForwardSession(fd, leftover, request, limits, dial, websocket_tunnel).Run();
}

}  // namespace capstan::cri::streaming
