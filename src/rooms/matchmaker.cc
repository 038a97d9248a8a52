#include "rooms/matchmaker.h"

#include <algorithm>

namespace citadel::rooms {

bool Matchmaker::add(Ticket ticket, const MatchRules& rules) {
  if (queued_.contains(ticket.user_id)) return false;
  std::string key = ticket.room_type + '\n' + ticket.mode;
  Queue& q = queues_[key];
  q.rules = rules;
  queued_.emplace(ticket.user_id, std::move(key));
  q.tickets.push_back(std::move(ticket));
  return true;
}

bool Matchmaker::remove(uint64_t user_id) {
  auto it = queued_.find(user_id);
  if (it == queued_.end()) return false;
  auto& tickets = queues_[it->second].tickets;
  std::erase_if(tickets, [&](const Ticket& t) { return t.user_id == user_id; });
  queued_.erase(it);
  return true;
}

uint64_t Matchmaker::window_of(const Ticket& t, const MatchRules& rules, Clock::time_point now) {
  const auto waited_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now - t.enqueued).count();
  return rules.initial_window + static_cast<uint64_t>(waited_ms) * rules.widen_per_second / 1000;
}

Matchmaker::Outcome Matchmaker::poll(Clock::time_point now) {
  Outcome out;
  for (auto& [key, q] : queues_) {
    auto& tickets = q.tickets;
    // Expired tickets leave first.
    for (auto it = tickets.begin(); it != tickets.end();) {
      if (now - it->enqueued >= q.rules.timeout) {
        queued_.erase(it->user_id);
        out.timed_out.push_back(std::move(*it));
        it = tickets.erase(it);
      } else {
        ++it;
      }
    }
    const std::size_t n = std::max<uint32_t>(1, q.rules.group_size);
    if (tickets.size() < n) continue;
    // Sorted by skill, any valid group is n neighbours. Scan from the lowest
    // skill; a run of n whose spread every member's window accepts is taken.
    std::sort(tickets.begin(), tickets.end(),
              [](const Ticket& a, const Ticket& b) { return a.skill < b.skill; });
    std::vector<Ticket> rest;
    std::size_t i = 0;
    while (i + n <= tickets.size()) {
      const uint64_t spread =
          static_cast<uint64_t>(int64_t{tickets[i + n - 1].skill} - int64_t{tickets[i].skill});
      uint64_t accepted = UINT64_MAX;
      for (std::size_t j = i; j < i + n; ++j) {
        accepted = std::min(accepted, window_of(tickets[j], q.rules, now));
      }
      if (spread <= accepted) {
        auto& group = out.groups.emplace_back();
        for (std::size_t j = i; j < i + n; ++j) {
          queued_.erase(tickets[j].user_id);
          group.push_back(std::move(tickets[j]));
        }
        i += n;
      } else {
        rest.push_back(std::move(tickets[i]));
        ++i;
      }
    }
    for (; i < tickets.size(); ++i) rest.push_back(std::move(tickets[i]));
    tickets = std::move(rest);
  }
  std::erase_if(queues_, [](const auto& entry) { return entry.second.tickets.empty(); });
  return out;
}

}  // namespace citadel::rooms
