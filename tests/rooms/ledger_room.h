// A room type for transfer tests (tests/rooms/transfer_test.cc and the
// fleet's): every input it applies is echoed to its sender at once, naming
// the room that applied it, so a client sees each input applied exactly
// once and in order, or not. Inputs are LockstepInput {data}, data the
// text "<seq>" plus an optional order:
//   "<seq>T"        transfer me to another ledger room (elsewhere)
//   "<seq>T<id>"    transfer me to ledger room <id>
//   "<seq>B"        try a transfer with a hand-off over the limit
// The hand-off is the input's text; the room it reaches says so.
#pragma once

#include <fmt/format.h>

#include <charconv>
#include <string>
#include <string_view>

#include "protocol/lockstep_generated.h"
#include "rooms/room_logic.h"
#include "rooms/room_type.h"

namespace citadel::test {

inline constexpr uint16_t kLedgerInput = 0x7F10;
inline constexpr uint16_t kLedgerApplied = 0x7F11;  // "<room id> <input text>"
inline constexpr uint16_t kLedgerArrived = 0x7F12;  // "<from room id> <hand-off>"
inline constexpr uint16_t kLedgerRefused = 0x7F13;  // "<why>"

class LedgerRoom final : public rooms::TypedRoomLogic<msg::LockstepInput> {
 public:
  std::string on_join(rooms::RoomContext& ctx, const rooms::Player& p) override {
    if (const rooms::Arrival* a = ctx.arrival()) {
      send(ctx, p, kLedgerArrived,
           fmt::format("{} {}", a->from_room_id,
                       std::string_view(reinterpret_cast<const char*>(a->handoff.data()),
                                        a->handoff.size())));
    }
    return {};
  }
  void on_input(rooms::RoomContext& ctx, const rooms::Player& p,
                const msg::LockstepInput& in) override {
    const std::string_view data =
        in.data()
            ? std::string_view(reinterpret_cast<const char*>(in.data()->data()), in.data()->size())
            : std::string_view();
    send(ctx, p, kLedgerApplied, fmt::format("{} {}", ctx.room_id(), data));
    const auto order = data.find_first_of("TB");
    if (order == std::string_view::npos) return;
    rooms::TransferTarget target;
    target.room_type = "ledger";
    target.handoff.assign(data.begin(), data.end());
    if (data[order] == 'B') {
      target.handoff.resize(rooms::kMaxHandoffBytes + 1, 'x');
      target.elsewhere = true;
    } else {
      const auto id = data.substr(order + 1);
      std::from_chars(id.data(), id.data() + id.size(), target.room_id);
      target.elsewhere = target.room_id == 0;
    }
    if (std::string why = ctx.transfer(p, target); !why.empty()) {
      send(ctx, p, kLedgerRefused, why);
    }
  }
  void on_tick(rooms::RoomContext&) override {}

 private:
  static void send(rooms::RoomContext& ctx, const rooms::Player& p, uint16_t cmd,
                   std::string_view text) {
    ctx.send(p, cmd, {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  }
};

inline rooms::RoomType ledger_room_type() {
  rooms::RoomTypeOptions options;
  options.tick_hz = 50;
  options.max_players = 4;
  return rooms::make_room_type<LedgerRoom>("ledger", kLedgerInput, options);
}

}  // namespace citadel::test
