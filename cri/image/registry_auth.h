#pragma once
// Registry authentication: WWW-Authenticate challenges (Bearer and Basic) and the token
// endpoint of the Docker registry token protocol (GET with optional basic credentials, or
// an OAuth2 refresh-token POST when an identity token is given).

#include <map>
#include <string>
#include <string_view>

#include "common/error.h"
#include "cri/image/store.h"

namespace capstan::cri::image {

struct Challenge {
  std::string scheme;                         // lowercased: "bearer", "basic"
  std::map<std::string, std::string> params;  // keys lowercased: realm, service, scope
};

// Parses the first challenge of a WWW-Authenticate header value (a pure function).
Result<Challenge> ParseChallenge(std::string_view header);

struct Credentials {
  std::string username;
  std::string password;
  std::string identity_token;
  std::string registry_token;
  bool has_basic() const { return !username.empty() || !password.empty(); }
};

// Decodes CRI's AuthConfig (`auth` is base64 "user:password").
Result<Credentials> ToCredentials(const AuthConfig& auth);

// "Basic <base64(user:password)>"
std::string BasicAuthorization(const Credentials& creds);

// Obtains a bearer token for `challenge`, asking for `scope` (the challenge's own scope
// when it names one). PermissionDenied when the token endpoint refuses the credentials.
Result<std::string> FetchBearerToken(const Challenge& challenge, std::string_view scope,
                                     const Credentials& creds, bool verify_tls);

}  // namespace capstan::cri::image
