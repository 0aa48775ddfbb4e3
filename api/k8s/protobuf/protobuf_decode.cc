#include "api/k8s/protobuf/protobuf_decode.h"

#include <fmt/format.h>

#include <chrono>

#include "api/k8s/protobuf/protobuf_schema.h"
#include "common/pki/base64.h"
#include "common/time.h"

namespace capstan::api::k8s::protobuf {
namespace {

using Json = nlohmann::json;

constexpr int kMaxDepth = 32;

// One field as read off the wire.
struct WireField {
  int number = 0;
  int type = 0;  // 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32
  uint64_t varint = 0;
  std::string_view bytes;
};

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool Done() const { return pos_ >= data_.size(); }

  Result<uint64_t> Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return Fail(Code::kInvalidArgument, "truncated varint");
      uint8_t b = static_cast<uint8_t>(data_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Fail(Code::kInvalidArgument, "varint too long");
  }

  Result<WireField> Next() {
    WireField f;
    CAPSTAN_ASSIGN_OR_RETURN(uint64_t key, Varint());
    f.number = static_cast<int>(key >> 3);
    f.type = static_cast<int>(key & 7);
    switch (f.type) {
      case 0: {
        CAPSTAN_ASSIGN_OR_RETURN(f.varint, Varint());
        break;
      }
      case 1:
      case 5: {
        size_t n = f.type == 1 ? 8 : 4;
        if (data_.size() - pos_ < n) return Fail(Code::kInvalidArgument, "truncated fixed field");
        pos_ += n;
        break;
      }
      case 2: {
        CAPSTAN_ASSIGN_OR_RETURN(uint64_t n, Varint());
        if (n > data_.size() - pos_) return Fail(Code::kInvalidArgument, "truncated field");
        f.bytes = data_.substr(pos_, n);
        pos_ += n;
        break;
      }
      default: return Fail(Code::kInvalidArgument, "unsupported wire type {}", f.type);
    }
    return f;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// A map entry: key = 1, value = 2.
Result<std::pair<std::string, std::string_view>> MapEntry(std::string_view bytes) {
  Reader r(bytes);
  std::string key;
  std::string_view value;
  while (!r.Done()) {
    CAPSTAN_ASSIGN_OR_RETURN(WireField f, r.Next());
    if (f.type != 2) return Fail(Code::kInvalidArgument, "bad map entry");
    if (f.number == 1) key = std::string(f.bytes);
    if (f.number == 2) value = f.bytes;
  }
  return std::make_pair(key, value);
}

// A one-string message (Quantity) or the string field of one.
Result<std::string> SingleString(std::string_view bytes) {
  Reader r(bytes);
  std::string out;
  while (!r.Done()) {
    CAPSTAN_ASSIGN_OR_RETURN(WireField f, r.Next());
    if (f.number == 1 && f.type == 2) out = std::string(f.bytes);
  }
  return out;
}

Result<Json> Time(std::string_view bytes) {
  Reader r(bytes);
  int64_t seconds = 0;
  while (!r.Done()) {
    CAPSTAN_ASSIGN_OR_RETURN(WireField f, r.Next());
    if (f.number == 1 && f.type == 0) seconds = static_cast<int64_t>(f.varint);
  }
  if (seconds == 0) return Json();  // the zero time is JSON null
  std::time_t t = seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return Json(buf);
}

Result<Json> IntOrString(std::string_view bytes) {
  Reader r(bytes);
  int64_t type = 0, int_val = 0;
  std::string str_val;
  while (!r.Done()) {
    CAPSTAN_ASSIGN_OR_RETURN(WireField f, r.Next());
    if (f.number == 1) type = static_cast<int64_t>(f.varint);
    if (f.number == 2) int_val = static_cast<int32_t>(f.varint);
    if (f.number == 3) str_val = std::string(f.bytes);
  }
  return type == 1 ? Json(str_val) : Json(int_val);
}

Result<Json> DecodeMessage(const Message& msg, std::string_view bytes, int depth);

Result<Json> FieldValue(const Field& def, const WireField& f, int depth) {
  auto want = [&](int type) -> Status {
    if (f.type != type) {
      return Fail(Code::kInvalidArgument, "field {} has wire type {}, not {}", def.json, f.type,
                  type);
    }
    return Ok();
  };
  switch (def.kind) {
    case Kind::kString: CAPSTAN_TRY(want(2)); return Json(std::string(f.bytes));
    case Kind::kBytes: CAPSTAN_TRY(want(2)); return Json(pki::Base64Encode(f.bytes));
    case Kind::kBool: CAPSTAN_TRY(want(0)); return Json(f.varint != 0);
    case Kind::kInt32: CAPSTAN_TRY(want(0)); return Json(static_cast<int32_t>(f.varint));
    case Kind::kInt64: CAPSTAN_TRY(want(0)); return Json(static_cast<int64_t>(f.varint));
    case Kind::kTime: CAPSTAN_TRY(want(2)); return Time(f.bytes);
    case Kind::kIntOrString: CAPSTAN_TRY(want(2)); return IntOrString(f.bytes);
    case Kind::kQuantity: {
      CAPSTAN_TRY(want(2));
      CAPSTAN_ASSIGN_OR_RETURN(std::string q, SingleString(f.bytes));
      return Json(q);
    }
    case Kind::kMessage: {
      CAPSTAN_TRY(want(2));
      const Message* sub = FindMessage(def.message);
      if (!sub) return Fail(Code::kInternal, "no description of {}", def.message);
      return DecodeMessage(*sub, f.bytes, depth + 1);
    }
    default: return Fail(Code::kInternal, "map field {} read as a value", def.json);
  }
}

bool IsZero(const Json& v) {
  return v.is_null() || (v.is_string() && v.get<std::string>().empty()) ||
         (v.is_boolean() && !v.get<bool>()) || (v.is_number() && v.get<double>() == 0);
}

Result<Json> DecodeMessage(const Message& msg, std::string_view bytes, int depth) {
  if (depth > kMaxDepth) return Fail(Code::kInvalidArgument, "message nesting too deep");
  Json out = Json::object();
  Reader r(bytes);
  while (!r.Done()) {
    CAPSTAN_ASSIGN_OR_RETURN(WireField f, r.Next());
    const Field* def = nullptr;
    for (const auto& candidate : msg.fields) {
      if (candidate.number == f.number) def = &candidate;
    }
    if (!def) {
      return Fail(Code::kInvalidArgument, "{} field {} is not supported in protobuf; send JSON",
                  msg.name, f.number);
    }
    if (def->kind == Kind::kStringMap || def->kind == Kind::kBytesMap ||
        def->kind == Kind::kQuantityMap) {
      if (f.type != 2) return Fail(Code::kInvalidArgument, "bad map field {}", def->json);
      CAPSTAN_ASSIGN_OR_RETURN(auto entry, MapEntry(f.bytes));
      Json& map = out[def->json];
      if (!map.is_object()) map = Json::object();
      if (def->kind == Kind::kStringMap) {
        map[entry.first] = std::string(entry.second);
      } else if (def->kind == Kind::kBytesMap) {
        map[entry.first] = pki::Base64Encode(entry.second);
      } else {
        CAPSTAN_ASSIGN_OR_RETURN(std::string q, SingleString(entry.second));
        map[entry.first] = q;
      }
      continue;
    }
    CAPSTAN_ASSIGN_OR_RETURN(Json value, FieldValue(*def, f, depth));
    if (def->repeated) {
      out[def->json].push_back(std::move(value));
    } else if (def->pointer || def->kind == Kind::kMessage || !IsZero(value)) {
      // Go writes every non-pointer scalar, zero or not; JSON's omitempty leaves zeros out.
      out[def->json] = std::move(value);
    }
  }
  return out;
}

}  // namespace

Result<Json> DecodeObject(std::string_view body) {
  static constexpr std::string_view kMagic("k8s\0", 4);
  if (body.substr(0, 4) != kMagic) {
    return Fail(Code::kInvalidArgument, "not a Kubernetes protobuf object (no k8s magic)");
  }
  Reader r(body.substr(4));
  std::string api_version, kind;
  std::string_view raw;
  while (!r.Done()) {
    CAPSTAN_ASSIGN_OR_RETURN(WireField f, r.Next());
    if (f.number == 1 && f.type == 2) {
      Reader tm(f.bytes);
      while (!tm.Done()) {
        CAPSTAN_ASSIGN_OR_RETURN(WireField t, tm.Next());
        if (t.number == 1) api_version = std::string(t.bytes);
        if (t.number == 2) kind = std::string(t.bytes);
      }
    } else if (f.number == 2 && f.type == 2) {
      raw = f.bytes;
    }
  }
  const Message* msg = FindKind(api_version, kind);
  if (!msg) {
    return Fail(Code::kInvalidArgument, "{} {} cannot be sent as protobuf here; send JSON",
                api_version, kind);
  }
  CAPSTAN_ASSIGN_OR_RETURN(Json obj, DecodeMessage(*msg, raw, 0));
  obj["apiVersion"] = api_version;
  obj["kind"] = kind;
  return obj;
}

}  // namespace capstan::api::k8s::protobuf
