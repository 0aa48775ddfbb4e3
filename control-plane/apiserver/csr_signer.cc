#include "control-plane/apiserver/csr_signer.h"

#include <algorithm>
#include <set>

#include "common/log.h"
#include "common/pki/base64.h"
#include "common/pki/csr.h"

namespace capstan::control_plane::apiserver {
namespace {

const log::Logger kLog("csr-signer");

constexpr const char* kClientKubelet = "kubernetes.io/kube-apiserver-client-kubelet";
constexpr const char* kKubeletServing = "kubernetes.io/kubelet-serving";
constexpr const char* kApiserverClient = "kubernetes.io/kube-apiserver-client";
// Certificates last a year unless the request asks for less (spec.expirationSeconds, at least
// ten minutes), as kube-controller-manager's --cluster-signing-duration default.
constexpr int64_t kDefaultSeconds = 365LL * 24 * 3600;
constexpr int64_t kMinSeconds = 600;

std::vector<std::string> Strings(const Json& v) {
  std::vector<std::string> out;
  if (!v.is_array()) return out;
  for (const auto& s : v) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

bool HasCondition(const Json& csr, const char* type) {
  const Json& conditions = Lookup(csr, {"status", "conditions"});
  if (!conditions.is_array()) return false;
  return std::any_of(conditions.begin(), conditions.end(), [type](const Json& c) {
    return c.is_object() && c.value("type", "") == type;
  });
}

bool UsagesWithin(const std::vector<std::string>& usages, std::set<std::string> allowed,
                  const char* required) {
  if (std::find(usages.begin(), usages.end(), required) == usages.end()) return false;
  return std::all_of(usages.begin(), usages.end(),
                     [&](const std::string& u) { return allowed.count(u) != 0; });
}

bool IsNodeSubject(const pki::CertificateRequestInfo& info) {
  return info.organizations == std::vector<std::string>{"system:nodes"} &&
         info.common_name.rfind("system:node:", 0) == 0 &&
         info.common_name.size() > std::string("system:node:").size();
}

UserInfo Requester(const Json& csr) {
  UserInfo u;
  const Json& spec = csr["spec"];
  u.name = spec.value("username", "");
  u.uid = spec.value("uid", "");
  u.groups = Strings(spec.value("groups", Json()));
  return u;
}

// Why the request is approved automatically, or "" when it is not.
std::string AutoApproval(const Json& csr, const pki::CertificateRequestInfo& info,
                         const Authorizer& authorizer) {
  const Json& spec = csr["spec"];
  std::string signer = spec.value("signerName", "");
  std::vector<std::string> usages = Strings(spec.value("usages", Json()));
  UserInfo requester = Requester(csr);
  if (!IsNodeSubject(info) || info.has_other_names) return "";
  if (signer == kClientKubelet) {
    if (!info.dns_names.empty() || !info.ip_addresses.empty()) return "";
    if (!UsagesWithin(usages, {"digital signature", "key encipherment", "client auth"},
                      "client auth")) {
      return "";
    }
    bool self = requester.name == info.common_name;
    Attributes a;
    a.user = requester;
    a.verb = "create";
    a.resource_request = true;
    a.api_group = "certificates.k8s.io";
    a.resource = "certificatesigningrequests";
    a.subresource = self ? "selfnodeclient" : "nodeclient";
    std::string reason;
    if (authorizer.Authorize(a, &reason) != Decision::kAllow) return "";
    return self ? "Auto approving self kubelet client certificate after SubjectAccessReview."
                : "Auto approving kubelet client certificate after SubjectAccessReview.";
  }
  if (signer == kKubeletServing) {
    if (requester.name != info.common_name) return "";
    if (info.dns_names.empty() && info.ip_addresses.empty()) return "";
    if (!UsagesWithin(usages, {"digital signature", "key encipherment", "server auth"},
                      "server auth")) {
      return "";
    }
    return "Auto approving the node's own kubelet serving certificate.";
  }
  return "";
}

Json Condition(const char* type, const char* reason, const std::string& message,
               const std::string& now) {
  return {{"type", type},       {"status", "True"},      {"reason", reason},
          {"message", message}, {"lastUpdateTime", now}, {"lastTransitionTime", now}};
}

}  // namespace

void SetCsrRequester(const UserInfo& user, Json& csr) {
  if (!csr.is_object()) return;
  Json& spec = csr["spec"];
  if (!spec.is_object()) return;  // validation reports it
  spec["username"] = user.name;
  if (user.uid.empty()) {
    spec.erase("uid");
  } else {
    spec["uid"] = user.uid;
  }
  spec["groups"] = user.groups;
  if (user.extra.empty()) {
    spec.erase("extra");
  } else {
    spec["extra"] = user.extra;
  }
}

CsrSigner::CsrSigner(Registry* registry, const ResourceRegistry* resources,
                     const Authorizer* authorizer, pki::CertAndKey ca, const Clock* clock,
                     std::chrono::milliseconds period)
    : registry_(registry),
      resources_(resources),
      authorizer_(authorizer),
      ca_(std::move(ca)),
      clock_(clock),
      loop_(period, [this] { SyncOnce(); }) {}

CsrSigner::~CsrSigner() { Stop(); }

void CsrSigner::Start() { loop_.Start(); }
void CsrSigner::Stop() { loop_.Stop(); }
void CsrSigner::Notify() { loop_.Notify(); }

void CsrSigner::SyncOnce() {
  auto r = resources_->Find("certificates.k8s.io", "v1", "certificatesigningrequests");
  if (!r) return;
  auto list = registry_->List(*r, {});
  if (!list) return;
  for (const auto& csr : (*list)["items"]) Sync(*r, csr);
}

void CsrSigner::Sync(const ResourceInfo& r, const Json& csr) {
  if (HasCondition(csr, "Denied") || HasCondition(csr, "Failed")) return;
  if (!Lookup(csr, {"status", "certificate"}).is_null()) return;
  std::string name = MetaString(csr, "name");
  const Json& spec = csr["spec"];
  std::string signer = spec.value("signerName", "");
  if (signer != kClientKubelet && signer != kKubeletServing && signer != kApiserverClient) return;
  std::string now = FormatApiTime(clock_->Now());
  auto pem = pki::Base64Decode(spec.value("request", ""));
  auto info = pem ? pki::ParseCertificateRequest(*pem)
                  : Result<pki::CertificateRequestInfo>(
                        Fail(Code::kInvalidArgument, "spec.request is not base64"));

  if (!HasCondition(csr, "Approved")) {
    std::string why = info ? AutoApproval(csr, *info, *authorizer_) : "";
    if (why.empty()) return;  // left for an administrator
    auto approved = registry_->GuaranteedUpdate(
        r, "", name, "approval", false, [&](const Json& current) -> ApiResult<Json> {
          Json next = current;
          next["status"]["conditions"].push_back(Condition("Approved", "AutoApproved", why, now));
          return next;
        });
    if (!approved) return;
    kLog.Info("approved", {{"csr", name}, {"signer", signer}});
  }

  std::string certificate;
  std::string failure;
  if (!info) {
    failure = info.error().message();
  } else {
    pki::CertificateSpec grant;
    grant.common_name = info->common_name;
    grant.organizations = info->organizations;
    std::vector<std::string> usages = Strings(spec.value("usages", Json()));
    grant.client_auth = std::find(usages.begin(), usages.end(), "client auth") != usages.end();
    grant.server_auth = std::find(usages.begin(), usages.end(), "server auth") != usages.end();
    if (grant.server_auth) {
      grant.dns_names = info->dns_names;
      grant.ip_addresses = info->ip_addresses;
    }
    int64_t seconds = kDefaultSeconds;
    if (spec.contains("expirationSeconds") && spec["expirationSeconds"].is_number_integer()) {
      seconds = std::clamp(spec["expirationSeconds"].get<int64_t>(), kMinSeconds, kDefaultSeconds);
    }
    grant.validity = std::chrono::seconds(seconds);
    auto signed_pem = pki::SignCertificateRequest(*pem, grant, ca_);
    if (signed_pem) {
      certificate = pki::Base64Encode(*signed_pem);
    } else {
      failure = signed_pem.error().message();
    }
  }
  auto updated = registry_->GuaranteedUpdate(
      r, "", name, "status", false, [&](const Json& current) -> ApiResult<Json> {
        Json next = current;
        if (failure.empty()) {
          next["status"]["certificate"] = certificate;
        } else {
          next["status"]["conditions"].push_back(
              Condition("Failed", "SignerValidationFailure", failure, now));
        }
        return next;
      });
  if (updated) {
    kLog.Info(failure.empty() ? "signed" : "failed", {{"csr", name}, {"why", failure}});
  }
}

}  // namespace capstan::control_plane::apiserver
