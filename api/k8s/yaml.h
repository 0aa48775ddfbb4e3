#pragma once
// YAML in, the same JSON tree as a JSON document would give out: every YAML consumer
// (manifests, kubelet config) decodes JSON only. Plain scalars resolve by the YAML 1.2 core
// schema (null, true/false, integers, floats; anything else is a string); quoted scalars are
// always strings. yaml-cpp's exceptions stop here.

#include <string_view>
#include <vector>

#include "api/k8s/json_reader.h"
#include "common/error.h"

namespace capstan::api::k8s {

// One document (an empty input is null).
Result<Json> YamlToJson(std::string_view yaml);
// Every document of a "---"-separated stream; empty documents are skipped.
Result<std::vector<Json>> YamlDocumentsToJson(std::string_view yaml);
// JSON when the text starts with '{' or '[', YAML otherwise.
Result<Json> ParseJsonOrYaml(std::string_view text);

}  // namespace capstan::api::k8s
