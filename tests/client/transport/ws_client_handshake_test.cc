// The client's upgrade against the server's own handshake code: the request
// must pass net::websocket::HandshakeParser, and its 101 must pass the
// client's check; anything else is refused with a reason.
#include "client/transport/ws_client_handshake.h"

#include <gtest/gtest.h>

#include <string>

#include "net/websocket/accept_key.h"
#include "net/websocket/handshake.h"
#include "net/websocket/handshake_response.h"

namespace citadel::client::transport {
namespace {

namespace ws = net::websocket;
using Result = WsClientHandshake::Result;

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(WsClientHandshake, KeysAreValidAndFresh) {
  const std::string a = WsClientHandshake::make_key();
  EXPECT_TRUE(ws::is_valid_client_key(a)) << a;
  EXPECT_NE(a, WsClientHandshake::make_key());
}

TEST(WsClientHandshake, TheServerAcceptsTheRequestAndTheClientItsAnswer) {
  WsClientHandshake client("127.0.0.1:7777", "/");
  const ws::HandshakeConfig config;
  ws::HandshakeParser server(config);
  const auto fed = server.feed(client.request_bytes());
  ASSERT_EQ(fed.state, ws::HandshakeParser::State::kAccepted) << server.problem();
  EXPECT_EQ(fed.consumed_bytes, client.request().size());

  // The 101 and a first frame in the same read: the frame is left over.
  const std::string answer = server.response() + "\x82\x02hi";
  // Fed one byte at a time: the blank line may arrive in pieces.
  std::size_t used_total = 0;
  Result r = Result::kIncomplete;
  for (std::size_t i = 0; i < answer.size() && r == Result::kIncomplete; ++i) {
    std::size_t used = 0;
    r = client.feed(bytes_of(answer).subspan(i, 1), used);
    used_total += used;
  }
  ASSERT_EQ(r, Result::kAccepted) << client.error();
  EXPECT_EQ(used_total, server.response().size());

  // All at once: `used` stops at the blank line.
  WsClientHandshake again("h:1", "/", "dGhlIHNhbXBsZSBub25jZQ==");
  std::size_t used = 0;
  const std::string reply =
      ws::switching_protocols_response(ws::accept_key_for("dGhlIHNhbXBsZSBub25jZQ==")) + "rest";
  ASSERT_EQ(again.feed(bytes_of(reply), used), Result::kAccepted) << again.error();
  EXPECT_EQ(used, reply.size() - 4);
}

TEST(WsClientHandshake, TheRequestCarriesPathHostAndVersion) {
  WsClientHandshake client("[::1]:9", "/game", "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_TRUE(client.request().starts_with("GET /game HTTP/1.1\r\n")) << client.request();
  EXPECT_NE(client.request().find("\r\nHost: [::1]:9\r\n"), std::string::npos);
  EXPECT_NE(client.request().find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos);
  EXPECT_TRUE(client.request().ends_with("\r\n\r\n"));
  // The server refuses another path with 404, and the client says so.
  const ws::HandshakeConfig config;  // path "/"
  ws::HandshakeParser server(config);
  ASSERT_EQ(server.feed(client.request_bytes()).state, ws::HandshakeParser::State::kRejected);
  std::size_t used = 0;
  EXPECT_EQ(client.feed(bytes_of(server.response()), used), Result::kRefused);
  EXPECT_NE(client.error().find("HTTP/1.1 404"), std::string::npos) << client.error();
}

std::string refusal_of(const std::string& answer) {
  WsClientHandshake client("h:1", "/", "dGhlIHNhbXBsZSBub25jZQ==");
  std::size_t used = 0;
  EXPECT_EQ(client.feed(bytes_of(answer), used), Result::kRefused) << answer;
  return client.error();
}

TEST(WsClientHandshake, RefusesAnswersThatDoNotProveTheUpgrade) {
  const std::string good_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
  const std::string head = "HTTP/1.1 101 Switching Protocols\r\n";
  EXPECT_NE(refusal_of(head + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n")
                .find("does not match"),
            std::string::npos);
  EXPECT_NE(
      refusal_of(head + "Connection: Upgrade\r\nSec-WebSocket-Accept: " + good_accept + "\r\n\r\n")
          .find("Upgrade: websocket"),
      std::string::npos);
  EXPECT_NE(
      refusal_of(head + "Upgrade: websocket\r\nSec-WebSocket-Accept: " + good_accept + "\r\n\r\n")
          .find("Connection"),
      std::string::npos);
  EXPECT_NE(refusal_of(head + "Upgrade: websocket\r\nConnection: upgrade\r\n\r\n")
                .find("Sec-WebSocket-Accept"),
            std::string::npos);
  EXPECT_NE(
      refusal_of(head + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
                 good_accept + "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n")
          .find("extension"),
      std::string::npos);
  EXPECT_NE(refusal_of("HTTP/1.1 400 Bad Request\r\n\r\n").find("400"), std::string::npos);
  EXPECT_NE(refusal_of(std::string(9000, 'x')).find("8 KiB"), std::string::npos);
  // The right answer, for contrast.
  WsClientHandshake ok("h:1", "/", "dGhlIHNhbXBsZSBub25jZQ==");
  std::size_t used = 0;
  EXPECT_EQ(ok.feed(bytes_of(head +
                             "upgrade: WebSocket\r\nconnection: keep-alive, Upgrade\r\n"
                             "sec-websocket-accept: " +
                             good_accept + "\r\n\r\n"),
                    used),
            Result::kAccepted)
      << ok.error();
}

}  // namespace
}  // namespace citadel::client::transport
