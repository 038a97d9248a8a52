// The node link's messages (src/fleet/link/link_messages.h): each encodes
// to one link frame and decodes back; a payload cut short or carrying a
// byte too many is refused, as is a Deliver that names no id, too many ids
// or no frame.
#include "fleet/link/link_messages.h"

#include <gtest/gtest.h>

#include <vector>

#include "protocol/wire.h"

namespace citadel::fleet::link {
namespace {

using protocol::kHeaderBytes;

// The one frame in `out`: its cmd and payload.
std::pair<uint16_t, std::vector<uint8_t>> only_frame(const std::vector<uint8_t>& out) {
  EXPECT_GE(out.size(), kHeaderBytes);
  EXPECT_EQ(protocol::load_be16(out.data()), protocol::kMagic);
  EXPECT_EQ(protocol::load_be32(out.data() + 4), out.size() - kHeaderBytes);
  return {protocol::load_be16(out.data() + 2),
          std::vector<uint8_t>(out.begin() + kHeaderBytes, out.end())};
}

// Every strict prefix of a valid payload, and the payload plus one byte,
// is refused by `decode`.
template <class Decode>
void refuses_damage(const std::vector<uint8_t>& payload, Decode decode, bool extra_refused = true) {
  for (std::size_t n = 0; n < payload.size(); ++n) {
    EXPECT_FALSE(decode(std::span<const uint8_t>(payload.data(), n)).has_value())
        << "a prefix of " << n << " bytes of " << payload.size();
  }
  if (extra_refused) {
    auto longer = payload;
    longer.push_back(0);
    EXPECT_FALSE(decode(longer).has_value()) << "one byte too many";
  }
}

TEST(LinkMessages, HelloAndWelcomeRoundTrip) {
  std::vector<uint8_t> out;
  append_hello(out, "prod", "gw-1");
  auto [cmd, payload] = only_frame(out);
  EXPECT_EQ(cmd, lcmd::kHello);
  auto hello = decode_hello(payload);
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->version, kLinkVersion);
  EXPECT_EQ(hello->cluster, "prod");
  EXPECT_EQ(hello->node_id, "gw-1");
  refuses_damage(payload, decode_hello);

  out.clear();
  append_welcome(out, "game-7");
  auto [wcmd, wpayload] = only_frame(out);
  EXPECT_EQ(wcmd, lcmd::kWelcome);
  auto welcome = decode_welcome(wpayload);
  ASSERT_TRUE(welcome);
  EXPECT_EQ(welcome->node_id, "game-7");
  refuses_damage(wpayload, decode_welcome);
}

TEST(LinkMessages, PlayerMessagesRoundTrip) {
  std::vector<uint8_t> out;
  const uint64_t conn = (uint64_t{3} << 48) | 12345;
  append_player_open(out, conn, 42, "alice");
  auto [ocmd, open] = only_frame(out);
  EXPECT_EQ(ocmd, lcmd::kPlayerOpen);
  auto o = decode_player_open(open);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->conn, conn);
  EXPECT_EQ(o->user, 42u);
  EXPECT_EQ(o->username, "alice");
  refuses_damage(open, decode_player_open);

  out.clear();
  const std::vector<uint8_t> input{9, 8, 7};
  append_player_frame(out, conn, 0x0310, input);
  auto [fcmd, frame] = only_frame(out);
  EXPECT_EQ(fcmd, lcmd::kPlayerFrame);
  auto f = decode_player_frame(frame);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->conn, conn);
  EXPECT_EQ(f->cmd, 0x0310);
  EXPECT_EQ(std::vector<uint8_t>(f->payload.begin(), f->payload.end()), input);
  // The client payload is the rest: only the fixed part can be cut short.
  EXPECT_FALSE(decode_player_frame(std::span<const uint8_t>(frame.data(), 9)));
  EXPECT_TRUE(decode_player_frame(std::span<const uint8_t>(frame.data(), 10)));

  out.clear();
  append_player_closed(out, conn, 42);
  auto [ccmd, closed] = only_frame(out);
  EXPECT_EQ(ccmd, lcmd::kPlayerClosed);
  auto c = decode_player_closed(closed);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->conn, conn);
  EXPECT_EQ(c->user, 42u);
  refuses_damage(closed, decode_player_closed);

  out.clear();
  append_session_attached(out, 42, conn);
  auto [acmd, attached] = only_frame(out);
  EXPECT_EQ(acmd, lcmd::kSessionAttached);
  auto a = decode_session_attached(attached);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->user, 42u);
  EXPECT_EQ(a->conn, conn);

  out.clear();
  append_close_player(out, conn, 11, "logged in elsewhere");
  auto [kcmd, close] = only_frame(out);
  EXPECT_EQ(kcmd, lcmd::kClosePlayer);
  auto k = decode_close_player(close);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->code, 11);
  EXPECT_EQ(k->text, "logged in elsewhere");
  refuses_damage(close, decode_close_player);

  out.clear();
  append_seat_changed(out, conn, 42, 9001);
  auto [scmd, seat] = only_frame(out);
  EXPECT_EQ(scmd, lcmd::kSeatChanged);
  auto sc = decode_seat_changed(seat);
  ASSERT_TRUE(sc);
  EXPECT_EQ(sc->conn, conn);
  EXPECT_EQ(sc->user, 42u);
  EXPECT_EQ(sc->room, 9001u);
  refuses_damage(seat, decode_seat_changed);
}

TEST(LinkMessages, DeliverNamesEveryIdAndCarriesTheFramesOnce) {
  std::vector<uint8_t> frames;
  const std::vector<uint8_t> state{1, 2, 3, 4};
  protocol::append_frame(frames, 0x0311, state);
  const std::vector<uint64_t> ids{5, uint64_t{1} << 50, 77};
  std::vector<uint8_t> out;
  append_deliver_head(out, ids, frames.size());
  out.insert(out.end(), frames.begin(), frames.end());
  auto [cmd, payload] = only_frame(out);
  EXPECT_EQ(cmd, lcmd::kDeliver);
  auto d = decode_deliver(payload);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->count, 3);
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(d->id(i), ids[i]);
  EXPECT_EQ(std::vector<uint8_t>(d->frames.begin(), d->frames.end()), frames);
  // Cut into the ids or the frame header: refused.
  for (std::size_t n = 0; n < 2 + 3 * 8 + kHeaderBytes; ++n) {
    EXPECT_FALSE(decode_deliver(std::span<const uint8_t>(payload.data(), n))) << n;
  }
}

TEST(LinkMessages, DeliverWithNoIdOrTooManyIsRefused) {
  std::vector<uint8_t> none{0, 0};
  none.resize(none.size() + kHeaderBytes);
  EXPECT_FALSE(decode_deliver(none));
  std::vector<uint8_t> many;
  many.push_back(static_cast<uint8_t>((kMaxDeliverIds + 1) >> 8));
  many.push_back(static_cast<uint8_t>(kMaxDeliverIds + 1));
  many.resize(many.size() + (kMaxDeliverIds + 1) * 8 + kHeaderBytes);
  EXPECT_FALSE(decode_deliver(many));
}

TEST(LinkMessages, HeartbeatAndSessionEndedCarryOneNumber) {
  std::vector<uint8_t> out;
  append_heartbeat(out, lcmd::kHeartbeatAck, 0x0102030405060708ull);
  auto [cmd, payload] = only_frame(out);
  EXPECT_EQ(cmd, lcmd::kHeartbeatAck);
  EXPECT_EQ(decode_heartbeat(payload), 0x0102030405060708ull);
  refuses_damage(payload, decode_heartbeat);
  out.clear();
  append_session_ended(out, 42);
  auto [ecmd, ended] = only_frame(out);
  EXPECT_EQ(ecmd, lcmd::kSessionEnded);
  EXPECT_EQ(decode_session_ended(ended), 42u);
}

TEST(LinkMessages, TransferMessagesRoundTrip) {
  const std::vector<uint8_t> handoff{1, 2, 3, 4};
  for (uint16_t c : {lcmd::kTransferOut, lcmd::kTransferIn}) {
    std::vector<uint8_t> out;
    Transfer t{7, 42, "alice", 1001, "arena", "arena", 0, true, handoff};
    append_transfer(out, c, t);
    auto [cmd, payload] = only_frame(out);
    EXPECT_EQ(cmd, c);
    auto m = decode_transfer(payload);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->conn, 7u);
    EXPECT_EQ(m->user, 42u);
    EXPECT_EQ(m->username, "alice");
    EXPECT_EQ(m->from_room, 1001u);
    EXPECT_EQ(m->from_type, "arena");
    EXPECT_EQ(m->room_type, "arena");
    EXPECT_EQ(m->room_id, 0u);
    EXPECT_TRUE(m->elsewhere);
    EXPECT_EQ(std::vector<uint8_t>(m->handoff.begin(), m->handoff.end()), handoff);
    refuses_damage(payload, decode_transfer);
    // A flag this version does not know is malformed, not ignored.
    auto flagged = payload;
    flagged[flagged.size() - handoff.size() - 4] = 0x80;
    EXPECT_FALSE(decode_transfer(flagged));
  }
  // The hand-off's cap: a longer one is refused by the decoder and cut by
  // the encoder.
  std::vector<uint8_t> big(kMaxHandoffBytes + 1, 7);
  std::vector<uint8_t> out;
  append_transfer(out, lcmd::kTransferIn, Transfer{1, 2, "", 3, "a", "a", 9, false, big});
  auto [cmd, payload] = only_frame(out);
  auto m = decode_transfer(payload);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->handoff.size(), kMaxHandoffBytes);
  const std::size_t len_at = payload.size() - kMaxHandoffBytes - 2;
  payload[len_at] = static_cast<uint8_t>((kMaxHandoffBytes + 1) >> 8);
  payload[len_at + 1] = static_cast<uint8_t>((kMaxHandoffBytes + 1) & 0xff);
  payload.push_back(7);
  EXPECT_FALSE(decode_transfer(payload));

  for (uint16_t c : {lcmd::kTransferMarker, lcmd::kTransferDrained}) {
    out.clear();
    append_conn(out, c, 99);
    auto [ccmd, cpayload] = only_frame(out);
    EXPECT_EQ(ccmd, c);
    EXPECT_EQ(decode_conn(cpayload), 99u);
    refuses_damage(cpayload, decode_conn);
  }
  out.clear();
  const std::vector<uint8_t> input{5, 6};
  append_returned(out, 11, 0x0310, input);
  auto [rcmd, rpayload] = only_frame(out);
  EXPECT_EQ(rcmd, lcmd::kReturned);
  auto r = decode_player_frame(rpayload);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->conn, 11u);
  EXPECT_EQ(r->cmd, 0x0310);
  EXPECT_EQ(std::vector<uint8_t>(r->payload.begin(), r->payload.end()), input);
}

TEST(LinkMessages, EveryCommandHasAName) {
  for (uint16_t cmd :
       {lcmd::kHello, lcmd::kWelcome, lcmd::kRefused, lcmd::kHeartbeat, lcmd::kHeartbeatAck,
        lcmd::kPlayerOpen, lcmd::kPlayerFrame, lcmd::kPlayerClosed, lcmd::kSessionAttached,
        lcmd::kSessionEnded, lcmd::kDeliver, lcmd::kClosePlayer, lcmd::kSeatChanged,
        lcmd::kTransferMarker, lcmd::kTransferIn, lcmd::kTransferOut, lcmd::kReturned,
        lcmd::kTransferDrained}) {
    EXPECT_NE(link_cmd_name(cmd), "unknown") << cmd;
  }
  EXPECT_EQ(link_cmd_name(0x7777), "unknown");
}

}  // namespace
}  // namespace citadel::fleet::link
