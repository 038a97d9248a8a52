// The chat service's door to the other nodes of a fleet (issue 18, docs/fleet.md
// "Chat across the fleet"). ChatService hands every event the other nodes must
// know (a channel message, a private message for a user there, a session
// starting or ending, a named channel joined or left) to a ChatFanout, and is
// handed theirs back (ChatService::on_fleet_event_in_loop).
//
// Why an interface here: services/ knows nothing of Redis or the fleet
// (layers include one way); the fleet's implementation (fleet/chat,
// FleetChatLink over the Redis stream relay) is composed by the app. Without
// a fleet there is no fanout and chat is what it always was.
//
// Plain data only: this header includes nothing of ours.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace citadel::services {

// One user's session on a node, with the named channels it is in (a kState
// event lists all of a node's).
struct ChatFleetUser {
  uint64_t user_id = 0;
  std::string username;
  std::vector<std::string> channels;
};

struct ChatFleetEvent {
  enum class Kind : uint8_t {
    kMessage = 1,  // channel, user (the sender), username, text, sent_unix_ms
    kPrivate = 2,  // to_node, to_user_id, user (the sender), username, text, sent_unix_ms
    kOnline = 3,   // user, username: a session started on the origin
    kOffline = 4,  // user: the session ended on the origin (its channels left with it)
    kJoin = 5,     // channel, user, username
    kLeave = 6,    // channel, user, username
    kState = 7,    // users: everything the origin holds, replacing what was known of it
    kHello = 8,    // the origin just started: every node answers with its kState
  };
  Kind kind = Kind::kHello;
  std::string channel;
  uint64_t user_id = 0;
  std::string username;
  std::string text;
  int64_t sent_unix_ms = 0;
  std::string to_node;
  uint64_t to_user_id = 0;
  std::vector<ChatFleetUser> users;
};

class ChatFanout {
 public:
  virtual ~ChatFanout() = default;
  // Service loop. Hands `event` to every other node. `done` (may be null)
  // runs later on the service loop: true once the fleet's transport took it,
  // false when it did not (Redis away): then the other nodes never see it.
  virtual void publish(const ChatFleetEvent& event, std::function<void(bool ok)> done) = 0;
};

}  // namespace citadel::services
