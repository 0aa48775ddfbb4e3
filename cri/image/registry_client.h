#pragma once
// A Docker registry v2 / OCI distribution client for one repository: fetches manifests and
// blobs from the repository's endpoints (mirrors first, then the host itself), answering
// bearer and basic challenges. Blobs stream into the content store and are verified there.
// Not thread-safe: one client per pull.

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "cri/image/content_store.h"
#include "cri/image/http_client.h"
#include "cri/image/manifest.h"
#include "cri/image/reference.h"
#include "cri/image/registry_auth.h"
#include "cri/image/store.h"

namespace capstan::cri::image {

struct Endpoint {
  std::string base;  // "https://registry-1.docker.io", "http://127.0.0.1:5000"
  bool verify_tls = true;
  bool mirror = false;  // mirrors never receive the image host's credentials

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// The endpoints tried for registry `domain`, in order (a pure function of the config).
std::vector<Endpoint> ResolveEndpoints(const RegistryConfig& cfg, std::string_view domain);

class RegistryClient {
 public:
  RegistryClient(const RegistryConfig& cfg, Credentials creds, Reference ref);

  struct FetchedManifest {
    std::string body;
    std::string media_type;  // the response's Content-Type
    std::string digest;      // sha256 of body, verified when fetched by digest
  };
  // Fetches the manifest or index named by `tag_or_digest` (at most kMaxManifestSize).
  Result<FetchedManifest> FetchManifest(std::string_view tag_or_digest);
  // Downloads blob `d` into `content`, verified against its digest and size.
  Status FetchBlob(const Descriptor& d, const ContentStore& content);

 private:
  // One request against `e`, answering one auth challenge.
  Result<HttpResponse> Do(const Endpoint& e, HttpRequest req, const BodySink& sink);
  Status Authorize(const Endpoint& e, const HttpResponse& challenge_resp);
  // Records a failed attempt; Finish turns them into the most telling error.
  void Note(const Endpoint& e, Error err);
  Error Failure(std::string_view what);
  std::vector<size_t> Order() const;

  Reference ref_;
  Credentials creds_;
  std::vector<Endpoint> endpoints_;
  size_t preferred_ = 0;
  std::vector<std::string> authorization_;  // per endpoint: "Bearer ..." / "Basic ..."
  std::vector<Error> attempts_;
};

}  // namespace capstan::cri::image
