// How fast each room ticks, as its players see it: the tick numbers in the
// rooms' own messages (ArenaState.tick, LockstepFrame.frame) and when they
// arrived. Over the measured window a room's rate is (last tick - first
// tick) / (time between their arrivals), exact to the arrival jitter even in
// a short window; a room whose ticks stopped arriving before the window's
// end is measured up to the end instead, so a stall shows as a low rate.
// Skipped ticks show up as less than the announced rate. The server's own
// counters (admin /metrics) say the same from inside; this works without
// the admin port.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "send_time_ring.h"  // Clock

namespace citadel::bench {

struct RoomRate {
  uint64_t room_id = 0;
  double hz = 0;
};

class RoomTicks {
 public:
  // A dense index for `room_id` (added on first sight), for observe().
  uint32_t index_of(uint64_t room_id) {
    const auto [it, added] = index_.try_emplace(room_id, static_cast<uint32_t>(rooms_.size()));
    if (added) rooms_.push_back(Room{room_id});
    return it->second;
  }

  // A member of room `index` received tick `tick` at `now` (called per
  // message: cheap). Only new ticks inside the window count.
  void observe(uint32_t index, uint32_t tick, Clock::time_point now) {
    Room& r = rooms_[index];
    if (tick <= r.newest) return;
    r.newest = tick;
    if (now < start_ || now >= end_) return;
    if (r.first_tick == 0) {
      r.first_tick = tick;
      r.first_at = now;
    }
    r.last_tick = tick;
    r.last_at = now;
  }

  // The window: ticks arriving in [start, end) are measured. Set once, before
  // or during the run.
  void set_window(Clock::time_point start, Clock::time_point end) {
    start_ = start;
    end_ = end;
  }

  // Ticks per second of every room that ticked at least twice in the window.
  // `stall` is how long before the window's end the last tick may arrive
  // without the room counting as stalled (a few tick periods).
  std::vector<RoomRate> rates(Clock::duration stall) const {
    std::vector<RoomRate> out;
    for (const Room& r : rooms_) {
      if (r.first_tick == 0 || r.last_tick == r.first_tick) continue;
      const Clock::time_point until = end_ - r.last_at > stall ? end_ : r.last_at;
      const double seconds = std::chrono::duration<double>(until - r.first_at).count();
      if (seconds <= 0) continue;
      out.push_back({r.room_id, static_cast<double>(r.last_tick - r.first_tick) / seconds});
    }
    return out;
  }

  std::size_t size() const { return rooms_.size(); }

 private:
  struct Room {
    uint64_t room_id = 0;
    uint32_t newest = 0;      // newest tick seen, in or out of the window
    uint32_t first_tick = 0;  // first new one inside the window (0: none yet)
    uint32_t last_tick = 0;   // last new one inside the window
    Clock::time_point first_at{}, last_at{};
  };
  std::unordered_map<uint64_t, uint32_t> index_;
  std::vector<Room> rooms_;
  Clock::time_point start_ = Clock::time_point::max(), end_ = Clock::time_point::max();
};

// Rates of the same room seen by several workers: each room once, at the
// highest rate any worker saw (a worker sees it only through its own members).
inline std::vector<RoomRate> merge_room_rates(const std::vector<std::vector<RoomRate>>& parts) {
  std::unordered_map<uint64_t, double> best;
  for (const auto& part : parts) {
    for (const RoomRate& r : part) {
      auto [it, added] = best.try_emplace(r.room_id, r.hz);
      if (!added && r.hz > it->second) it->second = r.hz;
    }
  }
  std::vector<RoomRate> out;
  out.reserve(best.size());
  for (const auto& [id, hz] : best) out.push_back({id, hz});
  return out;
}

}  // namespace citadel::bench
