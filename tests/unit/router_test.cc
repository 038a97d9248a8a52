// Router and the built-in handlers, driven through a recording Responder.
#include "server/router.h"
#include "fake_peer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "server/builtin_handlers.h"

namespace citadel::server {
namespace {

using protocol::ErrorCode;
using protocol::FrameView;
using Bytes = std::vector<uint8_t>;
namespace cmd = protocol::cmd;

// The peer interface the Router hands to handlers, taken from Handler itself so
// these tests follow the interface wherever it lives (server:: or net::).
template <class>
struct FirstArg;
template <class R, class A, class... Rest>
struct FirstArg<std::function<R(A, Rest...)>> {
  using type = std::remove_reference_t<A>;
};
using PeerInterface = FirstArg<Handler>::type;

// Records what handlers send, in order, as the peer would see it.
class RecordingResponder final : public citadel::testing::FakePeer {
 public:
  struct Sent {
    uint16_t cmd = 0;
    Bytes payload;     // for send()
    ErrorCode code{};  // for send_error()
    std::string text;  // for send_error()
  };

  void send(uint16_t c, std::span<const uint8_t> payload) override {
    sent.push_back({c, Bytes(payload.begin(), payload.end()), {}, {}});
  }
  void send_error(ErrorCode code, std::string_view text) override {
    sent.push_back({cmd::kError, {}, code, std::string(text)});
  }

  std::vector<Sent> sent;
};

FrameView view(uint16_t c, const Bytes& payload) {
  return FrameView{c, payload};
}

Bytes bytes_of(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 7 + 3);
  return b;
}

TEST(Router, DispatchesApplicationCmdToItsHandler) {
  Router router;
  int calls = 0;
  uint16_t seen_cmd = 0;
  Bytes seen_payload;
  uint64_t seen_id = 0;
  router.add(0x0100, [&](PeerInterface& peer, const FrameView& f) {
    ++calls;
    seen_cmd = f.cmd;
    seen_payload.assign(f.payload.begin(), f.payload.end());
    seen_id = peer.connection_id();
  });
  router.add(0x0101, [&](PeerInterface&, const FrameView&) { ADD_FAILURE() << "wrong handler"; });

  RecordingResponder peer;
  const Bytes payload{1, 2, 3};
  EXPECT_TRUE(router.dispatch(peer, view(0x0100, payload)));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen_cmd, 0x0100);
  EXPECT_EQ(seen_payload, payload);
  EXPECT_EQ(seen_id, 42u);
  EXPECT_TRUE(peer.sent.empty());
}

TEST(Router, DispatchesReservedCmdToItsHandler) {
  Router router;
  router.add(0x0010, [](PeerInterface& peer, const FrameView& f) { peer.send(0x0011, f.payload); });
  RecordingResponder peer;
  const Bytes payload{9};
  EXPECT_TRUE(router.dispatch(peer, view(0x0010, payload)));
  ASSERT_EQ(peer.sent.size(), 1u);
  EXPECT_EQ(peer.sent[0].cmd, 0x0011);
  EXPECT_EQ(peer.sent[0].payload, payload);
}

TEST(Router, HasReportsOnlyRegisteredCmds) {
  Router router;
  router.add(0x0005, [](PeerInterface&, const FrameView&) {});
  router.add(0xBEEF, [](PeerInterface&, const FrameView&) {});
  EXPECT_TRUE(router.has(0x0005));
  EXPECT_TRUE(router.has(0xBEEF));
  EXPECT_FALSE(router.has(0x0006));
  EXPECT_FALSE(router.has(0xBEF0));
  EXPECT_FALSE(router.has(cmd::kPing));
}

TEST(Router, UnknownApplicationCmdGetsError3NamingTheCmd) {
  Router router;
  RecordingResponder peer;
  EXPECT_FALSE(router.dispatch(peer, view(0x0100, {})));
  ASSERT_EQ(peer.sent.size(), 1u);
  EXPECT_EQ(peer.sent[0].cmd, cmd::kError);
  EXPECT_EQ(peer.sent[0].code, ErrorCode::kUnknownCommand);
  EXPECT_NE(peer.sent[0].text.find("0x0100"), std::string::npos) << peer.sent[0].text;
}

TEST(Router, UnknownReservedCmdGetsError3NamingTheCmd) {
  Router router;
  register_builtin_handlers(router);
  RecordingResponder peer;
  EXPECT_FALSE(router.dispatch(peer, view(0x0042, {})));
  EXPECT_FALSE(router.dispatch(peer, view(0xffff, {})));
  ASSERT_EQ(peer.sent.size(), 2u);
  EXPECT_EQ(peer.sent[0].code, ErrorCode::kUnknownCommand);
  EXPECT_NE(peer.sent[0].text.find("0x0042"), std::string::npos) << peer.sent[0].text;
  EXPECT_EQ(peer.sent[1].code, ErrorCode::kUnknownCommand);
  EXPECT_NE(peer.sent[1].text.find("0xffff"), std::string::npos) << peer.sent[1].text;
}

TEST(Router, ClientSendingErrorOrPongIsAnUnknownCommand) {
  // ERROR and PONG are server-to-client only, so a client sending them gets ERROR 3.
  Router router;
  register_builtin_handlers(router);
  RecordingResponder peer;
  EXPECT_FALSE(router.dispatch(peer, view(cmd::kError, {0, 1})));
  EXPECT_FALSE(router.dispatch(peer, view(cmd::kPong, {})));
  ASSERT_EQ(peer.sent.size(), 2u);
  EXPECT_EQ(peer.sent[0].code, ErrorCode::kUnknownCommand);
  EXPECT_EQ(peer.sent[1].code, ErrorCode::kUnknownCommand);
}

TEST(Router, DuplicateRegistrationThrows) {
  Router router;
  router.add(0x0100, [](PeerInterface&, const FrameView&) {});
  router.add(0x0007, [](PeerInterface&, const FrameView&) {});
  EXPECT_THROW(router.add(0x0100, [](PeerInterface&, const FrameView&) {}), std::invalid_argument);
  EXPECT_THROW(router.add(0x0007, [](PeerInterface&, const FrameView&) {}), std::invalid_argument);
}

TEST(Router, DuplicateRegistrationKeepsTheFirstHandler) {
  Router router;
  int first = 0;
  router.add(0x0200, [&](PeerInterface&, const FrameView&) { ++first; });
  EXPECT_THROW(router.add(0x0200, [](PeerInterface&, const FrameView&) { ADD_FAILURE(); }),
               std::invalid_argument);
  RecordingResponder peer;
  router.dispatch(peer, view(0x0200, {}));
  EXPECT_EQ(first, 1);
}

TEST(Router, RegisteringErrorOrPongThrows) {
  Router router;
  EXPECT_THROW(router.add(cmd::kError, [](PeerInterface&, const FrameView&) {}),
               std::invalid_argument);
  EXPECT_THROW(router.add(cmd::kPong, [](PeerInterface&, const FrameView&) {}),
               std::invalid_argument);
  EXPECT_FALSE(router.has(cmd::kError));
  EXPECT_FALSE(router.has(cmd::kPong));
}

TEST(Router, RegisteringEmptyHandlerThrows) {
  Router router;
  EXPECT_THROW(router.add(0x0100, Handler{}), std::invalid_argument);
  EXPECT_FALSE(router.has(0x0100));
}

TEST(BuiltinHandlers, RegisterPingAndEcho) {
  Router router;
  register_builtin_handlers(router);
  EXPECT_TRUE(router.has(cmd::kPing));
  EXPECT_TRUE(router.has(cmd::kEcho));
  EXPECT_THROW(register_builtin_handlers(router), std::invalid_argument);
}

TEST(BuiltinHandlers, PingGetsPongWithSamePayloadUpTo64Bytes) {
  Router router;
  register_builtin_handlers(router);
  for (std::size_t n : {0u, 1u, 63u, 64u}) {
    RecordingResponder peer;
    const Bytes payload = bytes_of(n);
    EXPECT_TRUE(router.dispatch(peer, view(cmd::kPing, payload)));
    ASSERT_EQ(peer.sent.size(), 1u) << n << " bytes";
    EXPECT_EQ(peer.sent[0].cmd, cmd::kPong) << n << " bytes";
    EXPECT_EQ(peer.sent[0].payload, payload) << n << " bytes";
  }
}

TEST(BuiltinHandlers, PingAbove64BytesGetsError8NotPong) {
  Router router;
  register_builtin_handlers(router);
  for (std::size_t n : {65u, 1000u}) {
    RecordingResponder peer;
    router.dispatch(peer, view(cmd::kPing, bytes_of(n)));
    ASSERT_EQ(peer.sent.size(), 1u) << n << " bytes";
    EXPECT_EQ(peer.sent[0].cmd, cmd::kError) << n << " bytes";
    EXPECT_EQ(peer.sent[0].code, ErrorCode::kBadPayload) << n << " bytes";
  }
}

TEST(BuiltinHandlers, EchoGetsEchoWithSamePayload) {
  Router router;
  register_builtin_handlers(router);
  for (std::size_t n : std::vector<std::size_t>{0, 1, 65, protocol::kDefaultMaxPayloadBytes}) {
    RecordingResponder peer;
    const Bytes payload = bytes_of(n);
    EXPECT_TRUE(router.dispatch(peer, view(cmd::kEcho, payload)));
    ASSERT_EQ(peer.sent.size(), 1u) << n << " bytes";
    EXPECT_EQ(peer.sent[0].cmd, cmd::kEcho) << n << " bytes";
    EXPECT_EQ(peer.sent[0].payload, payload) << n << " bytes";
  }
}

TEST(BuiltinHandlers, RepliesComeOutInRequestOrder) {
  Router router;
  register_builtin_handlers(router);
  RecordingResponder peer;
  for (uint8_t i = 0; i < 10; ++i) {
    router.dispatch(peer, view(i % 2 ? cmd::kEcho : cmd::kPing, Bytes{i}));
  }
  ASSERT_EQ(peer.sent.size(), 10u);
  for (uint8_t i = 0; i < 10; ++i) {
    EXPECT_EQ(peer.sent[i].cmd, i % 2 ? cmd::kEcho : cmd::kPong);
    EXPECT_EQ(peer.sent[i].payload, Bytes{i});
  }
}

}  // namespace
}  // namespace citadel::server
