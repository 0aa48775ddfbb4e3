#pragma once
// SPDY/3 name/value header blocks and their compression (draft-mbelshe-httpbis-spdy-00,
// 2.6.10): a block is a 32-bit pair count, then each name and value as a 32-bit length and
// its bytes (a value holding several values separates them with NUL). Blocks are zlib-
// compressed with the spec's dictionary, one zlib stream per direction of a connection that
// carries on across frames, each block ended with a sync flush.

#include <zlib.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

namespace capstan::spdy {

// Names are lower-case, as the spec requires; order is kept.
using HeaderBlock = std::vector<std::pair<std::string, std::string>>;

// The first value of `name` in `headers` ("" when absent).
std::string HeaderValue(const HeaderBlock& headers, std::string_view name);

// The spec's compression dictionary (1423 bytes).
const std::string& HeaderDictionary();

// One direction's compression context.
class HeaderCompressor {
 public:
  HeaderCompressor();
  ~HeaderCompressor();
  HeaderCompressor(const HeaderCompressor&) = delete;
  HeaderCompressor& operator=(const HeaderCompressor&) = delete;

  Result<std::string> Compress(const HeaderBlock& headers);

 private:
  z_stream z_{};
  bool ok_ = false;
};

class HeaderDecompressor {
 public:
  // A peer's block may not inflate beyond `max_size` bytes (a compression bomb).
  explicit HeaderDecompressor(size_t max_size = 256 << 10);
  ~HeaderDecompressor();
  HeaderDecompressor(const HeaderDecompressor&) = delete;
  HeaderDecompressor& operator=(const HeaderDecompressor&) = delete;

  // Any error leaves the context unusable: the connection must go (the spec's
  // PROTOCOL_ERROR for the session).
  Result<HeaderBlock> Decompress(std::string_view compressed);

 private:
  z_stream z_{};
  bool ok_ = false;
  size_t max_size_;
};

// The uncompressed form, and its parser (exposed for tests).
std::string SerializeHeaderBlock(const HeaderBlock& headers);
Result<HeaderBlock> ParseHeaderBlock(std::string_view block);

}  // namespace capstan::spdy
