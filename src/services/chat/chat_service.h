// Chat: the world channel (every logged-in user, joined at login), named
// channels (create, join, leave, members), private messages, presence.
//
// Threads: handlers check shape, length and UTF-8 on the connection's loop,
// then post to the service loop, which owns every channel and member list.
// A message is encoded once into a shared frame and handed to the session
// registry, which records it for resume and queues the same bytes to every
// member's connection (one task per loop).
//
// Presence: joining a named channel tells its members "online"; leaving it,
// or the session ending (logout past the grace period), tells them
// "offline". The world channel never broadcasts presence (with thousands
// online, every login would become thousands of messages); it answers an
// online count on request.
//
// In a fleet (attach_fleet_in_loop; docs/fleet.md "Chat across the fleet")
// every event the other nodes must know goes to a ChatFanout as well, and
// theirs come back through on_fleet_event_in_loop: their members count in
// member lists, presence, channel existence, private message routes and
// the online count (FleetChatDirectory). Local members still get local
// messages straight from here, never through the fleet's transport.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "net/event_loop.h"
#include "protocol/chat_generated.h"
#include "server/outbox.h"
#include "server/router.h"
#include "services/chat/chat_fanout.h"
#include "services/chat/fleet_directory.h"
#include "services/chat/reply_sequencer.h"
#include "services/session/session_registry.h"
#include "store/chat_history_store.h"

namespace citadel::services {

struct ChatConfig {
  std::string world_channel = "world";
  uint32_t max_message_bytes = 512;
  uint32_t max_channels_per_user = 16;  // named channels, the world not counted
  double messages_per_second = 5;       // per user, token bucket ...
  double message_burst = 10;            // ... of this size
  uint32_t history_on_join = 50;        // messages sent with a join
  uint32_t presence_max_members = 500;  // larger channels send no online/offline events
};

class ChatService {
 public:
  ChatService(net::EventLoop& service_loop, server::Outbox& outbox, SessionRegistry& sessions,
              store::ChatHistoryStore& history, const ChatConfig& config);

  // Start-up: every chat command, logged-in users only.
  void register_handlers(server::Router& router);
  // A reload's new limits (any thread). The world channel's name stays.
  // Users keep their tokens; the new rate and burst apply from their next
  // message. Channels already past a smaller presence_max_members stop
  // sending presence; a smaller max_channels_per_user keeps the channels a
  // user is in and refuses the next join.
  void apply_limits(const ChatConfig& config);
  // Session hooks (service loop).
  void on_session_start_in_loop(const Session& s);
  void on_session_end_in_loop(const Session& s);
  // Crash recovery (service loop): the named channels a user is in, and
  // the same put back after a restart (no presence, no history: the
  // members were offline meanwhile, and a resume after a restart resyncs).
  std::vector<std::string> channels_of_in_loop(uint64_t user_id) const;
  void restore_channels_in_loop(uint64_t user_id, const std::vector<std::string>& channels);

  // Fleet (service loop). From now on events go to `fanout` too (it must
  // outlive the service or be detached first). `self_node`: this node's
  // id, the target of private messages for users here. A node the live
  // table no longer lists loses its users here once it has been silent for
  // `node_grace`.
  void attach_fleet_in_loop(ChatFanout& fanout, std::string self_node,
                            std::chrono::milliseconds node_grace);
  void detach_fleet_in_loop();
  // The fanout reads the other nodes' events now: ask them for their state
  // and tell them ours.
  void fleet_ready_in_loop();
  // Another node's event; returns how many local deliveries it made.
  std::size_t on_fleet_event_in_loop(const std::string& origin, const ChatFleetEvent& event);
  // The fleet's live nodes (their ids), after every change of the table.
  void on_fleet_nodes_in_loop(std::set<std::string> live);
  const FleetChatDirectory& fleet_directory() const { return fleet_; }

 private:
  using Result = msg::ChatResult;
  struct Request {
    uint64_t connection_id = 0;
    uint64_t user_id = 0;
    uint32_t request_id = 0;
  };
  struct Channel {
    std::unordered_set<uint64_t> members;
  };
  struct UserState {
    std::vector<std::string> channels;  // named channels joined
    double tokens = 0;
    std::chrono::steady_clock::time_point refilled{};
    ReplySequencer replies;  // every ChatReply in request order
  };

  // Service loop.
  void create_or_join_in_loop(Request req, std::string name, bool create);
  void leave_in_loop(Request req, const std::string& name);
  void send_in_loop(Request req, const std::string& channel, const std::string& text);
  void private_in_loop(Request req, uint64_t to_id, const std::string& to_name,
                       const std::string& text);
  void members_in_loop(Request req, const std::string& name);
  bool take_token_in_loop(UserState& user);
  void presence_in_loop(const std::string& channel, const Session& who, bool online);
  void remove_member_in_loop(uint64_t user_id, const std::string& channel);
  using MembersOffset = flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<msg::Member>>>;
  using HistoryOffset =
      flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<msg::ChatMessage>>>;
  // Members of the channel with a session, built into fbb (before the reply table).
  // In a fleet, with the channel's members on other nodes.
  MembersOffset member_list_in_loop(flatbuffers::FlatBufferBuilder& fbb, const Channel& channel,
                                    const std::string& name);
  void reply(const Request& req, Result result, std::string_view message,
             std::string_view channel = {});
  void send_reply(const Request& req, flatbuffers::FlatBufferBuilder& fbb, Result result,
                  std::string_view message, std::string_view channel, MembersOffset members = 0,
                  uint64_t online_count = 0, HistoryOffset history = 0);
  // Finishes the reply table in fbb and frames it.
  static net::SharedBytes encode_reply(const Request& req, flatbuffers::FlatBufferBuilder& fbb,
                                       Result result, std::string_view message,
                                       std::string_view channel, MembersOffset members = 0,
                                       uint64_t online_count = 0, HistoryOffset history = 0);
  // Sends a ready reply, behind any of the user's replies still waiting.
  void deliver_in_loop(const Request& req, net::SharedBytes frame);
  // Fleet: hands an event to the fanout (nothing without one); a failure
  // schedules a resend of this node's whole state.
  void publish_in_loop(std::function<void(bool ok)> done = nullptr);
  void publish_state_in_loop();
  void schedule_resync_in_loop();
  void prune_fleet_in_loop();
  // Presence to this node's members of `channel` about a user elsewhere.
  std::size_t remote_presence_in_loop(const std::string& channel, uint64_t user_id,
                                      std::string_view username, bool online);
  std::size_t channel_size_in_loop(const std::string& name) const;

  net::EventLoop& loop_;
  server::Outbox& outbox_;
  SessionRegistry& sessions_;
  store::ChatHistoryStore& history_;
  ChatConfig config_;  // service loop
  // Read on every connection's loop (a message's length is checked where it
  // arrives), so this one field is atomic; a reload stores it.
  std::atomic<uint32_t> max_message_bytes_;
  std::unordered_map<std::string, Channel> channels_;
  std::unordered_map<uint64_t, UserState> users_;

  // Fleet (service loop).
  ChatFanout* fanout_ = nullptr;
  std::string self_node_;
  std::chrono::milliseconds node_grace_{2000};
  FleetChatDirectory fleet_;
  ChatFleetEvent out_;  // the event being published (its strings' capacity reused)
  std::set<std::string> live_nodes_;
  bool live_known_ = false;  // the table was read at least once
  bool resync_pending_ = false;
  uint64_t fleet_generation_ = 0;  // timers of an earlier attach do nothing
};

bool valid_channel_name(std::string_view name);

}  // namespace citadel::services
