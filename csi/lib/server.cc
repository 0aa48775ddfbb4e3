#include "csi/lib/server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "common/file.h"

namespace capstan::csi {

std::string SocketPath(const std::string& endpoint) {
  return endpoint.rfind("unix://", 0) == 0 ? endpoint.substr(7) : endpoint;
}

Result<std::unique_ptr<grpc::Server>> ServeUnix(const std::string& endpoint,
                                                const std::vector<grpc::Service*>& services) {
  std::string path = SocketPath(endpoint);
  if (path.empty() || path[0] != '/') {
    return Fail(Code::kInvalidArgument, "endpoint {} is not an absolute unix socket path",
                endpoint);
  }
  CAPSTAN_TRY(MkdirAll(std::filesystem::path(path).parent_path(), 0750));
  ::unlink(path.c_str());
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix://" + path, grpc::InsecureServerCredentials());
  for (grpc::Service* s : services) {
    builder.RegisterService(s);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    return Fail(Code::kUnavailable, "cannot listen on unix://{}", path);
  }
  ::chmod(path.c_str(), 0600);
  return server;
}

}  // namespace capstan::csi
