#pragma once
// RequestInfo: what a request's method and URL ask for, as kube-apiserver's
// RequestInfoFactory reads them: /api/v1/namespaces/NS/pods/NAME/status?watch=true is a
// "watch"... of pods in NS. Pure parsing; no lookups.

#include <map>
#include <string>
#include <string_view>

namespace capstan::control_plane::apiserver {

using QueryParams = std::map<std::string, std::string>;

struct RequestInfo {
  bool is_resource_request = false;  // false: /healthz, /version, /api, /openapi/v2, ...
  std::string path;                  // the decoded path, without the query
  std::string verb;                  // get list watch create update patch delete deletecollection
  std::string api_prefix;            // "api" or "apis"
  std::string group;
  std::string version;
  std::string namespace_;
  std::string resource;
  std::string name;
  std::string subresource;
  QueryParams query;
};

// Percent-decoding of one URL component ('+' is a space in query strings only).
std::string UrlDecode(std::string_view s, bool plus_is_space);
QueryParams ParseQuery(std::string_view query);
RequestInfo ParseRequestInfo(std::string_view method, std::string_view target);

}  // namespace capstan::control_plane::apiserver
