// Matching replies to requests: FIFO by expected reply cmd, ERROR answering
// the oldest, pushes, payload keys (which take keyed requests out of the
// FIFO), and timed-out slots that keep the FIFO in step.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client/pending_requests.h"
#include "protocol/wire.h"

namespace citadel::client {
namespace {

namespace proto = citadel::protocol;

struct Built {
  uint16_t cmd;
  std::vector<uint8_t> payload;
  proto::FrameView view() const { return {cmd, payload}; }
};

Built frame(uint16_t cmd, std::string_view text = {}) {
  return {cmd, std::vector<uint8_t>(text.begin(), text.end())};
}

Built error_frame(proto::ErrorCode code, std::string_view text) {
  std::vector<uint8_t> payload(2);
  proto::store_be16(payload.data(), static_cast<uint16_t>(code));
  payload.insert(payload.end(), text.begin(), text.end());
  return {proto::cmd::kError, payload};
}

// An application reply whose first 4 payload bytes are its request id (big-endian).
constexpr uint16_t kKeyedReply = 0x0104;
Built keyed_reply(uint32_t key) {
  std::vector<uint8_t> payload(4);
  proto::store_be32(payload.data(), key);
  return {kKeyedReply, payload};
}

PendingRequest request(RequestId id, uint16_t cmd, std::optional<uint16_t> reply_cmd,
                       SteadyClock::time_point deadline = SteadyClock::time_point::max()) {
  PendingRequest r;
  r.id = id;
  r.cmd = cmd;
  r.reply_cmd = reply_cmd;
  r.deadline = deadline;
  r.callback = [](const Reply&) {};
  return r;
}

TEST(PendingRequests, RepliesMatchTheOldestRequestInOrder) {
  PendingRequests p;
  p.add(request(1, proto::cmd::kPing, proto::cmd::kPong));
  p.add(request(2, proto::cmd::kEcho, proto::cmd::kEcho));
  p.add(request(3, proto::cmd::kPing, proto::cmd::kPong));

  const auto a = p.take_reply(frame(proto::cmd::kPong, "a").view());
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->id, 1u);
  const auto b = p.take_reply(frame(proto::cmd::kEcho, "b").view());
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->id, 2u);
  const auto c = p.take_reply(frame(proto::cmd::kPong, "c").view());
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->id, 3u);
  EXPECT_TRUE(p.empty());
}

TEST(PendingRequests, AFrameTheOldestDoesNotExpectIsAPush) {
  PendingRequests p;
  p.add(request(1, proto::cmd::kPing, proto::cmd::kPong));
  p.add(request(2, proto::cmd::kEcho, proto::cmd::kEcho));
  // ECHO is what request 2 expects, but request 1 is older: by the FIFO rule
  // this ECHO cannot be its reply, so it is a push and nothing is consumed.
  EXPECT_FALSE(p.take_reply(frame(proto::cmd::kEcho).view()).has_value());
  EXPECT_FALSE(p.take_reply(frame(0x0210, "chat").view()).has_value());
  EXPECT_EQ(p.size(), 2u);
  EXPECT_EQ(p.take_reply(frame(proto::cmd::kPong).view())->id, 1u);
}

TEST(PendingRequests, NothingPendingMeansEveryFrameIsAPush) {
  PendingRequests p;
  EXPECT_FALSE(p.take_reply(frame(proto::cmd::kPong).view()).has_value());
  EXPECT_FALSE(p.take_reply(error_frame(proto::ErrorCode::kUnknownCommand, "x").view()));
}

TEST(PendingRequests, ARequestScopedErrorAnswersTheOldestWhateverItExpected) {
  PendingRequests p;
  p.add(request(1, 0x0100, 0x0104));
  p.add(request(2, proto::cmd::kPing, proto::cmd::kPong));
  const auto r = p.take_reply(error_frame(proto::ErrorCode::kUnknownCommand, "unknown").view());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->id, 1u);
  EXPECT_EQ(p.take_reply(error_frame(proto::ErrorCode::kBadPayload, "bad").view())->id, 2u);
}

TEST(PendingRequests, AnErrorThatEndsTheConnectionAnswersNoRequest) {
  PendingRequests p;
  p.add(request(1, proto::cmd::kPing, proto::cmd::kPong));
  for (auto code : {proto::ErrorCode::kShuttingDown, proto::ErrorCode::kIdleTimeout,
                    proto::ErrorCode::kServerFull, proto::ErrorCode::kLoggedInElsewhere}) {
    EXPECT_FALSE(p.take_reply(error_frame(code, "bye").view()).has_value())
        << proto::to_string(code);
  }
  EXPECT_EQ(p.size(), 1u);
}

TEST(PendingRequests, AMalformedErrorStillAnswersTheOldest) {
  PendingRequests p;
  p.add(request(1, proto::cmd::kPing, proto::cmd::kPong));
  EXPECT_EQ(p.take_reply(frame(proto::cmd::kError, "x").view())->id, 1u);
}

TEST(PendingRequests, AnyReplyRequestTakesTheNextFrame) {
  PendingRequests p;
  p.add(request(1, 0x0777, std::nullopt));
  EXPECT_EQ(p.take_reply(frame(0x0778, "whatever").view())->id, 1u);
}

TEST(PendingRequests, KeyReaderMatchesByPayloadIdInAnyOrder) {
  PendingRequests p;
  p.set_key_reader(kKeyedReply, [](std::span<const uint8_t> payload) -> std::optional<uint64_t> {
    if (payload.size() < 4) return std::nullopt;
    return proto::load_be32(payload.data());
  });
  PendingRequest a = request(1, 0x0100, kKeyedReply);
  a.reply_key = 10;
  PendingRequest b = request(2, 0x0101, kKeyedReply);
  b.reply_key = 11;
  p.add(std::move(a));
  p.add(std::move(b));

  EXPECT_EQ(p.take_reply(keyed_reply(11).view())->id, 2u);         // out of order
  EXPECT_FALSE(p.take_reply(keyed_reply(99).view()).has_value());  // no such key: a push
  EXPECT_EQ(p.take_reply(keyed_reply(10).view())->id, 1u);
  EXPECT_TRUE(p.empty());
}

TEST(PendingRequests, KeyedRequestsDoNotHoldUpPositionalOnes) {
  PendingRequests p;
  p.set_key_reader(kKeyedReply, [](std::span<const uint8_t> payload) -> std::optional<uint64_t> {
    if (payload.size() < 4) return std::nullopt;
    return proto::load_be32(payload.data());
  });
  // A login (answered when the password hash is checked) then a PING: the
  // server answers the PING first.
  PendingRequest login = request(1, 0x0102, kKeyedReply);
  login.reply_key = 10;
  p.add(std::move(login));
  p.add(request(2, proto::cmd::kPing, proto::cmd::kPong));
  EXPECT_EQ(p.take_reply(frame(proto::cmd::kPong).view())->id, 2u);
  EXPECT_EQ(p.take_reply(keyed_reply(10).view())->id, 1u);
  EXPECT_TRUE(p.empty());
}

TEST(PendingRequests, AReplyWithAKeyNobodySentAnswersThePositionalRequest) {
  PendingRequests p;
  p.set_key_reader(kKeyedReply, [](std::span<const uint8_t> payload) -> std::optional<uint64_t> {
    if (payload.size() < 4) return std::nullopt;
    return proto::load_be32(payload.data());
  });
  // e.g. citadel-cli's raw `send`, whose payload id the user typed.
  p.add(request(1, 0x0100, kKeyedReply));
  EXPECT_EQ(p.take_reply(keyed_reply(77).view())->id, 1u);
}

TEST(PendingRequests, KeyReaderWithoutAKeyFallsBackToFifo) {
  PendingRequests p;
  p.set_key_reader(kKeyedReply, [](std::span<const uint8_t>) { return std::optional<uint64_t>(); });
  p.add(request(1, 0x0100, kKeyedReply));
  EXPECT_EQ(p.take_reply(frame(kKeyedReply, "no key").view())->id, 1u);
}

TEST(PendingRequests, TimedOutSlotsStayUntilTheirLateReplySoFifoStaysInStep) {
  PendingRequests p;
  const auto t0 = SteadyClock::time_point(std::chrono::hours(1));
  p.add(request(1, proto::cmd::kPing, proto::cmd::kPong, t0 + 1s));
  p.add(request(2, proto::cmd::kPing, proto::cmd::kPong, t0 + 2s));
  EXPECT_EQ(p.next_deadline(), t0 + 1s);

  EXPECT_TRUE(p.take_expired(t0 + 999ms).empty());
  std::vector<PendingRequest> expired = p.take_expired(t0 + 1500ms);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].id, 1u);
  EXPECT_TRUE(static_cast<bool>(expired[0].callback));  // moved out, to be called once
  EXPECT_EQ(p.next_deadline(), t0 + 2s);
  EXPECT_TRUE(p.take_expired(t0 + 1600ms).empty());  // not reported twice

  // The late PONG for request 1 is consumed by its slot, not given to request 2.
  const auto late = p.take_reply(frame(proto::cmd::kPong, "1").view());
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->id, 1u);
  EXPECT_TRUE(late->timed_out);
  EXPECT_FALSE(static_cast<bool>(late->callback));
  const auto on_time = p.take_reply(frame(proto::cmd::kPong, "2").view());
  ASSERT_TRUE(on_time.has_value());
  EXPECT_EQ(on_time->id, 2u);
  EXPECT_FALSE(on_time->timed_out);
}

TEST(PendingRequests, TakeAllEmptiesTheQueueInOrder) {
  PendingRequests p;
  p.add(request(1, proto::cmd::kPing, proto::cmd::kPong));
  p.add(request(2, proto::cmd::kEcho, proto::cmd::kEcho));
  const std::vector<PendingRequest> all = p.take_all();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, 1u);
  EXPECT_EQ(all[1].id, 2u);
  EXPECT_TRUE(p.empty());
  EXPECT_FALSE(p.next_deadline().has_value());
}

}  // namespace
}  // namespace citadel::client
