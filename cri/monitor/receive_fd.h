#pragma once
// Receiving the pty master a container's init (or an exec's command) made in the container's
// devpts and sent back over a socket with SCM_RIGHTS (oci::SetUpConsole sends it).

#include <sys/socket.h>

#include <cstring>

#include "common/unique_fd.h"

namespace capstan::cri::monitor {

// One fd sent with SCM_RIGHTS; invalid when the peer closed without sending.
inline UniqueFd ReceiveFd(int sock) {
  char byte;
  struct iovec iov {
    &byte, 1
  };
  char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  if (::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1) {
    return UniqueFd();
  }
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg == nullptr || cmsg->cmsg_type != SCM_RIGHTS) {
    return UniqueFd();
  }
  int fd;
  std::memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
  return UniqueFd(fd);
}

}  // namespace capstan::cri::monitor
