#pragma once
// Internal to the protobuf decoder: the wire descriptions of the messages it knows.

#include <string>
#include <vector>

namespace capstan::api::k8s::protobuf {

enum class Kind {
  kString,
  kBytes,  // base64 in JSON
  kBool,
  kInt32,
  kInt64,
  kMessage,
  kStringMap,    // map<string, string>
  kBytesMap,     // map<string, bytes>
  kQuantityMap,  // map<string, Quantity>
  kTime,         // meta.v1.Time -> RFC 3339
  kIntOrString,
  kQuantity,
};

struct Field {
  int number;
  const char* json;
  Kind kind;
  bool repeated = false;
  const char* message = nullptr;  // for kMessage
  bool pointer = false;           // a Go pointer field: its zero value is kept
};

struct Message {
  const char* name;
  std::vector<Field> fields;
};

const Message* FindMessage(std::string_view name);
// The message of a top-level kind ("apps/v1", "Deployment" -> "apps.v1.Deployment").
const Message* FindKind(std::string_view api_version, std::string_view kind);

}  // namespace capstan::api::k8s::protobuf
