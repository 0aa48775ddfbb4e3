#include "cni-plugins/lib/netns.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>

namespace capstan::cni {

Result<NetNs> NetNs::Open(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return FailErrno("opening network namespace {}", path);
  }
  int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
  if (type != CLONE_NEWNET) {
    return Fail(Code::kInvalidArgument, "{} is not a network namespace", path);
  }
  return NetNs(std::move(fd), path);
}

Result<NetNs> NetNs::Current() { return Open("/proc/thread-self/ns/net"); }

Result<NetNsGuard> NetNsGuard::Enter(const NetNs& target) {
  UniqueFd back(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!back) {
    return FailErrno("opening the current network namespace");
  }
  if (::setns(target.fd(), CLONE_NEWNET) != 0) {
    return FailErrno("entering network namespace {}", target.path());
  }
  return NetNsGuard(std::move(back));
}

NetNsGuard::~NetNsGuard() {
  if (back_) {
    CAPSTAN_CHECK(::setns(back_.get(), CLONE_NEWNET) == 0);
  }
}

}  // namespace capstan::cni

#include <sys/stat.h>

namespace capstan::cni {
bool IsCurrentNetNs(const NetNs& ns) {
  struct stat a, b;
  if (::fstat(ns.fd(), &a) != 0 || ::stat("/proc/thread-self/ns/net", &b) != 0) {
    return false;
  }
  return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}
}  // namespace capstan::cni
