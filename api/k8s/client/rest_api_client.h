#pragma once
// RestApiClient: ApiClient over HTTPS (RestClient), from a kubeconfig. Thread-safe: calls
// share one keep-alive connection under a lock; each watch uses a connection of its own.

#include <mutex>
#include <set>

#include "api/k8s/client/api_client.h"
#include "api/k8s/client/rest_client.h"

namespace capstan::api::k8s::client {

class RestApiClient : public ApiClient {
 public:
  static Result<std::unique_ptr<RestApiClient>> Create(RestConfig config);
  static Result<std::unique_ptr<RestApiClient>> FromKubeconfig(const std::string& path);

  Result<Json> Get(const Resource& r, const std::string& ns, const std::string& name) override;
  Result<Json> List(const Resource& r, const std::string& ns, const ListOptions& options) override;
  Result<Json> Create(const Resource& r, const std::string& ns, const Json& object) override;
  Result<Json> CreateSubresource(const Resource& r, const std::string& ns, const std::string& name,
                                 const std::string& subresource, const Json& object) override;
  Result<Json> Update(const Resource& r, const std::string& ns, const std::string& name,
                      const Json& object, const std::string& subresource) override;
  Result<Json> Patch(const Resource& r, const std::string& ns, const std::string& name,
                     PatchType type, const Json& patch, const std::string& subresource) override;
  Status Delete(const Resource& r, const std::string& ns, const std::string& name,
                int64_t grace_seconds = -1, const std::string& propagation = "") override;
  Status Watch(const Resource& r, const std::string& ns, const ListOptions& options,
               const std::function<bool(const WatchEvent&)>& on_event) override;
  void CancelWatches() override;

  // Uses a new client certificate from now on (certificate rotation); watches in flight keep
  // the old one until they reconnect.
  Status SetClientCertificate(const std::string& cert_pem, const std::string& key_pem);

 private:
  explicit RestApiClient(RestConfig config, std::unique_ptr<RestClient> client);
  Result<Json> Call(const std::string& method, const std::string& path, const Json* body,
                    const std::string& content_type = "application/json");

  std::mutex mu_;  // guards config_ and client_
  RestConfig config_;
  std::unique_ptr<RestClient> client_;
  std::mutex watches_mu_;
  std::set<int> watch_fds_;  // sockets of the watches in flight
  bool watches_cancelled_ = false;
};

// The error an API server's non-2xx answer means (its Status message, its code mapped).
Error ApiErrorFrom(int http_status, const std::string& body);

}  // namespace capstan::api::k8s::client
