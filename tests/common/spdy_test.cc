// SPDY/3.1 framing: frames as the spec lays them out byte by byte, header blocks through
// the shared zlib context (also as another zlib peer compresses them), frames fed in
// pieces, and hostile input refused without crashing or buffering without bound.
#include <zlib.h>

#include <gtest/gtest.h>

#include "common/spdy/frame.h"

namespace capstan::spdy {
namespace {

std::string Bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s += static_cast<char>(b);
  return s;
}

// Reads every frame `bytes` holds.
std::vector<Frame> ReadAll(FrameReader& r, std::string_view bytes) {
  r.Feed(bytes);
  std::vector<Frame> out;
  for (;;) {
    auto f = r.Next();
    EXPECT_TRUE(f) << f.error().message();
    if (!f || !*f) return out;
    out.push_back(std::move(**f));
  }
}

TEST(Spdy, TheDictionaryIsTheSpecs) {
  const std::string& d = HeaderDictionary();
  EXPECT_EQ(d.size(), 1423u);
  // zlib streams name their dictionary by this checksum: peers agree on it or fail.
  EXPECT_EQ(adler32(1, reinterpret_cast<const Bytef*>(d.data()), static_cast<uInt>(d.size())),
            0xe3c6a7c2u);
}

TEST(Spdy, ControlAndDataFramesAsTheSpecLaysThemOut) {
  FrameWriter w;
  EXPECT_EQ(*w.Encode(Ping{7}),
            Bytes({0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 7}));
  EXPECT_EQ(*w.Encode(RstStream{5, kCancel}),
            Bytes({0x80, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x08, 0, 0, 0, 5, 0, 0, 0, 5}));
  EXPECT_EQ(*w.Encode(WindowUpdate{3, 65536}),
            Bytes({0x80, 0x03, 0x00, 0x09, 0x00, 0x00, 0x00, 0x08, 0, 0, 0, 3, 0, 1, 0, 0}));
  EXPECT_EQ(*w.Encode(GoAway{9, 0}),
            Bytes({0x80, 0x03, 0x00, 0x07, 0x00, 0x00, 0x00, 0x08, 0, 0, 0, 9, 0, 0, 0, 0}));
  EXPECT_EQ(*w.Encode(DataFrame{1, kFlagFin, "hi"}),
            Bytes({0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x02, 'h', 'i'}));
  EXPECT_EQ(
      *w.Encode(Settings{0, {{0, 7, 65536}}}),
      Bytes({0x80, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x0c, 0, 0, 0, 1, 0, 0, 0, 7, 0, 1, 0, 0}));
  EXPECT_FALSE(w.Encode(DataFrame{0x80000000u, 0, ""}));  // stream ids are 31 bits
  EXPECT_FALSE(w.Encode(WindowUpdate{1, 0}));
}

TEST(Spdy, FramesRoundTripWithHeadersSharingTheCompressionContext) {
  FrameWriter w;
  FrameReader r;
  HeaderBlock headers = {
      {"streamtype", "stdout"}, {"port", "8080"}, {"multi", std::string("a\0b", 3)}};
  std::string bytes;
  bytes += *w.Encode(SynStream{1, 0, 2, kFlagUnidirectional, headers});
  std::string second = *w.Encode(SynStream{3, 0, 0, 0, headers});
  bytes += second;
  bytes += *w.Encode(SynReply{1, 0, {{"status", "200"}}});
  bytes += *w.Encode(Headers{3, kFlagFin, {{"x", "y"}}});
  bytes += *w.Encode(DataFrame{3, 0, std::string(70000, 'z')});
  bytes += *w.Encode(Settings{1, {{1, 4, 100}, {0, 7, 1 << 20}}});
  // The same headers again cost little: the zlib stream carries on across frames.
  EXPECT_LT(second.size(), 30u);

  auto frames = ReadAll(r, bytes);
  ASSERT_EQ(frames.size(), 6u);
  const auto& s1 = std::get<SynStream>(frames[0]);
  EXPECT_EQ(s1.stream_id, 1u);
  EXPECT_EQ(s1.priority, 2u);
  EXPECT_EQ(s1.flags, kFlagUnidirectional);
  EXPECT_EQ(s1.headers, headers);
  EXPECT_EQ(HeaderValue(s1.headers, "multi"), "a");
  EXPECT_EQ(std::get<SynStream>(frames[1]).headers, headers);
  EXPECT_EQ(HeaderValue(std::get<SynReply>(frames[2]).headers, "status"), "200");
  EXPECT_EQ(std::get<Headers>(frames[3]).flags, kFlagFin);
  EXPECT_EQ(std::get<DataFrame>(frames[4]).data.size(), 70000u);
  const auto& settings = std::get<Settings>(frames[5]);
  ASSERT_EQ(settings.entries.size(), 2u);
  EXPECT_EQ(settings.entries[1].id, 7u);
  EXPECT_EQ(settings.entries[1].value, 1u << 20);
}

TEST(Spdy, ABlockAnotherZlibPeerCompressedDecodes) {
  // As Go's spdystream writes them: best compression, the dictionary set up front, a sync
  // flush per block.
  z_stream z{};
  ASSERT_EQ(deflateInit(&z, Z_BEST_COMPRESSION), Z_OK);
  const std::string& d = HeaderDictionary();
  ASSERT_EQ(deflateSetDictionary(&z, reinterpret_cast<const Bytef*>(d.data()), d.size()), Z_OK);
  auto compress = [&](const HeaderBlock& h) {
    std::string in = SerializeHeaderBlock(h), out(4096, '\0');
    z.next_in = reinterpret_cast<Bytef*>(in.data());
    z.avail_in = in.size();
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = out.size();
    EXPECT_EQ(deflate(&z, Z_SYNC_FLUSH), Z_OK);
    out.resize(out.size() - z.avail_out);
    return out;
  };
  HeaderDecompressor dec;
  HeaderBlock first = {{"streamtype", "error"}};
  HeaderBlock second = {{"streamtype", "stdin"}, {"content-type", "text/plain"}};
  EXPECT_EQ(*dec.Decompress(compress(first)), first);
  EXPECT_EQ(*dec.Decompress(compress(second)), second);
  deflateEnd(&z);
}

TEST(Spdy, FramesFedAByteAtATime) {
  FrameWriter w;
  std::string bytes = *w.Encode(SynStream{5, 0, 0, 0, {{"streamtype", "stderr"}}}) +
                      *w.Encode(DataFrame{5, kFlagFin, "done"});
  FrameReader r;
  std::vector<Frame> frames;
  for (char c : bytes) {
    r.Feed(std::string_view(&c, 1));
    for (auto f = r.Next(); f && *f; f = r.Next()) frames.push_back(std::move(**f));
  }
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(std::get<DataFrame>(frames[1]).data, "done");
}

TEST(Spdy, HostileFramesAreRefused) {
  {
    FrameReader r;  // SPDY/2
    r.Feed(Bytes({0x80, 0x02, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 1}));
    EXPECT_FALSE(r.Next());
  }
  {
    FrameReader r(1024);  // over the limit: refused before it is buffered
    r.Feed(Bytes({0, 0, 0, 1, 0, 0x10, 0, 0}));
    EXPECT_FALSE(r.Next());
  }
  {
    FrameReader r;  // a PING of the wrong size
    r.Feed(Bytes({0x80, 0x03, 0x00, 0x06, 0, 0, 0, 2, 0, 0}));
    EXPECT_FALSE(r.Next());
  }
  {
    FrameReader r;  // a SYN_STREAM whose header block is not zlib
    r.Feed(Bytes(
        {0x80, 0x03, 0x00, 0x01, 0, 0, 0, 14, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 'j', 'u', 'n', 'k'}));
    EXPECT_FALSE(r.Next());
  }
  {
    FrameReader r;  // an unknown control type is skipped, the next frame read
    r.Feed(Bytes({0x80, 0x03, 0x00, 0x0a, 0, 0, 0, 1, 0}) +
           Bytes({0x80, 0x03, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 9}));
    auto f = r.Next();
    ASSERT_TRUE(f && *f);
    EXPECT_EQ(std::get<Ping>(**f).id, 9u);
  }
  // Header blocks that lie about their counts and lengths, or shout.
  EXPECT_FALSE(ParseHeaderBlock(Bytes({0x7f, 0xff, 0xff, 0xff})));
  EXPECT_FALSE(ParseHeaderBlock(Bytes({0, 0, 0, 1, 0, 0, 0, 9, 'a', 0, 0, 0, 0})));
  EXPECT_FALSE(ParseHeaderBlock(Bytes({0, 0, 0, 1, 0, 0, 0, 1, 'A', 0, 0, 0, 0})));
  EXPECT_TRUE(ParseHeaderBlock(Bytes({0, 0, 0, 1, 0, 0, 0, 1, 'a', 0, 0, 0, 0})));
  // A block that inflates past the limit (a compression bomb).
  HeaderCompressor c;
  HeaderDecompressor small(64 << 10);
  EXPECT_FALSE(small.Decompress(*c.Compress({{"big", std::string(1 << 20, 'x')}})));
}

}  // namespace
}  // namespace capstan::spdy
