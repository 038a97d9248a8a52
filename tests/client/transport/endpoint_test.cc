// Transport names and the address forms the tools take (HOST:PORT or a URL).
#include "client/transport/endpoint.h"

#include <gtest/gtest.h>

namespace citadel::client::transport {
namespace {

TEST(Endpoint, TransportNamesRoundTrip) {
  for (Transport t : {Transport::kTcp, Transport::kWs, Transport::kTls, Transport::kWss}) {
    EXPECT_EQ(parse_transport(to_string(t)), t);
  }
  EXPECT_FALSE(parse_transport("WS").has_value());
  EXPECT_FALSE(parse_transport("http").has_value());
  EXPECT_TRUE(uses_tls(Transport::kWss));
  EXPECT_FALSE(uses_tls(Transport::kWs));
  EXPECT_TRUE(uses_websocket(Transport::kWss));
  EXPECT_FALSE(uses_websocket(Transport::kTls));
}

TEST(Endpoint, HostPortTakesTheFallbackTransport) {
  const auto e = parse_endpoint("127.0.0.1:7777", Transport::kTls);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->transport, Transport::kTls);
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 7777);
  EXPECT_EQ(e->path, "/");
  const auto v6 = parse_endpoint("[::1]:9", Transport::kTcp);
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(host_port(*v6), "[::1]:9");
}

TEST(Endpoint, UrlsNameTheirTransportAndPath) {
  const auto ws = parse_endpoint("ws://localhost:7777/", Transport::kTcp);
  ASSERT_TRUE(ws.has_value());
  EXPECT_EQ(ws->transport, Transport::kWs);
  EXPECT_EQ(ws->host, "localhost");
  EXPECT_EQ(ws->path, "/");
  const auto wss = parse_endpoint("wss://127.0.0.1:443/game?x=1", Transport::kTcp);
  ASSERT_TRUE(wss.has_value());
  EXPECT_EQ(wss->transport, Transport::kWss);
  EXPECT_EQ(wss->path, "/game?x=1");
  EXPECT_EQ(to_url(*wss), "wss://127.0.0.1:443/game?x=1");
  const auto bare = parse_endpoint("ws://127.0.0.1:80", Transport::kTcp);
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->path, "/");
  const auto tls = parse_endpoint("tls://127.0.0.1:1", Transport::kWs);
  ASSERT_TRUE(tls.has_value());
  EXPECT_EQ(tls->transport, Transport::kTls);
  EXPECT_EQ(to_url(*tls), "tls://127.0.0.1:1");
  EXPECT_EQ(parse_endpoint("tcp://[::1]:5", Transport::kWs)->transport, Transport::kTcp);
}

TEST(Endpoint, RefusesWhatIsNotAnAddress) {
  std::string why;
  EXPECT_FALSE(parse_endpoint("http://127.0.0.1:80/", Transport::kTcp, &why).has_value());
  EXPECT_NE(why.find("unknown scheme"), std::string::npos) << why;
  EXPECT_FALSE(parse_endpoint("tls://127.0.0.1:80/x", Transport::kTcp, &why).has_value());
  EXPECT_NE(why.find("path"), std::string::npos) << why;
  for (const char* bad : {"", "nonsense", "127.0.0.1", ":80", "host:0", "host:65536", "host:8x",
                          "::1:80", "[::1]80", "ws://127.0.0.1/"}) {
    EXPECT_FALSE(parse_endpoint(bad, Transport::kTcp).has_value()) << bad;
  }
}

}  // namespace
}  // namespace citadel::client::transport
