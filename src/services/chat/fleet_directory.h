// What this node knows of the chat on the other nodes of a fleet: who has a
// session where, and who is in which named channel there. Built from their
// events (chat_fanout.h) on the service loop; ChatService asks it for member
// lists, presence, channel existence, private message routes and the online
// count. Pure (no I/O, no threads, no clock of its own), so unit-testable.
//
// Entries belong to the node that reported them, and go with it: when the
// fleet's table of live nodes no longer lists that node (its lease expired:
// killed, cut off, gone) and it has not been heard from for a grace period,
// drop_stale() removes everything it reported and says which memberships
// went, so the members here can be told "offline". The grace covers a new
// node heard on the relay before etcd's watch lists it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "services/chat/chat_fanout.h"

namespace citadel::services {

class FleetChatDirectory {
 public:
  using Clock = std::chrono::steady_clock;

  struct Located {
    std::string node;
    uint64_t user_id = 0;
  };
  // A membership that ended with its node (for presence "offline").
  struct Gone {
    std::string channel;
    uint64_t user_id = 0;
    std::string username;
  };
  struct Member {
    uint64_t user_id = 0;
    const std::string* username = nullptr;  // valid until the next change
  };

  // The origin was heard from now (any event).
  void heard(const std::string& node, Clock::time_point now);
  void online(const std::string& node, uint64_t user_id, const std::string& username);
  // The session ended there: the channels it was in (it left them all).
  std::vector<Gone> offline(const std::string& node, uint64_t user_id);
  // True when it changed anything.
  bool join(const std::string& node, const std::string& channel, uint64_t user_id,
            const std::string& username);
  bool leave(const std::string& node, const std::string& channel, uint64_t user_id);
  // Everything the node holds now, replacing what was known of it.
  void replace(const std::string& node, const std::vector<ChatFleetUser>& users);
  // Drops the nodes that are neither in `live` nor heard from since
  // `now - grace`; returns their memberships. `live` empty and not synced:
  // the caller does not call this (an empty table means "not read yet").
  std::vector<Gone> drop_stale(const std::set<std::string>& live, Clock::time_point now,
                               Clock::duration grace);
  std::vector<Gone> drop(const std::string& node);

  bool has_channel(const std::string& channel) const { return channels_.contains(channel); }
  std::size_t channel_size(const std::string& channel) const;
  // Members of `channel` on other nodes.
  std::vector<Member> members(const std::string& channel) const;
  // Where a user has a session (by id, or by case-folded name).
  const std::string* node_of(uint64_t user_id) const;
  std::optional<Located> find_by_folded_name(const std::string& folded) const;
  // Users with a session on other nodes.
  std::size_t online_count() const { return where_.size(); }
  std::size_t nodes() const { return nodes_.size(); }

 private:
  struct User {
    std::string username;
    std::set<std::string> channels;
  };
  struct Node {
    std::unordered_map<uint64_t, User> users;
    Clock::time_point heard{};
  };
  // channel -> user -> node (an index over nodes_).
  using ChannelIndex = std::unordered_map<std::string, std::unordered_map<uint64_t, std::string>>;

  void unindex_user(const std::string& node, uint64_t user_id, const User& user);
  User* user_of(const std::string& node, uint64_t user_id);

  std::unordered_map<std::string, Node> nodes_;
  ChannelIndex channels_;
  std::unordered_map<uint64_t, std::string> where_;    // user -> node
  std::unordered_map<std::string, uint64_t> by_name_;  // folded name -> user
};

}  // namespace citadel::services
