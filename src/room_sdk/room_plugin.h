// The room SDK: what a room type built as a shared library (a plugin) sees of
// the server. It depends on the C++ standard library, FlatBuffers and
// protocol/ only, never on server/, net/ or rooms/, so a plugin can be built
// apart from the server (docs/plugins.md; the template is
// examples/room-plugin/).
//
// A plugin exports one C function, citadel_room_plugin(), returning a
// PluginInfo: its room type's name, its version, the cmd its inputs use,
// its input schema, and a factory. CITADEL_ROOM_PLUGIN below writes it.
// The server loads a plugin with dlopen, so it must be built with the same
// compiler and standard library as the server (the classes below cross the
// boundary as C++ objects), and with -fno-gnu-unique, or the dynamic loader
// can never unload it (GNU unique symbols pin a library in memory).
//
// Threads: as for built-in rooms, all calls for one room come on one thread,
// one at a time. check_input runs on the room's thread too, before on_input.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/finite_fields.h"
#include "protocol/verified_payload.h"

namespace citadel::room_sdk {

// Bumped when anything below changes in a way a built plugin would notice.
// The server loads plugins built against kMinSdkVersion to kSdkVersion and
// refuses others. Version 2 appended Context::transfer and
// Context::arrival at the end of Context's virtual table: a version-1
// plugin never calls them and sees the same layout as before, so it still
// loads; a version-2 plugin calling them is refused by a version-1 server.
inline constexpr uint32_t kSdkVersion = 2;
inline constexpr uint32_t kMinSdkVersion = 1;

struct Player {
  uint64_t user_id = 0;
  std::string username;
  uint64_t connection_id = 0;  // 0 while the player's connection is gone (grace period)
  bool connected() const { return connection_id != 0; }
};

// Player transfer (docs/rooms.md "Moving a player to another room"): where
// a room sends one of its players.
struct TransferTarget {
  std::string room_type;  // the target room's type (this room's own, or another)
  // A room of that type by id (which may be on another game node of a
  // fleet), or 0: any room of the type (join-or-create: the fullest open
  // room, else a new one).
  uint64_t room_id = 0;
  // With room_id 0: not this room, and in a fleet on another game node than
  // this one when there is one (a neighbouring world).
  bool elsewhere = false;
  // Opaque bytes the target room's logic reads in on_join through
  // Context::arrival() (a position, an inventory), at most
  // kMaxHandoffBytes.
  std::vector<uint8_t> handoff;
};
inline constexpr std::size_t kMaxHandoffBytes = 4096;

// How the player being admitted (during on_join) got here: sent by a room
// with Context::transfer. Valid during that on_join only.
struct Arrival {
  uint64_t from_room_id = 0;
  std::string_view from_room_type;
  std::span<const uint8_t> handoff;
};

// What room code may do; passed to every callback, valid only during it.
class Context {
 public:
  virtual uint64_t room_id() const = 0;
  virtual uint64_t tick() const = 0;  // ticks run so far: the first on_tick sees 1
  virtual std::chrono::nanoseconds tick_interval() const = 0;
  virtual std::span<const Player* const> players() const = 0;  // in join order
  // To every connected player: encoded once, the same bytes queued for each.
  virtual void broadcast(uint16_t cmd, std::span<const uint8_t> payload) = 0;
  virtual void send(const Player& to, uint16_t cmd, std::span<const uint8_t> payload) = 0;
  // Bytes a room may send one player in one tick on top of its regular
  // traffic (larger transfers go out in pages of this size, one a tick).
  virtual std::size_t page_bytes() const = 0;
  // Ends the room once the current callback returns; players get `reason`.
  virtual void close(std::string_view reason) = 0;
  // SDK version 2 (appended: the layout above is version 1's).
  // Moves `player` to the room `target` names once the current callback
  // returns: on_leave runs here and the others get PlayerLeft; the target
  // room's on_join sees the player with arrival() set. Its inputs not yet
  // applied here follow it (to a room of the same type). Returns "" if the
  // transfer was accepted, else why not (not a player of this room, already
  // leaving, a hand-off over kMaxHandoffBytes, no room type named); the
  // target may still refuse later (full, gone, on_join): the player is then
  // in no room and told so (RoomEvent Closed).
  virtual std::string transfer(const Player& player, const TransferTarget& target) = 0;
  // During on_join: how the player arrives if a room transferred it here;
  // null for an ordinary join.
  virtual const Arrival* arrival() const = 0;

 protected:
  ~Context() = default;
};

// A room's game code. Exceptions thrown from it close that room alone (and
// count against the plugin's version: enough of them roll a swap back).
class Logic {
 public:
  virtual ~Logic() = default;
  virtual void on_create(Context&) {}
  // Return an empty string to accept the player, or the reason to refuse.
  virtual std::string on_join(Context&, const Player&) { return {}; }
  virtual void on_leave(Context&, const Player&) {}
  // One input that passed the plugin's check_input, 8-byte aligned.
  virtual void on_input(Context&, const Player&, std::span<const uint8_t> payload) = 0;
  virtual void on_tick(Context&) = 0;
  // The player needs the whole state (after joining, reconnecting, asking).
  virtual void on_sync(Context&, const Player&, uint32_t /*last_frame*/) {}
  virtual void on_reconnect(Context& ctx, const Player& player) { on_sync(ctx, player, 0); }
  virtual void on_dispose(Context&) {}

  // Handing a running room over to a new version (a type opts in with
  // `static constexpr bool kHandsOverState = true;` in its Logic class).
  // When such a version is swapped in, every open room of the type moves to
  // it between two ticks: save_state on the old version's logic, then
  // restore_state on a new logic of the new version (instead of on_create),
  // which ticks on with the same players and connections. Either returning
  // false (or throwing) keeps the room on its old version. Inputs queued for
  // the next tick go to the new version.
  virtual bool save_state(std::vector<uint8_t>& /*out*/) { return false; }
  virtual bool restore_state(Context&, std::span<const uint8_t> /*state*/) { return false; }
};

// Logic whose input is one FlatBuffers table: on_input receives the table.
template <class InputTable>
class TypedLogic : public Logic {
 public:
  using Input = InputTable;
  virtual void on_input(Context& ctx, const Player& player, const InputTable& input) = 0;

 private:
  void on_input(Context& ctx, const Player& player, std::span<const uint8_t> payload) final {
    on_input(ctx, player, *flatbuffers::GetRoot<InputTable>(payload.data()));
  }
};

// Defaults for the room type's options; the server's config may not change
// them per plugin yet.
struct RoomDefaults {
  uint32_t tick_hz = 20;  // 1 to 120
  uint32_t max_players = 16;
  uint32_t empty_ttl_ms = 30'000;
};

// What citadel_room_plugin() returns. Plain data and function pointers, so
// the server can check it before it calls anything else in the library.
struct PluginInfo {
  uint32_t sdk_version = 0;           // kSdkVersion when built
  const char* name = nullptr;         // the room type, e.g. "counter"
  const char* version = nullptr;      // free text, e.g. "1.4.2"; shown and logged
  uint16_t input_cmd = 0;             // the cmd players send inputs with (0x1000 and up)
  const char* schema = nullptr;       // the input's .fbs text, for tools (may be empty)
  const char* input_table = nullptr;  // its fully qualified table name
  RoomDefaults defaults;
  // A new room's game code.
  std::unique_ptr<Logic> (*create)() = nullptr;
  // Checks one input (8-byte aligned): an empty string accepts it; anything
  // else refuses it (ERROR bad_payload with this text) and the room never
  // sees it.
  std::string (*check_input)(std::span<const uint8_t> aligned_payload) = nullptr;
  // Open rooms of the type move to this version when it is swapped in (see
  // Logic::save_state); otherwise they finish on theirs.
  bool hands_over_state = false;
};

// Whether Logic opts in to state handover (kHandsOverState).
template <class Logic>
constexpr bool hands_over_state() {
  if constexpr (requires { Logic::kHandsOverState; }) {
    return Logic::kHandsOverState;
  } else {
    return false;
  }
}

// The check every plugin input gets: the FlatBuffers verifier, no NaN or
// infinity in any float (the schema compiled with flatc --reflect-names),
// then Logic::check_input(const Input&) if Logic declares it.
template <class Logic>
std::string check_typed_input(std::span<const uint8_t> aligned_payload) {
  using Input = typename Logic::Input;
  if (aligned_payload.empty()) return "empty payload";
  flatbuffers::Verifier verifier(aligned_payload.data(), aligned_payload.size(),
                                 protocol::kMaxVerifierDepth, protocol::kMaxVerifierTables);
  if (!verifier.VerifyBuffer<Input>(nullptr)) return "payload is not a valid FlatBuffers message";
  std::string bad = protocol::first_non_finite_field<Input>(aligned_payload);
  if (!bad.empty()) return bad + " is not a finite number";
  if constexpr (requires(const Input& in) { Logic::check_input(in); }) {
    return std::string(Logic::check_input(*flatbuffers::GetRoot<Input>(aligned_payload.data())));
  }
  return {};
}

}  // namespace citadel::room_sdk

extern "C" {
// The one symbol the server looks up.
using citadel_room_plugin_fn = const citadel::room_sdk::PluginInfo* (*)();
}

// Defines citadel_room_plugin() for a TypedLogic subclass. NAME and VERSION
// are string literals, SCHEMA the input's .fbs text (or ""), TABLE its table
// name, DEFAULTS a RoomDefaults.
#define CITADEL_ROOM_PLUGIN(LOGIC, NAME, VERSION, INPUT_CMD, SCHEMA, TABLE, DEFAULTS)              \
  extern "C" __attribute__((visibility("default"))) const ::citadel::room_sdk::PluginInfo*         \
  citadel_room_plugin() {                                                                          \
    static const ::citadel::room_sdk::PluginInfo info{                                             \
        ::citadel::room_sdk::kSdkVersion,                                                          \
        NAME,                                                                                      \
        VERSION,                                                                                   \
        INPUT_CMD,                                                                                 \
        SCHEMA,                                                                                    \
        TABLE,                                                                                     \
        DEFAULTS,                                                                                  \
        []() -> std::unique_ptr<::citadel::room_sdk::Logic> { return std::make_unique<LOGIC>(); }, \
        &::citadel::room_sdk::check_typed_input<LOGIC>,                                            \
        ::citadel::room_sdk::hands_over_state<LOGIC>(),                                            \
    };                                                                                             \
    return &info;                                                                                  \
  }
