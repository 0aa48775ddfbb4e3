// sd_notify against a NOTIFY_SOCKET of the test's own, as systemd would listen on it.
#include "common/sd_notify.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>

namespace capstan {
namespace {

class SdNotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "notify-" + std::to_string(::getpid()) + ".sock";
    ::unlink(path_.c_str());
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd_, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(path_.size(), sizeof(addr.sun_path));
    path_.copy(addr.sun_path, path_.size());
    ASSERT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    timeval tv{.tv_sec = 2, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  std::string Receive() {
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

  std::string path_;
  int fd_ = -1;
};

TEST_F(SdNotifyTest, SendsReadyWithStatusThenStopping) {
  ASSERT_TRUE(NotifyReady("serving"));
  EXPECT_EQ(Receive(), "READY=1\nSTATUS=serving");
  ASSERT_TRUE(NotifyStatus("3 pods"));
  EXPECT_EQ(Receive(), "STATUS=3 pods");
  ASSERT_TRUE(NotifyStopping());
  EXPECT_EQ(Receive(), "STOPPING=1");
}

TEST(SdNotifyNoSocket, IsANoOpOutsideSystemd) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(NotifyReady("serving"));
}

TEST(SdNotifyBadSocket, ReportsAFailedSend) {
  ::setenv("NOTIFY_SOCKET", "/nonexistent/notify.sock", 1);
  EXPECT_FALSE(NotifyReady("serving"));
  ::unsetenv("NOTIFY_SOCKET");
}

}  // namespace
}  // namespace capstan
