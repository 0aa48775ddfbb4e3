#include "cri/streaming/websocket.h"

#include <gtest/gtest.h>

namespace capstan::cri::streaming {
namespace {

// A client frame: masked, as RFC 6455 requires of clients.
std::string ClientFrame(uint8_t first_byte, std::string_view payload) {
  std::string out(1, static_cast<char>(first_byte));
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  if (payload.size() < 126) {
    out.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(payload.size() >> 8));
    out.push_back(static_cast<char>(payload.size()));
  }
  out.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i) out.push_back(payload[i] ^ mask[i % 4]);
  return out;
}

TEST(WebSocket, AcceptKeyIsTheRfcExample) {
  EXPECT_EQ(WsAccept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocket, MaskedMessagesArriveWholeEvenInPieces) {
  WebSocketReader r;
  std::string big(70000, 'x');
  std::string bytes = ClientFrame(0x82, std::string("\x00", 1) + "hello") +
                      ClientFrame(0x02, big.substr(0, 300)) + ClientFrame(0x89, "ping") +
                      ClientFrame(0x80, big.substr(300, 200));
  for (char c : bytes) {
    r.Feed(std::string_view(&c, 1));
  }
  auto m = r.Next();
  ASSERT_TRUE(m && *m);
  EXPECT_EQ((*m)->opcode, WsOpcode::kBinary);
  EXPECT_EQ((*m)->data, std::string("\x00hello", 6));
  // A control frame may come between the fragments of a message.
  m = r.Next();
  ASSERT_TRUE(m && *m);
  EXPECT_EQ((*m)->opcode, WsOpcode::kPing);
  EXPECT_EQ((*m)->data, "ping");
  m = r.Next();
  ASSERT_TRUE(m && *m);
  EXPECT_EQ((*m)->data, big.substr(0, 500));
  m = r.Next();
  ASSERT_TRUE(m);
  EXPECT_FALSE(*m);
}

TEST(WebSocket, UnmaskedOversizedAndStrayFramesAreRefused) {
  WebSocketReader unmasked;
  unmasked.Feed(std::string("\x82\x01x", 3));
  EXPECT_FALSE(unmasked.Next());
  WebSocketReader small(10);
  small.Feed(ClientFrame(0x82, std::string(11, 'y')));
  EXPECT_FALSE(small.Next());
  WebSocketReader stray;
  stray.Feed(ClientFrame(0x80, "continuation of nothing"));
  EXPECT_FALSE(stray.Next());
}

TEST(WebSocket, ServerFramesAreUnmaskedWithTheRightLength) {
  EXPECT_EQ(WsFrame(WsOpcode::kBinary, "ab"), std::string("\x82\x02"
                                                          "ab",
                                                          4));
  std::string mid = WsFrame(WsOpcode::kText, std::string(300, 'z'));
  EXPECT_EQ(mid.substr(0, 4), std::string("\x81\x7e\x01\x2c", 4));
  std::string large = WsFrame(WsOpcode::kBinary, std::string(70000, 'z'));
  EXPECT_EQ(static_cast<uint8_t>(large[1]), 127);
  EXPECT_EQ(large.size(), 70000u + 10);
}

}  // namespace
}  // namespace capstan::cri::streaming
