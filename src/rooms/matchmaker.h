// Matchmaking queues: tickets wait for a group of `group_size` players of the
// same room type and mode whose skills lie within a window. Each ticket's
// window starts at `initial_window` and widens by `widen_per_second` while
// it waits, so a lonely player gets a looser match rather than none; a
// ticket that waits `timeout` is answered "no match". Pure logic (no I/O,
// time passed in), owned by the room service on its loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace citadel::rooms {

struct MatchRules {
  uint32_t group_size = 2;
  uint32_t initial_window = 100;
  uint32_t widen_per_second = 50;
  std::chrono::milliseconds timeout{30'000};
};

struct Ticket {
  uint64_t user_id = 0;
  uint64_t connection_id = 0;
  std::string room_type;
  std::string mode;
  int32_t skill = 0;
  std::chrono::steady_clock::time_point enqueued{};
};

class Matchmaker {
 public:
  using Clock = std::chrono::steady_clock;

  // False if the user already has a ticket.
  bool add(Ticket ticket, const MatchRules& rules);
  // False if the user has no ticket.
  bool remove(uint64_t user_id);
  bool contains(uint64_t user_id) const { return queued_.contains(user_id); }
  bool empty() const { return queued_.empty(); }
  std::size_t size() const { return queued_.size(); }

  struct Outcome {
    std::vector<std::vector<Ticket>> groups;  // each fills one new room
    std::vector<Ticket> timed_out;
  };
  // Forms every group it can at `now` and removes expired tickets.
  Outcome poll(Clock::time_point now);

 private:
  struct Queue {
    MatchRules rules;
    std::vector<Ticket> tickets;
  };
  static uint64_t window_of(const Ticket& t, const MatchRules& rules, Clock::time_point now);

  // Keyed by room type + '\n' + mode.
  std::unordered_map<std::string, Queue> queues_;
  std::unordered_map<uint64_t, std::string> queued_;  // user -> queue key
};

}  // namespace citadel::rooms
