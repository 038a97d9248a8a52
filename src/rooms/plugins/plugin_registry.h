// The plugin room types of one node: which library each type runs now, the
// one before it (for rollback), and what became of older ones. Loads,
// swaps and rolls back while rooms run (docs/plugins.md):
//
//   - load(path): a plugin whose type exists replaces its code for new rooms
//     (swap); rooms already open finish on the version they started with.
//     A new type needs a restart (its input cmd is routed at start-up).
//   - rollback(type): new rooms go back to the previous version.
//   - check_rollbacks(now): the automatic rollback. Within `window` after a
//     swap, if the new version's rooms faulted (an exception closed them) at
//     least `min_faults` times and at a higher rate per room than the
//     previous version's, or overran their tick at a higher rate per tick
//     (at least `min_overruns` times), the swap is undone and says why.
//
// Threads: any thread (admin requests, reloads, the service loop's timer);
// one mutex guards the registry. None of it is on a message path: rooms
// reach their code through RoomType::code and Room::code.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rooms/plugins/plugin_library.h"
#include "rooms/room_code.h"
#include "rooms/room_type.h"

namespace citadel::rooms {

class RoomService;

struct PluginOptions {
  std::filesystem::path scratch_dir;  // private copies of the libraries
  std::chrono::milliseconds rollback_window{60'000};
  uint64_t min_faults = 3;
  uint64_t min_overruns = 50;
};

class PluginRegistry {
 public:
  using Clock = std::chrono::steady_clock;

  explicit PluginRegistry(PluginOptions options);

  // Start-up, before the room service registers its handlers: loads the
  // plugin and returns its room type for RoomService::add_type. Throws
  // PluginError.
  RoomType load_at_start(const std::filesystem::path& path, const RoomTypeOptions& base);
  // After start-up: the rooms the swaps and rollbacks go to.
  void attach(RoomService& rooms) { rooms_ = &rooms; }

  struct Outcome {
    bool ok = false;
    std::string message;  // one line: what happened, or why nothing did
  };
  // Loads `path` and swaps its type to it. Nothing changes on failure.
  // Loading the version that already runs (same name and version) is a
  // no-op that succeeds.
  Outcome load(const std::filesystem::path& path);
  Outcome rollback(std::string_view type, std::string_view why = "asked for");
  // Rolls back swaps whose new version faults (see above). Returns how many.
  int check_rollbacks(Clock::time_point now);

  // GET /plugins: every plugin type, its running and previous version, and
  // the versions this node has loaded (rooms, faults, whether unloaded).
  std::string status_json() const;
  // The paths of the versions running now (for a reload's comparison).
  std::vector<std::filesystem::path> running_paths() const;

  struct Counters {
    uint64_t swaps = 0;
    uint64_t rollbacks = 0;
    uint64_t automatic_rollbacks = 0;
    uint64_t load_failures = 0;
    uint64_t unloaded = 0;
  };
  Counters counters() const;

 private:
  struct Version {
    std::string version;
    std::filesystem::path path;
    std::filesystem::path loaded_as;
    std::weak_ptr<const PluginLibrary> library;  // expired: unloaded
    std::shared_ptr<const RoomCodeStats> stats;
    std::string ended;  // "", or why it stopped running ("rolled back: ...")
  };
  struct Slot {
    std::string name;
    uint16_t input_cmd = 0;
    // The running version and the one before it: both stay loaded.
    std::shared_ptr<const PluginLibrary> library;
    std::shared_ptr<const RoomCode> code;
    std::shared_ptr<const PluginLibrary> previous_library;
    std::shared_ptr<const RoomCode> previous_code;
    Clock::time_point swapped_at{};
    bool watching = false;  // inside the rollback window of a swap
    std::vector<Version> history;
  };

  Slot* find(std::string_view name);
  const Slot* find(std::string_view name) const;
  void install(Slot& slot, std::shared_ptr<const PluginLibrary> library,
               std::shared_ptr<const RoomCode> code);
  // Why the slot's running version should be rolled back, or "".
  std::string fault_reason(const Slot& slot) const;
  Outcome rollback_locked(Slot& slot, std::string_view why);

  const PluginOptions options_;
  RoomService* rooms_ = nullptr;
  mutable std::mutex mu_;
  std::vector<Slot> slots_;
  Counters counters_;
};

}  // namespace citadel::rooms
