#pragma once
// The checks the API server makes on a new Pod (ValidatePodCreate), for the fields the
// kubelet acts on: a static pod skips the API server, so the kubelet rejects what it would.
// The first problem is returned, naming the field.

#include "api/k8s/pod.h"
#include "common/error.h"

namespace capstan::api::k8s {

Status ValidatePod(const Pod& pod);

bool IsDnsLabel(std::string_view s);      // RFC 1123 label, at most 63 characters
bool IsDnsSubdomain(std::string_view s);  // RFC 1123 subdomain, at most 253 characters

}  // namespace capstan::api::k8s
