#include "cri/image/registry_client.h"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "cri/image/digest.h"

namespace capstan::cri::image {
namespace {

constexpr std::string_view kDockerHubEndpoint = "registry-1.docker.io";

const std::string kAcceptManifests = "Accept: " + std::string(kMediaTypeOciIndex) + ", " +
                                     std::string(kMediaTypeDockerManifestList) + ", " +
                                     std::string(kMediaTypeOciManifest) + ", " +
                                     std::string(kMediaTypeDockerManifest);

bool IsInsecure(const RegistryConfig& cfg, std::string_view host) {
  return std::find(cfg.insecure.begin(), cfg.insecure.end(), host) != cfg.insecure.end();
}

std::string HostOf(std::string_view url) {
  auto scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  return std::string(rest.substr(0, rest.find('/')));
}

// The registry's own explanation from an error body ({"errors":[{"code","message"}]}).
std::string RegistryMessage(const HttpResponse& r) {
  try {
    auto j = nlohmann::json::parse(r.error_body);
    const auto& e = j.at("errors").at(0);
    std::string msg = e.value("message", std::string());
    std::string code = e.value("code", std::string());
    if (!msg.empty() || !code.empty()) {
      return fmt::format("{} (HTTP {} {})", msg, r.status, code);
    }
  } catch (const nlohmann::json::exception&) {
  }
  return fmt::format("HTTP {}", r.status);
}

Code CodeForStatus(long status) {
  switch (status) {
    case 401:
    case 403: return Code::kPermissionDenied;
    case 404: return Code::kNotFound;
    case 400: return Code::kInvalidArgument;
    default: return Code::kUnavailable;
  }
}

}  // namespace

std::vector<Endpoint> ResolveEndpoints(const RegistryConfig& cfg, std::string_view domain) {
  std::vector<Endpoint> out;
  auto add_host = [&](std::string host, bool mirror) {
    if (IsInsecure(cfg, host)) {
      // Like docker's insecure-registries: TLS without verification first, then plain http.
      out.push_back({"https://" + host, false, mirror});
      out.push_back({"http://" + host, false, mirror});
    } else {
      out.push_back({"https://" + host, true, mirror});
    }
  };
  if (auto it = cfg.mirrors.find(std::string(domain)); it != cfg.mirrors.end()) {
    for (std::string m : it->second) {
      while (!m.empty() && m.back() == '/') {
        m.pop_back();
      }
      if (m.ends_with("/v2")) {
        m.resize(m.size() - 3);
      }
      if (m.starts_with("http://") || m.starts_with("https://")) {
        out.push_back({m, !IsInsecure(cfg, HostOf(m)), true});
      } else if (!m.empty()) {
        add_host(m, true);
      }
    }
  }
  add_host(domain == kDefaultDomain ? std::string(kDockerHubEndpoint) : std::string(domain), false);
  return out;
}

RegistryClient::RegistryClient(const RegistryConfig& cfg, Credentials creds, Reference ref)
    : ref_(std::move(ref)),
      creds_(std::move(creds)),
      endpoints_(ResolveEndpoints(cfg, ref_.domain)) {
  authorization_.resize(endpoints_.size());
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    if (!endpoints_[i].mirror && !creds_.registry_token.empty()) {
      authorization_[i] = "Bearer " + creds_.registry_token;
    }
  }
}

std::vector<size_t> RegistryClient::Order() const {
  std::vector<size_t> order{preferred_};
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    if (i != preferred_) {
      order.push_back(i);
    }
  }
  return order;
}

void RegistryClient::Note(const Endpoint& e, Error err) {
  attempts_.push_back(std::move(err).Wrap("{}", e.base));
}

Error RegistryClient::Failure(std::string_view what) {
  // The most telling failure decides the code and the message: bad content, then refused
  // credentials, then absence; unreachable endpoints only when nothing answered.
  static constexpr Code kRank[] = {Code::kInvalidArgument, Code::kResourceExhausted,
                                   Code::kPermissionDenied, Code::kNotFound};
  std::optional<Code> code;
  for (Code c : kRank) {
    if (std::any_of(attempts_.begin(), attempts_.end(),
                    [&](const Error& e) { return e.code() == c; })) {
      code = c;
      break;
    }
  }
  std::string msg;
  for (const Error& e : attempts_) {
    if (!code || e.code() == *code) {
      msg += (msg.empty() ? "" : "; ") + e.message();
    }
  }
  attempts_.clear();
  return Error(code.value_or(Code::kUnavailable),
               fmt::format("{}: {}", what, msg.empty() ? "no endpoint to try" : msg));
}

Status RegistryClient::Authorize(const Endpoint& e, const HttpResponse& resp) {
  size_t idx = static_cast<size_t>(&e - endpoints_.data());
  CAPSTAN_ASSIGN_OR_RETURN(Challenge ch, ParseChallenge(resp.www_authenticate));
  Credentials creds = e.mirror ? Credentials{} : creds_;
  if (ch.scheme == "bearer") {
    std::string scope = "repository:" + ref_.path + ":pull";
    CAPSTAN_ASSIGN_OR_RETURN(std::string token, FetchBearerToken(ch, scope, creds, e.verify_tls));
    authorization_[idx] = "Bearer " + token;
    return Ok();
  }
  if (ch.scheme == "basic") {
    if (!creds.has_basic()) {
      return Fail(Code::kPermissionDenied,
                  "registry asks for basic auth and no credentials "
                  "were given");
    }
    authorization_[idx] = BasicAuthorization(creds);
    return Ok();
  }
  return Fail(Code::kPermissionDenied, "unsupported auth scheme \"{}\"", ch.scheme);
}

Result<HttpResponse> RegistryClient::Do(const Endpoint& e, HttpRequest req, const BodySink& sink) {
  size_t idx = static_cast<size_t>(&e - endpoints_.data());
  req.verify_tls = e.verify_tls;
  std::vector<std::string> base_headers = req.headers;
  for (int attempt = 0;; ++attempt) {
    req.headers = base_headers;
    if (!authorization_[idx].empty()) {
      req.headers.push_back("Authorization: " + authorization_[idx]);
    }
    CAPSTAN_ASSIGN_OR_RETURN(HttpResponse resp, HttpDo(req, sink));
    if (resp.status != 401 || attempt > 0 || resp.www_authenticate.empty()) {
      return resp;
    }
    CAPSTAN_TRY(Authorize(e, resp));
  }
}

Result<RegistryClient::FetchedManifest> RegistryClient::FetchManifest(
    std::string_view tag_or_digest) {
  bool by_digest = tag_or_digest.starts_with(kSha256Prefix);
  for (size_t i : Order()) {
    const Endpoint& e = endpoints_[i];
    HttpRequest req;
    req.url = fmt::format("{}/v2/{}/manifests/{}", e.base, ref_.path, tag_or_digest);
    req.headers = {kAcceptManifests};
    std::string body;
    auto resp = Do(e, req, [&](std::string_view chunk) -> Status {
      if (chunk.size() > kMaxManifestSize - body.size()) {
        return Fail(Code::kResourceExhausted, "manifest is larger than {} bytes", kMaxManifestSize);
      }
      body.append(chunk);
      return Ok();
    });
    if (!resp) {
      attempts_.push_back(resp.error());  // names the URL already
      continue;
    }
    if (resp->status != 200) {
      Note(e, Error(CodeForStatus(resp->status), RegistryMessage(*resp)));
      continue;
    }
    std::string digest = Sha256Digest(body);
    if (by_digest && digest != tag_or_digest) {
      Note(e, Error(Code::kInvalidArgument,
                    fmt::format("manifest {}: digest mismatch: content hashes to {}", tag_or_digest,
                                digest)));
      continue;
    }
    preferred_ = i;
    attempts_.clear();
    return FetchedManifest{std::move(body), resp->content_type, std::move(digest)};
  }
  return Fail(Failure(fmt::format("fetching manifest {}:{}", ref_.Name(), tag_or_digest)));
}

Status RegistryClient::FetchBlob(const Descriptor& d, const ContentStore& content) {
  for (size_t i : Order()) {
    const Endpoint& e = endpoints_[i];
    CAPSTAN_ASSIGN_OR_RETURN(auto writer, content.NewWriter(d.size));
    HttpRequest req;
    req.url = fmt::format("{}/v2/{}/blobs/{}", e.base, ref_.path, d.digest);
    auto resp = Do(
        e, req, [&](std::string_view chunk) { return writer->Write(chunk.data(), chunk.size()); });
    if (!resp) {
      attempts_.push_back(resp.error());  // names the URL already
      continue;
    }
    if (resp->status != 200) {
      Note(e, Error(CodeForStatus(resp->status), RegistryMessage(*resp)));
      continue;
    }
    auto committed = writer->Commit(d.digest, d.size);
    if (!committed) {
      Note(e, committed.error());
      continue;
    }
    attempts_.clear();
    return Ok();
  }
  return Fail(Failure(fmt::format("fetching blob {} of {}", d.digest, ref_.Name())));
}

}  // namespace capstan::cri::image
