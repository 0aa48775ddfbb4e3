// The schema file parser (FORMAT.md): line statements, then a resolution pass that turns type
// names into definition names and checks merge keys and list-map keys against the types.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "api/k8s/schema/gen/schema_model.h"

namespace capstan::api::k8s::schema {
namespace {

const std::set<std::string, std::less<>> kPrimitives = {
    "string", "int32",         "int64",  "bool", "number",  "time",
    "bytes",  "int-or-string", "object", "any",  "quantity"};

struct Location {
  const std::string* file;
  int line;
};

template <typename... Args>
std::unexpected<Error> FailAt(const Location& at, fmt::format_string<Args...> f, Args&&... args) {
  return Fail(Code::kInvalidArgument, "{}:{}: {}", *at.file, at.line,
              fmt::format(f, std::forward<Args>(args)...));
}

// Splits a line into words. A word may hold a quoted part (`default="a b"`); a word that
// starts with a quote is a description. Backslash escapes \" and \\ inside quotes.
Result<std::vector<std::string>> Tokenize(std::string_view line, const Location& at) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] == ' ' || line[i] == '\t') {
      ++i;
      continue;
    }
    std::string word;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') {
      if (line[i] != '"') {
        word += line[i++];
        continue;
      }
      word += line[i++];
      bool closed = false;
      while (i < line.size()) {
        char c = line[i++];
        if (c == '\\' && i < line.size()) {
          word += c;
          word += line[i++];
          continue;
        }
        word += c;
        if (c == '"') {
          closed = true;
          break;
        }
      }
      if (!closed) return FailAt(at, "unterminated quoted string");
    }
    out.push_back(std::move(word));
  }
  return out;
}

// The text of a description token ("..."), unescaped.
Result<std::string> Description(const std::string& token, const Location& at) {
  if (token.size() < 2 || token.front() != '"' || token.back() != '"') {
    return FailAt(at, "expected a quoted description, got {}", token);
  }
  try {
    return nlohmann::json::parse(token).get<std::string>();
  } catch (const nlohmann::json::exception&) {
    return FailAt(at, "bad escape in description {}", token);
  }
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

Result<TypeRef> ParseTypeRef(const std::string& text, const Location& at) {
  TypeRef t;
  if (text.rfind("[]", 0) == 0) {
    t.shape = TypeRef::Shape::kList;
    auto inner = ParseTypeRef(text.substr(2), at);
    if (!inner) return inner;
    t.element.push_back(std::move(*inner));
    return t;
  }
  if (text.rfind("map[", 0) == 0 && text.back() == ']') {
    t.shape = TypeRef::Shape::kMap;
    auto inner = ParseTypeRef(text.substr(4, text.size() - 5), at);
    if (!inner) return inner;
    t.element.push_back(std::move(*inner));
    return t;
  }
  if (text.empty() ||
      !(std::isupper(static_cast<unsigned char>(text[0])) || kPrimitives.count(text) != 0)) {
    return FailAt(at, "unknown type {:?}: a primitive, []T, map[T] or a TypeName", text);
  }
  t.shape = kPrimitives.count(text) != 0 ? TypeRef::Shape::kPrimitive : TypeRef::Shape::kNamed;
  t.name = text;
  return t;
}

Status ApplyAttribute(const std::string& attr, FieldDef& f, const Location& at) {
  auto eq = attr.find('=');
  std::string key = attr.substr(0, eq);
  std::string value = eq == std::string::npos ? "" : attr.substr(eq + 1);
  auto add_strategy = [&f](const char* s) {
    f.patch_strategy = f.patch_strategy.empty() ? s : f.patch_strategy + "," + s;
  };
  if (key == "required" && eq == std::string::npos) {
    f.required = true;
  } else if (key == "default" && !value.empty()) {
    if (!nlohmann::json::accept(value))
      return FailAt(at, "default {} is not a JSON literal", value);
    f.default_json = value;
  } else if (key == "enum" && eq != std::string::npos) {
    f.enum_values = Split(value, '|');
  } else if (key == "merge") {
    add_strategy("merge");
    f.patch_merge_key = value;
  } else if (key == "retainKeys" && eq == std::string::npos) {
    add_strategy("retainKeys");
  } else if (key == "replace" && eq == std::string::npos) {
    add_strategy("replace");
  } else if (key == "list" && (value == "atomic" || value == "set" || value == "map")) {
    f.list_type = value;
  } else if (key == "keys" && !value.empty()) {
    f.list_map_keys = Split(value, ',');
  } else {
    return FailAt(at, "unknown attribute {:?}", attr);
  }
  return Ok();
}

Result<FieldDef> ParseField(const std::vector<std::string>& words, const Location& at) {
  if (words.size() < 3) return FailAt(at, "a field is: name type [attributes] \"description\"");
  FieldDef f;
  f.name = words[0];
  f.line = at.line;
  auto type = ParseTypeRef(words[1], at);
  if (!type) return std::unexpected(type.error());
  f.type = std::move(*type);
  for (size_t i = 2; i + 1 < words.size(); ++i) {
    CAPSTAN_TRY(ApplyAttribute(words[i], f, at));
  }
  auto desc = Description(words.back(), at);
  if (!desc) return std::unexpected(desc.error());
  f.description = std::move(*desc);
  if (f.type.shape != TypeRef::Shape::kList && !f.list_type.empty()) {
    return FailAt(at, "field {} has a list type but is not a list", f.name);
  }
  if ((f.list_type == "map") != !f.list_map_keys.empty()) {
    return FailAt(at, "field {}: list=map and keys= go together", f.name);
  }
  return f;
}

// A type being parsed, with the name of the type whose fields it copies (`like`).
struct Pending {
  TypeDef def;
  std::string like;
  std::string package;
};

class Parser {
 public:
  Status ParseFile(const SchemaFile& file) {
    std::string package, group, version;
    Pending* current = nullptr;
    int line_no = 0;
    size_t start = 0;
    while (start <= file.text.size()) {
      size_t end = file.text.find('\n', start);
      if (end == std::string::npos) end = file.text.size();
      std::string_view line(file.text.data() + start, end - start);
      start = end + 1;
      ++line_no;
      Location at{&file.path, line_no};
      std::string_view trimmed = line.substr(std::min(line.find_first_not_of(" \t"), line.size()));
      if (trimmed.empty() || trimmed.front() == '#') continue;
      auto words = Tokenize(line, at);
      if (!words) return std::unexpected(words.error());
      bool indented = line.front() == ' ';
      if (indented) {
        if (current == nullptr) return FailAt(at, "a field outside a type or kind");
        auto field = ParseField(*words, at);
        if (!field) return std::unexpected(field.error());
        current->def.fields.push_back(std::move(*field));
        continue;
      }
      const std::string& statement = (*words)[0];
      if (statement == "package" && words->size() == 2) {
        package = (*words)[1];
      } else if (statement == "groupversion" && words->size() == 2) {
        auto parts = Split((*words)[1], '/');
        if (parts.size() == 1) parts.insert(parts.begin(), "");
        if (parts.size() != 2 || parts[1].empty())
          return FailAt(at, "groupversion is group/version");
        group = parts[0];
        version = parts[1];
      } else if ((statement == "type" || statement == "kind") && words->size() >= 3) {
        if (package.empty()) return FailAt(at, "{} before package", statement);
        CAPSTAN_TRY(StartType(*words, statement == "kind", package, group, version, file, at));
        current = &pending_.back();
      } else {
        return FailAt(at, "unknown statement {:?}", std::string(trimmed.substr(0, 40)));
      }
    }
    return Ok();
  }

  Result<SchemaModel> Resolve() {
    SchemaModel model;
    for (auto& p : pending_) CAPSTAN_TRY(CopyLikeFields(p));
    for (auto& p : pending_) {
      std::set<std::string> seen;
      for (auto& f : p.def.fields) {
        Location at{&p.def.file, f.line};
        if (!seen.insert(f.name).second) return FailAt(at, "field {} listed twice", f.name);
        CAPSTAN_TRY(ResolveRef(f.type, p, at));
      }
      if (model.types.count(p.def.definition) != 0) {
        Location at{&p.def.file, p.def.line};
        return FailAt(at, "{} defined twice", p.def.definition);
      }
      model.types.emplace(p.def.definition, p.def);
    }
    for (const auto& [name, type] : model.types) CAPSTAN_TRY(CheckKeys(model, type));
    return model;
  }

 private:
  Status StartType(const std::vector<std::string>& words, bool is_kind, const std::string& package,
                   const std::string& group, const std::string& version, const SchemaFile& file,
                   const Location& at) {
    Pending p;
    p.package = package;
    p.def.name = words[1];
    p.def.definition = package + "." + words[1];
    p.def.file = file.path;
    p.def.line = at.line;
    for (size_t i = 2; i + 1 < words.size(); ++i) {
      if (words[i] == "open") {
        p.def.open = true;
      } else if (words[i] == "like" && i + 2 < words.size()) {
        p.like = words[++i];
      } else {
        return FailAt(at, "unknown type attribute {:?}", words[i]);
      }
    }
    auto desc = Description(words.back(), at);
    if (!desc) return std::unexpected(desc.error());
    p.def.description = std::move(*desc);
    if (is_kind) {
      if (version.empty()) return FailAt(at, "kind before groupversion");
      p.def.group_version = {group, version};
      p.def.fields.push_back(Builtin("apiVersion", "string",
                                     "The versioned schema of this object, e.g. apps/v1.", at));
      p.def.fields.push_back(
          Builtin("kind", "string", "The kind of this object, in CamelCase.", at));
      p.def.fields.push_back(Builtin("metadata", "ObjectMeta", "Standard object metadata.", at));
    }
    by_name_[p.def.name].push_back(pending_.size());
    pending_.push_back(std::move(p));
    return Ok();
  }

  static FieldDef Builtin(const char* name, const char* type, const char* description,
                          const Location& at) {
    FieldDef f;
    f.name = name;
    f.type = *ParseTypeRef(type, at);
    f.description = description;
    f.line = at.line;
    return f;
  }

  // The pending type a name refers to from `from`: the same file's first, else the only one.
  Result<Pending*> Lookup(const std::string& name, const Pending& from, const Location& at) {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return FailAt(at, "unknown type {}", name);
    for (size_t i : it->second) {
      if (pending_[i].def.file == from.def.file) return &pending_[i];
    }
    if (it->second.size() > 1) {
      return FailAt(at, "type {} is defined in several files; define it in this one", name);
    }
    return &pending_[it->second.front()];
  }

  Status ResolveRef(TypeRef& t, const Pending& from, const Location& at) {
    if (t.shape == TypeRef::Shape::kList || t.shape == TypeRef::Shape::kMap) {
      return ResolveRef(t.element.front(), from, at);
    }
    if (t.shape != TypeRef::Shape::kNamed) return Ok();
    auto target = Lookup(t.name, from, at);
    if (!target) return std::unexpected(target.error());
    t.name = (*target)->def.definition;
    return Ok();
  }

  Status CopyLikeFields(Pending& p) {
    if (p.like.empty()) return Ok();
    Location at{&p.def.file, p.def.line};
    auto base = Lookup(p.like, p, at);
    if (!base) return std::unexpected(base.error());
    if (!(*base)->like.empty())
      return FailAt(at, "like {}: chains of like are not supported", p.like);
    std::vector<FieldDef> fields = (*base)->def.fields;
    fields.insert(fields.end(), p.def.fields.begin(), p.def.fields.end());
    p.def.fields = std::move(fields);
    p.like.clear();
    return Ok();
  }

  // Merge keys and list-map keys must be fields of the list's element type.
  static Status CheckKeys(const SchemaModel& model, const TypeDef& type) {
    for (const auto& f : type.fields) {
      Location at{&type.file, f.line};
      std::vector<std::string> keys = f.list_map_keys;
      if (!f.patch_merge_key.empty()) keys.push_back(f.patch_merge_key);
      if (keys.empty()) continue;
      if (f.type.shape != TypeRef::Shape::kList)
        return FailAt(at, "{}: keys on a non-list", f.name);
      const TypeRef& item = f.type.Element();
      if (item.shape != TypeRef::Shape::kNamed) continue;  // free-form items: nothing to check
      const TypeDef& element = model.types.at(item.name);
      for (const auto& key : keys) {
        bool found = std::any_of(element.fields.begin(), element.fields.end(),
                                 [&key](const FieldDef& ef) { return ef.name == key; });
        if (!found) return FailAt(at, "{}: key {} is not a field of {}", f.name, key, element.name);
      }
    }
    return Ok();
  }

  std::vector<Pending> pending_;  // reserved up front: pointers into it stay valid
  std::map<std::string, std::vector<size_t>> by_name_;

 public:
  void Reserve(size_t n) { pending_.reserve(n); }
};

}  // namespace

Result<SchemaModel> ParseSchemaFiles(const std::vector<SchemaFile>& files) {
  Parser parser;
  size_t statements = 0;
  for (const auto& f : files) statements += std::count(f.text.begin(), f.text.end(), '\n') + 1;
  parser.Reserve(statements);
  for (const auto& f : files) CAPSTAN_TRY(parser.ParseFile(f));
  return parser.Resolve();
}

}  // namespace capstan::api::k8s::schema
