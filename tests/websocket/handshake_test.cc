// HandshakeParser: the opening handshake of RFC 6455 section 4, as a browser
// sends it, split anywhere, and every way it can be refused.
#include "net/websocket/handshake.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/websocket/accept_key.h"
#include "net/websocket/origin_check.h"

namespace citadel::net::websocket {
namespace {

using State = HandshakeParser::State;

// What Chrome sends, give or take the cookie (RFC 6455 section 1.3's key).
std::string browser_request(std::string_view extra_headers = {}, std::string_view target = "/",
                            std::string_view method = "GET") {
  std::string r;
  r += std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
  r += "Host: game.example.com\r\n";
  r += "Connection: Upgrade\r\n";
  r += "Pragma: no-cache\r\n";
  r += "Upgrade: websocket\r\n";
  r += "Origin: https://game.example.com\r\n";
  r += "Sec-WebSocket-Version: 13\r\n";
  r += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  r += "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
  r += extra_headers;
  r += "\r\n";
  return r;
}

// A request from a template line list, so one header can be left out or changed.
std::string request_with(const std::vector<std::string>& header_lines,
                         std::string_view request_line = "GET / HTTP/1.1") {
  std::string r = std::string(request_line) + "\r\n";
  for (const std::string& line : header_lines) r += line + "\r\n";
  return r + "\r\n";
}

const std::vector<std::string> kMinimalHeaders = {
    "Host: localhost:7777",
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Version: 13",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
};

std::vector<std::string> without(std::string_view prefix) {
  std::vector<std::string> out;
  for (const std::string& h : kMinimalHeaders) {
    if (h.rfind(prefix, 0) != 0) out.push_back(h);
  }
  return out;
}

std::vector<std::string> plus(std::vector<std::string> headers, const std::string& line) {
  headers.push_back(line);
  return headers;
}

std::vector<std::string> replacing(std::string_view prefix, const std::string& line) {
  std::vector<std::string> out = without(prefix);
  out.push_back(line);
  return out;
}

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct Outcome {
  State state;
  int status;
  std::string response;
  std::size_t request_bytes;
};

Outcome run(const HandshakeConfig& config, std::string_view input, std::size_t chunk = 0) {
  HandshakeParser parser(config);
  std::size_t at = 0;
  while (at < input.size() && parser.state() == State::kReading) {
    const std::size_t n = chunk == 0 ? input.size() - at : std::min(chunk, input.size() - at);
    const auto result = parser.feed(as_bytes(input.substr(at, n)));
    EXPECT_LE(result.consumed_bytes, n);
    at += result.consumed_bytes;
    if (result.consumed_bytes < n) break;
  }
  return {parser.state(), parser.status_code(), parser.response(), parser.request_bytes()};
}

int status_of(std::string_view input, const HandshakeConfig& config = {}) {
  return run(config, input).status;
}

const HandshakeConfig kDefaultConfig;

const std::string kAcceptResponse =
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    "\r\n";

// --- the accept key ---------------------------------------------------------------

TEST(AcceptKey, Rfc6455Example) {
  // RFC 6455 section 1.3.
  EXPECT_EQ(accept_key_for("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(AcceptKey, ClientKeyMustBeBase64OfSixteenBytes) {
  EXPECT_TRUE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ=="));
  EXPECT_TRUE(is_valid_client_key("AAAAAAAAAAAAAAAAAAAAAA=="));
  EXPECT_TRUE(is_valid_client_key("+/+/+/+/+/+/+/+/+/+/+w=="));
  EXPECT_FALSE(is_valid_client_key(""));
  EXPECT_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ"));  // unpadded
  EXPECT_FALSE(
      is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ=="
                          "AAAA"));                               // 19 bytes
  EXPECT_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZSE="));  // 17 bytes
  EXPECT_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25j"));      // 15 bytes
  EXPECT_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25j*Q=="));  // not base64
  EXPECT_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZ==="));
}

// --- accepted -------------------------------------------------------------------

TEST(Handshake, BrowserRequestIsAcceptedWithTheExactResponse) {
  const std::string request = browser_request();
  HandshakeParser parser(kDefaultConfig);
  const auto result = parser.feed(as_bytes(request));
  EXPECT_EQ(result.state, State::kAccepted);
  EXPECT_EQ(result.consumed_bytes, request.size());
  EXPECT_EQ(parser.status_code(), 101);
  EXPECT_EQ(parser.response(), kAcceptResponse);
  EXPECT_TRUE(parser.problem().empty());
}

TEST(Handshake, PermessageDeflateOfferIsDeclinedBySilence) {
  const auto outcome = run({}, browser_request("Sec-WebSocket-Protocol: chat\r\n"));
  EXPECT_EQ(outcome.status, 101);
  EXPECT_EQ(outcome.response.find("Sec-WebSocket-Extensions"), std::string::npos);
  EXPECT_EQ(outcome.response.find("Sec-WebSocket-Protocol"), std::string::npos);
}

TEST(Handshake, SplitAtEveryByteGivesTheSameAnswer) {
  const std::string request = browser_request();
  for (std::size_t at = 1; at < request.size(); ++at) {
    HandshakeParser parser(kDefaultConfig);
    const auto first = parser.feed(as_bytes(request).first(at));
    ASSERT_EQ(first.state, State::kReading) << "split at " << at;
    ASSERT_EQ(first.consumed_bytes, at);
    const auto second = parser.feed(as_bytes(request).subspan(at));
    ASSERT_EQ(second.state, State::kAccepted) << "split at " << at;
    ASSERT_EQ(second.consumed_bytes, request.size() - at);
    ASSERT_EQ(parser.response(), kAcceptResponse);
  }
}

TEST(Handshake, ByteByByte) {
  const auto outcome = run({}, browser_request(), 1);
  EXPECT_EQ(outcome.state, State::kAccepted);
  EXPECT_EQ(outcome.response, kAcceptResponse);
}

TEST(Handshake, BytesAfterTheRequestAreLeftForTheFrameParser) {
  const std::string request = browser_request();
  const std::string frames = "\x82\x85\x01\x02\x03\x04payload";
  const std::string input = request + frames;
  for (std::size_t at : {std::size_t{0}, request.size() - 1, request.size(), request.size() + 3}) {
    HandshakeParser parser(kDefaultConfig);
    std::size_t consumed = 0;
    if (at > 0) consumed += parser.feed(as_bytes(input).first(at)).consumed_bytes;
    const auto rest = parser.feed(as_bytes(input).subspan(at));
    consumed += rest.consumed_bytes;
    EXPECT_EQ(rest.state, State::kAccepted) << "first feed " << at;
    EXPECT_EQ(consumed, request.size()) << "first feed " << at;
    EXPECT_EQ(parser.request_bytes(), request.size());
  }
}

TEST(Handshake, FeedingAfterTheAnswerConsumesNothing) {
  HandshakeParser parser(kDefaultConfig);
  parser.feed(as_bytes(browser_request()));
  const auto again = parser.feed(as_bytes("GET / HTTP/1.1\r\n"));
  EXPECT_EQ(again.state, State::kAccepted);
  EXPECT_EQ(again.consumed_bytes, 0u);
}

TEST(Handshake, QueryStringIsIgnored) {
  EXPECT_EQ(status_of(browser_request({}, "/?token=abc&x=1")), 101);
  EXPECT_EQ(status_of(browser_request({}, "/play?v=2"), {.path = "/play"}), 101);
}

TEST(Handshake, HeaderNamesAndTokensIgnoreCase) {
  EXPECT_EQ(status_of(request_with({"hOsT: x", "UPGRADE: WebSocket",
                                    "connection: keep-alive, UPGRADE", "sec-websocket-version: 13",
                                    "SEC-WEBSOCKET-KEY: dGhlIHNhbXBsZSBub25jZQ=="})),
            101);
}

TEST(Handshake, ListHeadersMayRepeatAndCarryOtherTokens) {
  EXPECT_EQ(status_of(request_with(replacing("Connection", "Connection: keep-alive"))), 400);
  EXPECT_EQ(status_of(request_with(
                plus(replacing("Connection", "Connection: keep-alive"), "Connection: Upgrade"))),
            101);
  EXPECT_EQ(status_of(request_with(replacing("Upgrade", "Upgrade: foo/2, websocket"))), 101);
}

TEST(Handshake, WhitespaceAroundValuesIsTrimmed) {
  EXPECT_EQ(status_of(request_with(replacing("Sec-WebSocket-Key",
                                             "Sec-WebSocket-Key: \t dGhlIHNhbXBsZSBub25jZQ== \t"))),
            101);
}

// --- refused --------------------------------------------------------------------

// Every error answer: status line, text body, Connection: close.
void expect_error_response(const std::string& response, int status) {
  EXPECT_EQ(response.rfind("HTTP/1.1 " + std::to_string(status) + " ", 0), 0u) << response;
  EXPECT_NE(response.find("\r\nConnection: close\r\n"), std::string::npos) << response;
  EXPECT_NE(response.find("\r\nContent-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
  const std::size_t body_at = response.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos);
  const std::string body = response.substr(body_at + 4);
  EXPECT_FALSE(body.empty());
  EXPECT_NE(response.find("\r\nContent-Length: " + std::to_string(body.size()) + "\r\n"),
            std::string::npos)
      << response;
}

struct Refusal {
  const char* name;
  std::string request;
  int status;
};

class Refused : public ::testing::TestWithParam<Refusal> {};

TEST_P(Refused, WithItsStatus) {
  const Refusal& r = GetParam();
  const Outcome whole = run({}, r.request);
  EXPECT_EQ(whole.state, State::kRejected);
  EXPECT_EQ(whole.status, r.status);
  expect_error_response(whole.response, r.status);
  const Outcome dribbled = run({}, r.request, 1);
  EXPECT_EQ(dribbled.status, r.status) << "byte by byte";
  EXPECT_EQ(dribbled.response, whole.response) << "byte by byte";
}

INSTANTIATE_TEST_SUITE_P(
    Handshake, Refused,
    ::testing::Values(
        Refusal{"post", request_with(kMinimalHeaders, "POST / HTTP/1.1"), 405},
        Refusal{"lowercase_get", request_with(kMinimalHeaders, "get / HTTP/1.1"), 405},
        Refusal{"other_path", request_with(kMinimalHeaders, "GET /admin HTTP/1.1"), 404},
        Refusal{"path_prefix", request_with(kMinimalHeaders, "GET /x HTTP/1.1"), 404},
        Refusal{"http_1_0", request_with(kMinimalHeaders, "GET / HTTP/1.0"), 400},
        Refusal{"absolute_form", request_with(kMinimalHeaders, "GET http://h/ HTTP/1.1"), 400},
        Refusal{"asterisk", request_with(kMinimalHeaders, "OPTIONS * HTTP/1.1"), 400},
        Refusal{"no_version", request_with(kMinimalHeaders, "GET /"), 400},
        Refusal{"double_space", request_with(kMinimalHeaders, "GET  / HTTP/1.1"), 400},
        Refusal{"garbage_version", request_with(kMinimalHeaders, "GET / HTTQ/1.1"), 400},
        Refusal{"tls_hello", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n", 12),
                400},
        Refusal{"missing_host", request_with(without("Host")), 400},
        Refusal{"two_hosts", request_with(plus(kMinimalHeaders, "Host: other")), 400},
        Refusal{"missing_upgrade", request_with(without("Upgrade")), 400},
        Refusal{"upgrade_h2c", request_with(replacing("Upgrade", "Upgrade: h2c")), 400},
        Refusal{"missing_connection", request_with(without("Connection")), 400},
        Refusal{"connection_close", request_with(replacing("Connection", "Connection: close")),
                400},
        Refusal{"missing_version", request_with(without("Sec-WebSocket-Version")), 400},
        Refusal{"two_versions", request_with(plus(kMinimalHeaders, "Sec-WebSocket-Version: 13")),
                400},
        Refusal{"version_8",
                request_with(replacing("Sec-WebSocket-Version", "Sec-WebSocket-Version: 8")), 426},
        Refusal{"version_14",
                request_with(replacing("Sec-WebSocket-Version", "Sec-WebSocket-Version: 14")), 426},
        Refusal{"missing_key", request_with(without("Sec-WebSocket-Key")), 400},
        Refusal{
            "key_15_bytes",
            request_with(replacing("Sec-WebSocket-Key", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j")),
            400},
        Refusal{"two_keys",
                request_with(plus(kMinimalHeaders, "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==")),
                400},
        Refusal{"two_origins",
                request_with(plus(plus(kMinimalHeaders, "Origin: https://a.com"),
                                  "Origin: https://b.com")),
                400},
        Refusal{"body_length", request_with(plus(kMinimalHeaders, "Content-Length: 5")), 400},
        Refusal{"chunked_body", request_with(plus(kMinimalHeaders, "Transfer-Encoding: chunked")),
                400},
        Refusal{"bare_lf", "GET / HTTP/1.1\nHost: x\n\n", 400},
        Refusal{"bare_lf_in_header", "GET / HTTP/1.1\r\nHost: x\n\r\n", 400},
        Refusal{"cr_inside_value", request_with(plus(kMinimalHeaders, "X-A: b\rc")), 400},
        Refusal{"line_folding", request_with(plus(kMinimalHeaders, " folded")), 400},
        Refusal{"space_before_colon", request_with(plus(kMinimalHeaders, "X-A : b")), 400},
        Refusal{"no_colon", request_with(plus(kMinimalHeaders, "X-A b")), 400},
        Refusal{"empty_name", request_with(plus(kMinimalHeaders, ": b")), 400},
        Refusal{"nul_in_value", request_with(plus(kMinimalHeaders, std::string("X-A: \0", 6))),
                400},
        Refusal{"too_large",
                request_with(plus(kMinimalHeaders, "Cookie: " + std::string(9000, 'c'))), 431}),
    [](const ::testing::TestParamInfo<Refusal>& info) { return std::string(info.param.name); });

TEST(Handshake, RefusalOrderFirstFailureDecides) {
  // A wrong method and a wrong path: the method is judged first.
  EXPECT_EQ(status_of(request_with(kMinimalHeaders, "PUT /nope HTTP/1.1")), 405);
  // A wrong version and no key: the version (426) comes before the key.
  std::vector<std::string> v7_no_key = without("Sec-WebSocket-Key");
  for (std::string& h : v7_no_key) {
    if (h.rfind("Sec-WebSocket-Version", 0) == 0) h = "Sec-WebSocket-Version: 7";
  }
  EXPECT_EQ(status_of(request_with(v7_no_key)), 426);
}

TEST(Handshake, SemanticRefusalWaitsForTheWholeRequest) {
  // A 405 is known after the request line, but sent only after the blank
  // line: the client has finished writing by then.
  const std::string request = request_with(kMinimalHeaders, "POST / HTTP/1.1");
  HandshakeParser parser(kDefaultConfig);
  const auto partial = parser.feed(as_bytes(request).first(request.size() - 1));
  EXPECT_EQ(partial.state, State::kReading);
  const auto rest = parser.feed(as_bytes(request).subspan(request.size() - 1));
  EXPECT_EQ(rest.state, State::kRejected);
  EXPECT_EQ(parser.status_code(), 405);
  EXPECT_NE(parser.response().find("\r\nAllow: GET\r\n"), std::string::npos);
}

TEST(Handshake, SyntaxErrorIsAnsweredAtOnce) {
  HandshakeParser parser(kDefaultConfig);
  const auto result = parser.feed(as_bytes("GET / HTTP/1.1\r\nbad header line\r\nHost: x"));
  EXPECT_EQ(result.state, State::kRejected);
  EXPECT_EQ(parser.status_code(), 400);
  EXPECT_EQ(result.consumed_bytes, std::string("GET / HTTP/1.1\r\nbad header line\r\n").size());
}

TEST(Handshake, Version426NamesTheVersionWeSpeak) {
  const auto outcome =
      run({}, request_with(replacing("Sec-WebSocket-Version", "Sec-WebSocket-Version: 8")));
  EXPECT_NE(outcome.response.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos);
  EXPECT_NE(outcome.response.find("\r\nUpgrade: websocket\r\n"), std::string::npos);
}

// --- limits ---------------------------------------------------------------------

TEST(Handshake, RequestOfExactlyTheLimitIsAccepted) {
  const std::string base = request_with(plus(kMinimalHeaders, "X-Pad: "));
  const HandshakeConfig config{.max_request_bytes = 1024};
  const std::size_t pad = config.max_request_bytes - base.size();
  const std::string at_limit =
      request_with(plus(kMinimalHeaders, "X-Pad: " + std::string(pad, 'p')));
  ASSERT_EQ(at_limit.size(), config.max_request_bytes);
  EXPECT_EQ(run(config, at_limit).status, 101);
  EXPECT_EQ(run(config, at_limit, 1).status, 101);
  const std::string over =
      request_with(plus(kMinimalHeaders, "X-Pad: " + std::string(pad + 1, 'p')));
  EXPECT_EQ(run(config, over).status, 431);
  EXPECT_EQ(run(config, over, 1).status, 431);
}

TEST(Handshake, UnfinishedRequestAtTheLimitIsRefusedWithoutWaiting) {
  const HandshakeConfig config{.max_request_bytes = 256};
  HandshakeParser parser(config);
  const std::string endless = "GET / HTTP/1.1\r\nX-Long: " + std::string(1000, 'x');
  const auto result = parser.feed(as_bytes(endless));
  EXPECT_EQ(result.state, State::kRejected);
  EXPECT_EQ(parser.status_code(), 431);
  EXPECT_EQ(result.consumed_bytes, 256u);
  EXPECT_EQ(parser.request_bytes(), 256u);
}

TEST(Handshake, TooManyHeaderFields) {
  const HandshakeConfig config{.max_header_count = 8};
  std::vector<std::string> headers = kMinimalHeaders;  // 5
  headers.push_back("X-1: a");
  headers.push_back("X-2: a");
  headers.push_back("X-3: a");
  EXPECT_EQ(run(config, request_with(headers)).status, 101);
  headers.push_back("X-4: a");
  EXPECT_EQ(run(config, request_with(headers)).status, 431);
}

// --- Origin ---------------------------------------------------------------------

TEST(Origin, EmptyAllowListAllowsAnyOriginAndNone) {
  EXPECT_EQ(status_of(request_with(plus(kMinimalHeaders, "Origin: https://evil.example"))), 101);
  EXPECT_EQ(status_of(request_with(kMinimalHeaders)), 101);
}

TEST(Origin, AllowListMatchesSchemeHostAndPort) {
  const HandshakeConfig config{
      .allowed_origins = {"https://game.example.com", "http://localhost:8080"}};
  auto with_origin = [&](const std::string& origin) {
    return run(config, request_with(plus(kMinimalHeaders, "Origin: " + origin))).status;
  };
  EXPECT_EQ(with_origin("https://game.example.com"), 101);
  EXPECT_EQ(with_origin("https://GAME.Example.COM"), 101);
  EXPECT_EQ(with_origin("HTTPS://game.example.com"), 101);
  EXPECT_EQ(with_origin("http://localhost:8080"), 101);
  EXPECT_EQ(with_origin("http://game.example.com"), 403) << "scheme differs";
  EXPECT_EQ(with_origin("https://game.example.com:8443"), 403) << "port differs";
  EXPECT_EQ(with_origin("http://localhost:8081"), 403);
  EXPECT_EQ(with_origin("http://localhost"), 403);
  EXPECT_EQ(with_origin("https://game.example.com.evil.example"), 403);
  EXPECT_EQ(with_origin("https://evil.example/https://game.example.com"), 403);
  EXPECT_EQ(with_origin("null"), 403);
  const Outcome missing = run(config, request_with(kMinimalHeaders));
  EXPECT_EQ(missing.status, 403) << "a configured list needs an Origin";
  expect_error_response(missing.response, 403);
}

TEST(Origin, EntriesAreValidated) {
  EXPECT_TRUE(is_valid_origin_entry("https://example.com"));
  EXPECT_TRUE(is_valid_origin_entry("http://localhost:8080"));
  EXPECT_TRUE(is_valid_origin_entry("http://127.0.0.1:65535"));
  EXPECT_TRUE(is_valid_origin_entry("http://[::1]:3000"));
  EXPECT_TRUE(is_valid_origin_entry("app+x://h"));
  EXPECT_FALSE(is_valid_origin_entry("null"));
  EXPECT_FALSE(is_valid_origin_entry("example.com"));
  EXPECT_FALSE(is_valid_origin_entry("https://"));
  EXPECT_FALSE(is_valid_origin_entry("https://example.com/"));
  EXPECT_FALSE(is_valid_origin_entry("https://example.com/path"));
  EXPECT_FALSE(is_valid_origin_entry("https://user@example.com"));
  EXPECT_FALSE(is_valid_origin_entry("https://example.com:"));
  EXPECT_FALSE(is_valid_origin_entry("https://example.com:65536"));
  EXPECT_FALSE(is_valid_origin_entry("https://example.com:80a"));
  EXPECT_FALSE(is_valid_origin_entry("https://[::1"));
  EXPECT_FALSE(is_valid_origin_entry("1http://example.com"));
  EXPECT_FALSE(is_valid_origin_entry("https://exa mple.com"));
}

// --- config ---------------------------------------------------------------------

TEST(HandshakeConfigCheck, DefaultsAreUsable) {
  EXPECT_EQ(handshake_config_problem({}), std::nullopt);
  EXPECT_EQ(handshake_config_problem({.path = "/ws", .allowed_origins = {"https://a.com"}}),
            std::nullopt);
}

TEST(HandshakeConfigCheck, ProblemsAreNamed) {
  EXPECT_NE(handshake_config_problem({.path = "ws"}), std::nullopt);
  EXPECT_NE(handshake_config_problem({.path = "/ws?x"}), std::nullopt);
  EXPECT_NE(handshake_config_problem({.path = "/a b"}), std::nullopt);
  EXPECT_NE(handshake_config_problem({.allowed_origins = {"https://a.com/"}}), std::nullopt);
  EXPECT_NE(handshake_config_problem({.max_request_bytes = 10}), std::nullopt);
  EXPECT_NE(handshake_config_problem({.max_header_count = 0}), std::nullopt);
}

}  // namespace
}  // namespace citadel::net::websocket
