// libFuzzer: the decoders of what the recovery file hands back at start
// (store/recovery/, docs/operations.md "Crash recovery"). A damaged or
// hostile file must be refused, never half-read: for every input
//   - decode_seats either refuses or yields seats that encode back to the
//     same bytes;
//   - the arena's and lockstep's restore_state either refuse or leave a
//     room whose own saved state restores again to the same state, and
//     that ticks and syncs without fault.
// The first byte picks the decoder and the players in the room.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "fake_room_context.h"
#include "rooms/games/arena_room.h"
#include "rooms/games/lockstep_room.h"
#include "store/recovery/recovery_codec.h"

namespace {

using citadel::rooms::fakes::FakeContext;

void check(bool ok) {
  if (!ok) std::abort();
}

template <class Logic>
void restore_round_trip(std::span<const uint8_t> state, uint8_t players) {
  std::vector<uint64_t> ids;
  for (uint64_t i = 0; i < (players & 7); ++i) ids.push_back(i * 7 + 1);
  FakeContext ctx(ids);
  ctx.tick_ = 1000;
  Logic first;
  if (!first.restore_state(ctx, state)) return;
  std::vector<uint8_t> saved;
  check(first.save_state(saved));
  Logic second;
  check(second.restore_state(ctx, saved));
  std::vector<uint8_t> again;
  check(second.save_state(again));
  check(again == saved);
  ++ctx.tick_;
  second.on_tick(ctx);
  for (const auto* p : ctx.players()) second.on_sync(ctx, *p, 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const std::span<const uint8_t> rest(data + 1, size - 1);
  switch (selector % 3) {
    case 0: {
      const auto seats = citadel::store::decode_seats(rest);
      if (seats) {
        const auto bytes = citadel::store::encode_seats(*seats);
        check(std::equal(bytes.begin(), bytes.end(), rest.begin(), rest.end()));
      }
      break;
    }
    case 1:
      restore_round_trip<citadel::rooms::ArenaRoom>(rest, selector >> 2);
      break;
    default:
      restore_round_trip<citadel::rooms::LockstepRoom>(rest, selector >> 2);
      break;
  }
  return 0;
}
