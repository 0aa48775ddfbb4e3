#pragma once
// Kubernetes' protobuf encoding of built-in objects (application/vnd.kubernetes.protobuf),
// decoded to the JSON the rest of capstan works on. kubectl 1.32+ sends the bodies of its
// typed requests this way (create namespace/configmap/secret/deployment/..., auth can-i,
// create token, drain's evictions).
//
// The envelope is the 4-byte magic "k8s\0" and a runtime.Unknown holding the apiVersion,
// kind and the object's own message. The messages are described in a table written from
// k8s.io/api's wire definitions (protobuf_messages.cc); a kind or field it does not describe
// is an error naming it, never silently dropped. Zero scalars that Go's encoder writes for
// non-pointer fields are left out, as JSON's omitempty leaves them out; pointer fields keep
// their zero (replicas: 0).

#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace capstan::api::k8s::protobuf {

// kInvalidArgument for malformed bytes or an unknown kind or field.
Result<nlohmann::json> DecodeObject(std::string_view body);

}  // namespace capstan::api::k8s::protobuf
