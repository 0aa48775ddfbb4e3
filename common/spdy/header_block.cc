#include "common/spdy/header_block.h"

#include <initializer_list>

#include "common/spdy/wire.h"

namespace capstan::spdy {

using wire::GetU32;
using wire::PutU32;

std::string HeaderValue(const HeaderBlock& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (n == name) return v.substr(0, v.find('\0'));
  }
  return "";
}

const std::string& HeaderDictionary() {
  // The spec lists the dictionary as these words, each with its 32-bit length, followed by
  // one run of common values.
  static const std::string* dictionary = [] {
    auto* d = new std::string;
    for (const char* word : {"options",
                             "head",
                             "post",
                             "put",
                             "delete",
                             "trace",
                             "accept",
                             "accept-charset",
                             "accept-encoding",
                             "accept-language",
                             "accept-ranges",
                             "age",
                             "allow",
                             "authorization",
                             "cache-control",
                             "connection",
                             "content-base",
                             "content-encoding",
                             "content-language",
                             "content-length",
                             "content-location",
                             "content-md5",
                             "content-range",
                             "content-type",
                             "date",
                             "etag",
                             "expect",
                             "expires",
                             "from",
                             "host",
                             "if-match",
                             "if-modified-since",
                             "if-none-match",
                             "if-range",
                             "if-unmodified-since",
                             "last-modified",
                             "location",
                             "max-forwards",
                             "pragma",
                             "proxy-authenticate",
                             "proxy-authorization",
                             "range",
                             "referer",
                             "retry-after",
                             "server",
                             "te",
                             "trailer",
                             "transfer-encoding",
                             "upgrade",
                             "user-agent",
                             "vary",
                             "via",
                             "warning",
                             "www-authenticate",
                             "method",
                             "get",
                             "status",
                             "200 OK",
                             "version",
                             "HTTP/1.1",
                             "url",
                             "public",
                             "set-cookie",
                             "keep-alive",
                             "origin"}) {
      PutU32(*d, static_cast<uint32_t>(std::string_view(word).size()));
      *d += word;
    }
    *d +=
        "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504"
        "505203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad "
        "Request401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not "
        "Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec "
        "00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,"
        "image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,"
        "publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";
    return d;
  }();
  return *dictionary;
}

std::string SerializeHeaderBlock(const HeaderBlock& headers) {
  std::string out;
  PutU32(out, static_cast<uint32_t>(headers.size()));
  for (const auto& [name, value] : headers) {
    PutU32(out, static_cast<uint32_t>(name.size()));
    out += name;
    PutU32(out, static_cast<uint32_t>(value.size()));
    out += value;
  }
  return out;
}

Result<HeaderBlock> ParseHeaderBlock(std::string_view block) {
  size_t at = 0;
  auto read_string = [&](std::string& out) -> Status {
    if (block.size() - at < 4) return Fail(Code::kInvalidArgument, "header block truncated");
    uint32_t n = GetU32(block, at);
    at += 4;
    if (block.size() - at < n) return Fail(Code::kInvalidArgument, "header block truncated");
    out.assign(block.substr(at, n));
    at += n;
    return Ok();
  };
  if (block.size() < 4) return Fail(Code::kInvalidArgument, "header block truncated");
  uint32_t count = GetU32(block, 0);
  at = 4;
  // Each pair takes at least 8 bytes: a count beyond that is a lie, not a reason to allocate.
  if (count > (block.size() - at) / 8) {
    return Fail(Code::kInvalidArgument, "header block claims {} pairs", count);
  }
  HeaderBlock out;
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::string name, value;
    CAPSTAN_TRY(read_string(name));
    CAPSTAN_TRY(read_string(value));
    if (name.empty()) return Fail(Code::kInvalidArgument, "empty header name");
    for (char c : name) {
      if (c >= 'A' && c <= 'Z') {
        return Fail(Code::kInvalidArgument, "header name {:?} is not lower-case", name);
      }
    }
    out.emplace_back(std::move(name), std::move(value));
  }
  if (at != block.size()) return Fail(Code::kInvalidArgument, "trailing bytes after headers");
  return out;
}

HeaderCompressor::HeaderCompressor() {
  ok_ = deflateInit(&z_, Z_DEFAULT_COMPRESSION) == Z_OK;
  if (ok_) {
    const std::string& d = HeaderDictionary();
    ok_ = deflateSetDictionary(&z_, reinterpret_cast<const Bytef*>(d.data()),
                               static_cast<uInt>(d.size())) == Z_OK;
  }
}

HeaderCompressor::~HeaderCompressor() { deflateEnd(&z_); }

Result<std::string> HeaderCompressor::Compress(const HeaderBlock& headers) {
  if (!ok_) return Fail(Code::kInternal, "header compressor is not usable");
  std::string in = SerializeHeaderBlock(headers);
  std::string out;
  z_.next_in = reinterpret_cast<Bytef*>(in.data());
  z_.avail_in = static_cast<uInt>(in.size());
  char buf[4096];
  do {
    z_.next_out = reinterpret_cast<Bytef*>(buf);
    z_.avail_out = sizeof(buf);
    int rc = deflate(&z_, Z_SYNC_FLUSH);
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      ok_ = false;
      return Fail(Code::kInternal, "compressing headers: zlib error {}", rc);
    }
    out.append(buf, sizeof(buf) - z_.avail_out);
  } while (z_.avail_out == 0);
  return out;
}

HeaderDecompressor::HeaderDecompressor(size_t max_size) : max_size_(max_size) {
  ok_ = inflateInit(&z_) == Z_OK;
}

HeaderDecompressor::~HeaderDecompressor() { inflateEnd(&z_); }

Result<HeaderBlock> HeaderDecompressor::Decompress(std::string_view compressed) {
  if (!ok_) return Fail(Code::kInvalidArgument, "header decompressor failed before");
  ok_ = false;  // until this block inflated cleanly
  std::string out;
  z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z_.avail_in = static_cast<uInt>(compressed.size());
  char buf[4096];
  for (;;) {
    z_.next_out = reinterpret_cast<Bytef*>(buf);
    z_.avail_out = sizeof(buf);
    int rc = inflate(&z_, Z_SYNC_FLUSH);
    if (rc == Z_NEED_DICT) {
      const std::string& d = HeaderDictionary();
      if (inflateSetDictionary(&z_, reinterpret_cast<const Bytef*>(d.data()),
                               static_cast<uInt>(d.size())) != Z_OK) {
        return Fail(Code::kInvalidArgument, "header block wants another dictionary");
      }
      continue;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return Fail(Code::kInvalidArgument, "inflating headers: zlib error {}", rc);
    }
    out.append(buf, sizeof(buf) - z_.avail_out);
    if (out.size() > max_size_) {
      return Fail(Code::kInvalidArgument, "header block inflates beyond {} bytes", max_size_);
    }
    if (z_.avail_in == 0 && z_.avail_out != 0) break;  // all read and all given out
    if (rc == Z_BUF_ERROR) break;                      // no progress possible
  }
  if (z_.avail_in != 0) return Fail(Code::kInvalidArgument, "header block did not inflate");
  auto block = ParseHeaderBlock(out);
  if (block) ok_ = true;
  return block;
}

}  // namespace capstan::spdy
