// FakeRuntimeService's log handling: the one part of the fake that touches real files, so
// log rotation is tested against files a "runtime" reopens.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "api/cri/testing/fake_runtime_service.h"

namespace capstan::api::cri::testing {

Result<v1::ReopenContainerLogResponse> FakeRuntimeService::ReopenContainerLog(
    const v1::ReopenContainerLogRequest& req) {
  CAPSTAN_TRY(recorder_.Record("ReopenContainerLog"));
  std::lock_guard lock(mu_);
  CAPSTAN_ASSIGN_OR_RETURN(Container * c, ContainerLocked(req.container_id()));
  if (c->state != v1::CONTAINER_RUNNING) {
    return Fail(Code::kFailedPrecondition, "container {} is not running", req.container_id());
  }
  const std::string& path = c->log_path;
  // Runtimes create the container's log directory (<pod log dir>/<container name>).
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    return FailErrno("reopening log {}", path);
  }
  ::close(fd);
  return v1::ReopenContainerLogResponse{};
}

}  // namespace capstan::api::cri::testing
