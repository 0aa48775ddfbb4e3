#include "api/k8s/patch/json_patch.h"

#include <charconv>
#include <optional>

namespace capstan::api::k8s::patch {
namespace {

// The container holding a pointer's target and the target's last token.
struct Slot {
  Json* parent;
  std::string key;
};

std::unexpected<Error> Invalid(std::string message) {
  return std::unexpected(Error(Code::kInvalidArgument, std::move(message)));
}

// strconv.Atoi, as evanphx reads array indices: an optional '-' and decimal digits.
std::optional<long long> ParseIndex(std::string_view token) {
  long long v = 0;
  auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
  if (token.empty() || ec != std::errc() || ptr != token.data() + token.size()) {
    return std::nullopt;
  }
  return v;
}

// An index into an array of `size` elements (`size + 1` slots when inserting), with
// negative indices counted from the end.
Result<size_t> ResolveIndex(std::string_view token, size_t size) {
  auto idx = ParseIndex(token);
  if (!idx) {
    return Invalid(fmt::format("value was not a proper array index: '{}'", token));
  }
  long long n = static_cast<long long>(size);
  if (*idx >= n || *idx < -n) {
    return Invalid(
        fmt::format("Unable to access invalid index: {}: invalid index referenced", *idx));
  }
  return static_cast<size_t>(*idx < 0 ? *idx + n : *idx);
}

// The value at the first `count` tokens (nullptr when absent), through objects and arrays.
Json* Find(Json& doc, const std::vector<std::string>& tokens, size_t count) {
  Json* cur = &doc;
  for (size_t i = 0; i < count; ++i) {
    if (cur->is_object()) {
      auto it = cur->find(tokens[i]);
      if (it == cur->end()) {
        return nullptr;
      }
      cur = &*it;
    } else if (cur->is_array()) {
      auto idx = ResolveIndex(tokens[i], cur->size());
      if (!idx) {
        return nullptr;
      }
      cur = &(*cur)[*idx];
    } else {
      return nullptr;
    }
  }
  return cur;
}

// The slot `path` names: its parent must exist and be an object or an array.
std::optional<Slot> FindSlot(Json& doc, const std::vector<std::string>& tokens) {
  if (tokens.empty()) {
    return std::nullopt;  // the root has no parent
  }
  Json* parent = Find(doc, tokens, tokens.size() - 1);
  if (parent == nullptr || !(parent->is_object() || parent->is_array())) {
    return std::nullopt;
  }
  return Slot{parent, tokens.back()};
}

Json* Get(const Slot& s) {
  if (s.parent->is_object()) {
    auto it = s.parent->find(s.key);
    return it == s.parent->end() ? nullptr : &*it;
  }
  auto idx = ResolveIndex(s.key, s.parent->size());
  return idx ? &(*s.parent)[*idx] : nullptr;
}

Status Add(const Slot& s, Json value) {
  if (s.parent->is_object()) {
    (*s.parent)[s.key] = std::move(value);
    return Ok();
  }
  if (s.key == "-") {
    s.parent->push_back(std::move(value));
    return Ok();
  }
  CAPSTAN_ASSIGN_OR_RETURN(size_t idx, ResolveIndex(s.key, s.parent->size() + 1));
  s.parent->insert(s.parent->begin() + static_cast<std::ptrdiff_t>(idx), std::move(value));
  return Ok();
}

Status Remove(const Slot& s) {
  if (s.parent->is_object()) {
    if (s.parent->erase(s.key) == 0) {
      return Invalid(fmt::format("Unable to remove nonexistent key: {}: missing value", s.key));
    }
    return Ok();
  }
  CAPSTAN_ASSIGN_OR_RETURN(size_t idx, ResolveIndex(s.key, s.parent->size()));
  s.parent->erase(idx);
  return Ok();
}

struct Pointer {
  std::string text;
  std::vector<std::string> tokens;
};

struct Operation {
  std::string kind;
  Pointer path;
  const Json* raw;
};

// A pointer member of the operation ("path", "from").
Result<Pointer> PointerMember(const Json& raw, std::string_view kind, const char* name) {
  auto it = raw.find(name);
  if (it == raw.end() || !it->is_string()) {
    return Invalid(fmt::format("{} operation, missing {} field", kind, name));
  }
  Pointer p{it->get<std::string>(), {}};
  auto tokens = ParseJsonPointer(p.text);
  if (!tokens) {
    return Invalid(fmt::format("{} operation: {}", kind, tokens.error().message()));
  }
  p.tokens = std::move(*tokens);
  return p;
}

Result<Json> ValueMember(const Operation& op) {
  auto it = op.raw->find("value");
  if (it == op.raw->end()) {
    return Invalid(
        fmt::format("{} operation for path '{}': missing value field", op.kind, op.path.text));
  }
  return *it;
}

Status ApplyOne(Json& doc, const Operation& op) {
  const std::string& path = op.path.text;
  const std::vector<std::string>& tokens = op.path.tokens;
  if (op.kind == "add" || op.kind == "replace") {
    CAPSTAN_ASSIGN_OR_RETURN(Json value, ValueMember(op));
    auto slot = FindSlot(doc, tokens);
    if (!slot) {
      return Invalid(
          fmt::format("{} operation does not apply: doc is missing path: \"{}\"", op.kind, path));
    }
    if (op.kind == "add") {
      CAPSTAN_TRY_WRAP(Add(*slot, std::move(value)), "error in add for path: '{}'", path);
      return Ok();
    }
    Json* target = Get(*slot);
    if (target == nullptr) {
      return Invalid(fmt::format(
          "replace operation does not apply: doc is missing key: {}: missing value", path));
    }
    *target = std::move(value);
    return Ok();
  }
  if (op.kind == "remove") {
    auto slot = FindSlot(doc, tokens);
    if (!slot) {
      return Invalid(
          fmt::format("remove operation does not apply: doc is missing path: \"{}\"", path));
    }
    CAPSTAN_TRY_WRAP(Remove(*slot), "error in remove for path: '{}'", path);
    return Ok();
  }
  if (op.kind == "test") {
    CAPSTAN_ASSIGN_OR_RETURN(Json value, ValueMember(op));
    auto slot = FindSlot(doc, tokens);
    if (!slot) {
      return Invalid(fmt::format("test operation does not apply: is missing path: {}", path));
    }
    if (slot->parent->is_array()) {
      CAPSTAN_TRY_WRAP(ResolveIndex(slot->key, slot->parent->size()),
                       "error in test for path: '{}'", path);
    }
    Json* have = Get(*slot);
    // evanphx treats a missing member (not a missing array element) as null.
    if ((have == nullptr && value.is_null()) || (have != nullptr && *have == value)) {
      return Ok();
    }
    return Invalid(fmt::format("testing value {} failed: test failed", path));
  }
  if (op.kind == "move" || op.kind == "copy") {
    CAPSTAN_ASSIGN_OR_RETURN(Pointer from_ptr, PointerMember(*op.raw, op.kind, "from"));
    const std::string& from = from_ptr.text;
    auto from_slot = FindSlot(doc, from_ptr.tokens);
    if (!from_slot) {
      return Invalid(
          fmt::format("{} operation does not apply: doc is missing from path: {}", op.kind, from));
    }
    Json* source = Get(*from_slot);
    if (source == nullptr) {
      return Invalid(fmt::format("error in {} for path: '{}': missing value", op.kind, from));
    }
    Json value = *source;
    if (op.kind == "move") {
      // Removing first means a move into the value's own subtree finds no parent.
      CAPSTAN_TRY_WRAP(Remove(*from_slot), "error in move for path: '{}'", from);
    }
    auto slot = FindSlot(doc, tokens);
    if (!slot) {
      return Invalid(fmt::format("{} operation does not apply: doc is missing destination path: {}",
                                 op.kind, path));
    }
    CAPSTAN_TRY_WRAP(Add(*slot, std::move(value)), "error in {} for path: '{}'", op.kind, path);
    return Ok();
  }
  return Invalid(fmt::format("Unexpected kind: {}", op.kind));
}

}  // namespace

Result<std::vector<std::string>> ParseJsonPointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) {
    return tokens;
  }
  if (pointer.front() != '/') {
    return Invalid(fmt::format("JSON pointer \"{}\" does not start with '/'", pointer));
  }
  std::string token;
  for (size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
      continue;
    }
    if (pointer[i] != '~') {
      token += pointer[i];
      continue;
    }
    char next = i + 1 < pointer.size() ? pointer[i + 1] : '\0';
    if (next != '0' && next != '1') {
      return Invalid(fmt::format("JSON pointer \"{}\" has an invalid '~' escape", pointer));
    }
    token += next == '0' ? '~' : '/';
    ++i;
  }
  return tokens;
}

Result<Json> ApplyJsonPatch(const Json& doc, const Json& patch) {
  if (!patch.is_array()) {
    return Invalid("json patch must be a list of operations");
  }
  Json out = doc;
  for (const Json& raw : patch) {
    if (!raw.is_object()) {
      return Invalid("json patch operation must be an object");
    }
    Operation op{"unknown", {}, &raw};
    if (auto it = raw.find("op"); it != raw.end() && it->is_string()) {
      op.kind = it->get<std::string>();
    }
    if (op.kind == "add" || op.kind == "remove" || op.kind == "replace" || op.kind == "move" ||
        op.kind == "copy" || op.kind == "test") {
      CAPSTAN_ASSIGN_OR_RETURN(op.path, PointerMember(raw, op.kind, "path"));
    }
    CAPSTAN_TRY(ApplyOne(out, op));
  }
  return out;
}

}  // namespace capstan::api::k8s::patch
