// libFuzzer: the node link's message decoders (src/fleet/link/link_messages.h).
// A link frame comes from another node over TCP, so any bytes must decode
// to a message or to nothing, never a crash or a read past the payload;
// for every input:
//   - each decoder returns;
//   - a decoded message encodes back to the very bytes it came from (the
//     layout has one spelling: no trailing bytes accepted, lengths exact);
//   - a Deliver names 1..kMaxDeliverIds ids and at least a frame header;
//   - a transfer's hand-off is at most kMaxHandoffBytes.
// The first byte picks the decoder; the rest is the payload.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fleet/link/link_messages.h"
#include "fuzz_check.h"
#include "protocol/wire.h"

namespace {

namespace link = citadel::fleet::link;
namespace lcmd = citadel::fleet::link::lcmd;

// The payload of the one link frame in `framed`.
std::span<const uint8_t> payload_of(const std::vector<uint8_t>& framed) {
  FUZZ_CHECK(framed.size() >= citadel::protocol::kHeaderBytes);
  FUZZ_CHECK(citadel::protocol::load_be32(framed.data() + 4) ==
             framed.size() - citadel::protocol::kHeaderBytes);
  return std::span<const uint8_t>(framed).subspan(citadel::protocol::kHeaderBytes);
}

void same(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  FUZZ_CHECK(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) FUZZ_CHECK(a[i] == b[i]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::span<const uint8_t> p(data + 1, size - 1);
  std::vector<uint8_t> out;
  switch (data[0] % 14) {
    case 0:
      if (auto m = link::decode_hello(p)) {
        if (m->version == link::kLinkVersion) {
          link::append_hello(out, m->cluster, m->node_id);
          same(payload_of(out), p);
        }
      }
      break;
    case 1:
      if (auto m = link::decode_welcome(p); m && m->version == link::kLinkVersion) {
        link::append_welcome(out, m->node_id);
        same(payload_of(out), p);
      }
      break;
    case 2:
      if (auto m = link::decode_refused(p)) {
        link::append_refused(out, *m);
        same(payload_of(out), p);
      }
      break;
    case 3:
      if (auto m = link::decode_heartbeat(p)) {
        link::append_heartbeat(out, lcmd::kHeartbeat, *m);
        same(payload_of(out), p);
      }
      break;
    case 4:
      if (auto m = link::decode_player_open(p)) {
        link::append_player_open(out, m->conn, m->user, m->username);
        same(payload_of(out), p);
      }
      break;
    case 5:
      if (auto m = link::decode_player_frame(p)) {
        link::append_player_frame(out, m->conn, m->cmd, m->payload);
        same(payload_of(out), p);
      }
      break;
    case 6:
      if (auto m = link::decode_player_closed(p)) {
        link::append_player_closed(out, m->conn, m->user);
        same(payload_of(out), p);
      }
      break;
    case 7:
      if (auto m = link::decode_session_attached(p)) {
        link::append_session_attached(out, m->user, m->conn);
        same(payload_of(out), p);
      }
      break;
    case 8:
      if (auto m = link::decode_deliver(p)) {
        FUZZ_CHECK(m->count >= 1 && m->count <= link::kMaxDeliverIds);
        FUZZ_CHECK(m->frames.size() >= citadel::protocol::kHeaderBytes);
        std::vector<uint64_t> ids;
        for (std::size_t i = 0; i < m->count; ++i) ids.push_back(m->id(i));
        link::append_deliver_head(out, ids, m->frames.size());
        out.insert(out.end(), m->frames.begin(), m->frames.end());
        same(payload_of(out), p);
      }
      break;
    case 9:
      if (auto m = link::decode_close_player(p)) {
        link::append_close_player(out, m->conn, m->code, m->text);
        same(payload_of(out), p);
      }
      break;
    case 10:
      if (auto m = link::decode_seat_changed(p)) {
        link::append_seat_changed(out, m->conn, m->user, m->room);
        same(payload_of(out), p);
      }
      break;
    case 11:
      if (auto m = link::decode_transfer(p)) {
        FUZZ_CHECK(m->handoff.size() <= link::kMaxHandoffBytes);
        link::append_transfer(out, lcmd::kTransferIn, *m);
        same(payload_of(out), p);
      }
      break;
    case 12:
      if (auto m = link::decode_conn(p)) {
        link::append_conn(out, lcmd::kTransferMarker, *m);
        same(payload_of(out), p);
      }
      break;
    case 13:
      if (auto m = link::decode_player_frame(p)) {  // Returned
        link::append_returned(out, m->conn, m->cmd, m->payload);
        same(payload_of(out), p);
      }
      break;
  }
  return 0;
}
