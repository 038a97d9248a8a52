#include "services/chat/chat_service.h"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>

#include "protocol/commands.h"
#include "protocol/flatbuffers_text.h"
#include "protocol/utf8.h"
#include "server/verified_handler.h"

namespace citadel::services {

namespace {

constexpr std::size_t kMaxChannelNameChars = 32;

net::SharedBytes encode_message(uint64_t push_id, std::string_view channel, uint64_t from_id,
                                std::string_view from_name, std::string_view text, int64_t sent_ms,
                                bool is_private) {
  flatbuffers::FlatBufferBuilder fbb(128 + text.size());
  const auto c = fbb.CreateString(channel), n = fbb.CreateString(from_name),
             t = fbb.CreateString(text);
  fbb.Finish(msg::CreateChatMessage(fbb, push_id, c, from_id, n, t, static_cast<uint64_t>(sent_ms),
                                    is_private));
  return server::make_shared_frame(protocol::cmd::kChatMessage,
                                   {fbb.GetBufferPointer(), fbb.GetSize()});
}

}  // namespace

bool valid_channel_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxChannelNameChars) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

ChatService::ChatService(net::EventLoop& service_loop, server::Outbox& outbox,
                         SessionRegistry& sessions, store::ChatHistoryStore& history,
                         const ChatConfig& config)
    : loop_(service_loop),
      outbox_(outbox),
      sessions_(sessions),
      history_(history),
      config_(config),
      max_message_bytes_(config.max_message_bytes) {
  channels_[config_.world_channel];
}

void ChatService::apply_limits(const ChatConfig& config) {
  max_message_bytes_.store(config.max_message_bytes, std::memory_order_relaxed);
  loop_.post([this, config] {
    const std::string world = config_.world_channel;
    config_ = config;
    config_.world_channel = world;
  });
}

void ChatService::register_handlers(server::Router& router) {
  using server::Access;
  using server::verified;
  auto request = [](net::Responder& peer, uint32_t request_id) {
    return Request{peer.connection_id(), peer.user_id(), request_id};
  };
  // Text is checked where it arrives, so a bad message costs the service
  // loop no copy and no UTF-8 scan. The refusal still goes out through the
  // service loop, behind the chat requests before it: every ChatReply
  // leaves in request order (docs/protocol.md, "Reply order").
  auto text_problem = [this](std::string_view text) -> std::optional<Result> {
    if (text.empty() || text.size() > max_message_bytes_.load(std::memory_order_relaxed)) {
      return Result::MessageTooLong;
    }
    // NUL is valid UTF-8 but no store keeps it as text (PostgreSQL refuses it).
    if (!protocol::is_valid_utf8(text) || text.find('\0') != std::string_view::npos) {
      return Result::InvalidUtf8;
    }
    return std::nullopt;
  };
  auto refuse = [this](const Request& req, Result r, std::string_view channel = {}) {
    loop_.post([this, req, r, channel = std::string(channel)] {
      reply(req, r,
            r == Result::MessageTooLong
                ? "message must be 1 to " + std::to_string(config_.max_message_bytes) + " bytes"
                : "message must be UTF-8 without NUL bytes",
            channel);
    });
  };

  for (const bool create : {true, false}) {
    router.add(create ? protocol::cmd::kChatCreate : protocol::cmd::kChatJoin,
               create ? verified<msg::ChatCreate>([this, request, create](auto& p, const auto& m) {
                 loop_.post([this, req = request(p, m.request_id()),
                             name = std::string(protocol::text_of(m.channel())),
                             create] { create_or_join_in_loop(req, name, create); });
               })
                      : verified<msg::ChatJoin>([this, request, create](auto& p, const auto& m) {
                          loop_.post([this, req = request(p, m.request_id()),
                                      name = std::string(protocol::text_of(m.channel())),
                                      create] { create_or_join_in_loop(req, name, create); });
                        }),
               Access::kLoggedIn);
  }
  router.add(protocol::cmd::kChatLeave,
             verified<msg::ChatLeave>([this, request](auto& p, const auto& m) {
               loop_.post([this, req = request(p, m.request_id()),
                           name = std::string(protocol::text_of(m.channel()))] {
                 leave_in_loop(req, name);
               });
             }),
             Access::kLoggedIn);
  router.add(protocol::cmd::kChatSend,
             verified<msg::ChatSend>([this, request, text_problem, refuse](auto& p, const auto& m) {
               const auto req = request(p, m.request_id());
               if (auto problem = text_problem(protocol::text_of(m.text()))) {
                 return refuse(req, *problem, protocol::text_of(m.channel()));
               }
               loop_.post([this, req, channel = std::string(protocol::text_of(m.channel())),
                           text = std::string(protocol::text_of(m.text()))] {
                 send_in_loop(req, channel, text);
               });
             }),
             Access::kLoggedIn);
  router.add(
      protocol::cmd::kChatPrivate,
      verified<msg::ChatPrivate>([this, request, text_problem, refuse](auto& p, const auto& m) {
        const auto req = request(p, m.request_id());
        if (auto problem = text_problem(protocol::text_of(m.text()))) return refuse(req, *problem);
        loop_.post([this, req, to = m.to_user_id(),
                    name = std::string(protocol::text_of(m.to_username())),
                    text = std::string(protocol::text_of(m.text()))] {
          private_in_loop(req, to, name, text);
        });
      }),
      Access::kLoggedIn);
  router.add(protocol::cmd::kChatMembers,
             verified<msg::ChatMembers>([this, request](auto& p, const auto& m) {
               loop_.post([this, req = request(p, m.request_id()),
                           name = std::string(protocol::text_of(m.channel()))] {
                 members_in_loop(req, name);
               });
             }),
             Access::kLoggedIn);
  router.add(protocol::cmd::kChatOnlineCount,
             verified<msg::ChatOnlineCount>([this, request](auto& p, const auto& m) {
               loop_.post([this, req = request(p, m.request_id())] {
                 flatbuffers::FlatBufferBuilder fbb(64);
                 // In a fleet: with the users who have a session on another node.
                 send_reply(req, fbb, Result::Ok, "ok", config_.world_channel, 0,
                            sessions_.online_in_loop() + fleet_.online_count());
               });
             }),
             Access::kLoggedIn);
}

// ---- service loop ----

void ChatService::on_session_start_in_loop(const Session& s) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  channels_[config_.world_channel].members.insert(s.user_id);
  UserState& user = users_[s.user_id];
  user.tokens = config_.message_burst;
  user.refilled = net::EventLoop::Clock::now();
  if (fanout_ != nullptr) {
    out_.kind = ChatFleetEvent::Kind::kOnline;
    out_.user_id = s.user_id;
    out_.username = s.username;
    publish_in_loop();
  }
}

void ChatService::on_session_end_in_loop(const Session& s) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  auto it = users_.find(s.user_id);
  if (it != users_.end()) {
    for (const std::string& name : it->second.channels) {
      remove_member_in_loop(s.user_id, name);
      presence_in_loop(name, s, false);
    }
    it->second.replies.flush(
        [this](uint64_t connection_id, net::SharedBytes f) { outbox_.send(connection_id, f); });
    users_.erase(it);
  }
  channels_[config_.world_channel].members.erase(s.user_id);
  // The other nodes take the user out of every channel it was in here.
  if (fanout_ != nullptr) {
    out_.kind = ChatFleetEvent::Kind::kOffline;
    out_.user_id = s.user_id;
    publish_in_loop();
  }
}

std::vector<std::string> ChatService::channels_of_in_loop(uint64_t user_id) const {
  CITADEL_ASSERT_IN_LOOP(loop_);
  auto it = users_.find(user_id);
  return it == users_.end() ? std::vector<std::string>{} : it->second.channels;
}

void ChatService::restore_channels_in_loop(uint64_t user_id,
                                           const std::vector<std::string>& channels) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  UserState& user = users_[user_id];
  for (const std::string& name : channels) {
    if (!valid_channel_name(name) || name == config_.world_channel) continue;
    if (!channels_[name].members.insert(user_id).second) continue;
    user.channels.push_back(name);
  }
}

void ChatService::create_or_join_in_loop(Request req, std::string name, bool create) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (!valid_channel_name(name)) {
    return reply(req, Result::InvalidChannelName, "channel: 1 to 32 of A-Z a-z 0-9 _ - .", name);
  }
  // In a fleet a channel exists while it has members on any node.
  const bool exists = channels_.contains(name) || fleet_.has_channel(name);
  if (create && exists) return reply(req, Result::ChannelExists, "channel exists", name);
  if (!create && !exists) return reply(req, Result::NoSuchChannel, "no such channel", name);
  if (name == config_.world_channel) return reply(req, Result::Ok, "already a member", name);
  UserState& user = users_[req.user_id];
  Channel& channel = channels_[name];
  if (!channel.members.contains(req.user_id)) {
    if (user.channels.size() >= config_.max_channels_per_user) {
      if (channel.members.empty()) channels_.erase(name);
      return reply(req, Result::TooManyChannels,
                   "at most " + std::to_string(config_.max_channels_per_user) + " channels", name);
    }
    channel.members.insert(req.user_id);
    user.channels.push_back(name);
    sessions_.mark_changed_in_loop(req.user_id);
    if (const Session* s = sessions_.find_in_loop(req.user_id)) {
      presence_in_loop(name, *s, true);
      if (fanout_ != nullptr) {
        out_.kind = ChatFleetEvent::Kind::kJoin;
        out_.channel = name;
        out_.user_id = s->user_id;
        out_.username = s->username;
        publish_in_loop();
      }
    }
  }
  // The reply carries the channel's recent history, read from the store.
  // Replies to this user's later chat requests wait behind it.
  const ReplySequencer::Ticket ticket = user.replies.reserve();
  history_.load_recent(
      name, config_.history_on_join, [this, req, name, ticket](store::HistoryResult r) {
        loop_.post([this, req, name, ticket, r = std::move(r)] {
          flatbuffers::FlatBufferBuilder fbb(256);
          std::vector<flatbuffers::Offset<msg::ChatMessage>> history;
          for (const auto& m : r.value) {
            const auto c = fbb.CreateString(name), n = fbb.CreateString(m.sender_name),
                       t = fbb.CreateString(m.text);
            history.push_back(msg::CreateChatMessage(fbb, 0, c, static_cast<uint64_t>(m.sender_id),
                                                     n, t,
                                                     static_cast<uint64_t>(m.sent_at_unix_ms)));
          }
          const auto history_off = fbb.CreateVector(history);
          // Who is here now (the joiner included), as ChatMembers would say;
          // past presence_max_members the list is left out, as presence is.
          auto it = channels_.find(name);
          const bool listed =
              it != channels_.end() && channel_size_in_loop(name) <= config_.presence_max_members;
          const auto members =
              listed ? member_list_in_loop(fbb, it->second, name) : MembersOffset{};
          std::string text = r.ok() ? "joined" : "joined; history unavailable";
          if (!listed) text += "; members not listed in a channel this large: ask ChatMembers";
          auto frame = encode_reply(req, fbb, Result::Ok, text, name, members, 0, history_off);
          auto send = [this](uint64_t connection_id, net::SharedBytes f) {
            outbox_.send(connection_id, std::move(f));
          };
          auto user = users_.find(req.user_id);
          if (user == users_.end()) return send(req.connection_id, std::move(frame));
          user->second.replies.fill(ticket, req.connection_id, std::move(frame), send);
        });
      });
}

void ChatService::leave_in_loop(Request req, const std::string& name) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  auto it = channels_.find(name);
  if (it == channels_.end() || name == config_.world_channel ||
      !it->second.members.contains(req.user_id)) {
    return reply(req, Result::NotMember, "not a member", name);
  }
  remove_member_in_loop(req.user_id, name);
  auto& joined = users_[req.user_id].channels;
  joined.erase(std::remove(joined.begin(), joined.end(), name), joined.end());
  sessions_.mark_changed_in_loop(req.user_id);
  if (const Session* s = sessions_.find_in_loop(req.user_id)) {
    presence_in_loop(name, *s, false);
    if (fanout_ != nullptr) {
      out_.kind = ChatFleetEvent::Kind::kLeave;
      out_.channel = name;
      out_.user_id = s->user_id;
      out_.username = s->username;
      publish_in_loop();
    }
  }
  reply(req, Result::Ok, "left", name);
}

void ChatService::send_in_loop(Request req, const std::string& name, const std::string& text) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  auto it = channels_.find(name);
  if (it == channels_.end()) return reply(req, Result::NoSuchChannel, "no such channel", name);
  if (!it->second.members.contains(req.user_id)) {
    return reply(req, Result::NotMember, "not a member", name);
  }
  UserState& user = users_[req.user_id];
  if (!take_token_in_loop(user)) return reply(req, Result::RateLimited, "slow down", name);
  const Session* from = sessions_.find_in_loop(req.user_id);
  // Logged out meanwhile: every request still gets its one reply.
  if (from == nullptr) return reply(req, Result::NotMember, "not logged in", name);
  const int64_t now_ms = unix_ms_now();
  // The sender's Ok waits until the message is on disk (an acknowledged
  // message survives a crash); the members get it now. Replies to the
  // sender's later chat requests wait behind this one.
  const ReplySequencer::Ticket ticket = user.replies.reserve();
  const bool queued = history_.append(
      name, static_cast<int64_t>(req.user_id), from->username, text, now_ms,
      [this, req, name, ticket](store::HistoryAppendResult stored) {
        loop_.post([this, req, name, ticket, error = stored.error] {
          flatbuffers::FlatBufferBuilder fbb(128);
          net::SharedBytes frame;
          switch (error) {
            case store::StoreError::kOk:
              frame = encode_reply(req, fbb, Result::Ok, "sent", name);
              break;
            case store::StoreError::kOverloaded:
            case store::StoreError::kShuttingDown:
              frame = encode_reply(req, fbb, Result::InternalError,
                                   "not sent: the message store is busy; retry", name);
              break;
            default:
              frame = encode_reply(req, fbb, Result::InternalError,
                                   "sent to the channel's members, but not stored", name);
              break;
          }
          auto send = [this](uint64_t connection_id, net::SharedBytes f) {
            outbox_.send(connection_id, std::move(f));
          };
          auto user = users_.find(req.user_id);
          if (user == users_.end()) return send(req.connection_id, std::move(frame));
          user->second.replies.fill(ticket, req.connection_id, std::move(frame), send);
        });
      });
  if (!queued) return;  // refused: nobody gets it, and the reply says so
  const uint64_t push_id = sessions_.next_push_id_in_loop();
  const std::vector<uint64_t> members(it->second.members.begin(), it->second.members.end());
  sessions_.push_in_loop(
      members, push_id,
      encode_message(push_id, name, req.user_id, from->username, text, now_ms, false));
  // The other nodes deliver it to their members of the channel, in the
  // order this node published (one stream, one writer connection).
  if (fanout_ != nullptr) {
    out_.kind = ChatFleetEvent::Kind::kMessage;
    out_.channel = name;
    out_.user_id = req.user_id;
    out_.username = from->username;
    out_.text = text;
    out_.sent_unix_ms = now_ms;
    publish_in_loop();
  }
}

void ChatService::private_in_loop(Request req, uint64_t to_id, const std::string& to_name,
                                  const std::string& text) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  const Session* to =
      to_id != 0 ? sessions_.find_in_loop(to_id) : sessions_.find_by_name_in_loop(to_name);
  const Session* from = sessions_.find_in_loop(req.user_id);
  if (to == nullptr && from != nullptr && fanout_ != nullptr) {
    // Not here: maybe on another node of the fleet.
    std::optional<FleetChatDirectory::Located> there;
    if (to_id != 0) {
      if (const std::string* node = fleet_.node_of(to_id)) there = {*node, to_id};
    } else {
      there = fleet_.find_by_folded_name(fold_username(to_name));
    }
    if (there) {
      UserState& user = users_[req.user_id];
      if (!take_token_in_loop(user)) return reply(req, Result::RateLimited, "slow down");
      out_.kind = ChatFleetEvent::Kind::kPrivate;
      out_.to_node = there->node;
      out_.to_user_id = there->user_id;
      out_.user_id = req.user_id;
      out_.username = from->username;
      out_.text = text;
      out_.sent_unix_ms = unix_ms_now();
      // The Ok says the fleet took it; replies to this user's later chat
      // requests wait behind it.
      const ReplySequencer::Ticket ticket = user.replies.reserve();
      return publish_in_loop([this, req, ticket](bool ok) {
        flatbuffers::FlatBufferBuilder fbb(128);
        auto frame = ok ? encode_reply(req, fbb, Result::Ok, "sent", {})
                        : encode_reply(req, fbb, Result::InternalError,
                                       "not sent: the link to the user's node is down; retry", {});
        auto send = [this](uint64_t connection_id, net::SharedBytes f) {
          outbox_.send(connection_id, std::move(f));
        };
        auto user = users_.find(req.user_id);
        if (user == users_.end()) return send(req.connection_id, std::move(frame));
        user->second.replies.fill(ticket, req.connection_id, std::move(frame), send);
      });
    }
  }
  if (to == nullptr || from == nullptr)
    return reply(req, Result::NoSuchUser, "no such user online");
  if (!take_token_in_loop(users_[req.user_id])) return reply(req, Result::RateLimited, "slow down");
  const uint64_t push_id = sessions_.next_push_id_in_loop();
  sessions_.push_in_loop(
      {to->user_id}, push_id,
      encode_message(push_id, {}, req.user_id, from->username, text, unix_ms_now(), true));
  reply(req, Result::Ok, "sent");
}

void ChatService::members_in_loop(Request req, const std::string& name) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  auto it = channels_.find(name);
  if (it == channels_.end() && !fleet_.has_channel(name)) {
    return reply(req, Result::NoSuchChannel, "no such channel", name);
  }
  if (name == config_.world_channel) {
    return reply(req, Result::Ok, "the world channel lists no members; ask for the online count",
                 name);
  }
  flatbuffers::FlatBufferBuilder fbb(256);
  static const Channel kNone;
  const auto members = member_list_in_loop(fbb, it == channels_.end() ? kNone : it->second, name);
  send_reply(req, fbb, Result::Ok, "ok", name, members);
}

ChatService::MembersOffset ChatService::member_list_in_loop(flatbuffers::FlatBufferBuilder& fbb,
                                                            const Channel& channel,
                                                            const std::string& name) {
  std::vector<flatbuffers::Offset<msg::Member>> members;
  members.reserve(channel.members.size());
  for (uint64_t user_id : channel.members) {
    const Session* s = sessions_.find_in_loop(user_id);
    if (s == nullptr) continue;
    members.push_back(
        msg::CreateMember(fbb, user_id, fbb.CreateString(s->username), s->attached()));
  }
  // Members on other nodes: their session lives there (whether it is
  // attached is that node's business), so they are listed online.
  for (const auto& m : fleet_.members(name)) {
    if (channel.members.contains(m.user_id)) continue;  // logged in here as well
    members.push_back(msg::CreateMember(fbb, m.user_id, fbb.CreateString(*m.username), true));
  }
  return fbb.CreateVector(members);
}

bool ChatService::take_token_in_loop(UserState& user) {
  const auto now = net::EventLoop::Clock::now();
  const double elapsed = std::chrono::duration<double>(now - user.refilled).count();
  user.tokens =
      std::min(config_.message_burst, user.tokens + elapsed * config_.messages_per_second);
  user.refilled = now;
  if (user.tokens < 1.0) return false;
  user.tokens -= 1.0;
  return true;
}

void ChatService::presence_in_loop(const std::string& name, const Session& who, bool online) {
  auto it = channels_.find(name);
  if (it == channels_.end() || name == config_.world_channel) return;
  // In a crowd, presence costs members^2 messages as people come and go;
  // past the cap a channel behaves like the world channel (ask for members).
  if (channel_size_in_loop(name) > config_.presence_max_members) return;
  std::vector<uint64_t> others;
  for (uint64_t member : it->second.members) {
    if (member != who.user_id) others.push_back(member);
  }
  if (others.empty()) return;
  const uint64_t push_id = sessions_.next_push_id_in_loop();
  flatbuffers::FlatBufferBuilder fbb(128);
  const auto c = fbb.CreateString(name), n = fbb.CreateString(who.username);
  fbb.Finish(msg::CreatePresence(fbb, push_id, c, who.user_id, n, online));
  sessions_.push_in_loop(
      others, push_id,
      server::make_shared_frame(protocol::cmd::kPresence, {fbb.GetBufferPointer(), fbb.GetSize()}));
}

void ChatService::remove_member_in_loop(uint64_t user_id, const std::string& name) {
  auto it = channels_.find(name);
  if (it == channels_.end()) return;
  it->second.members.erase(user_id);
  // Named channels live while they have members.
  if (it->second.members.empty() && name != config_.world_channel) channels_.erase(it);
}

// ---- fleet (service loop) ----

void ChatService::attach_fleet_in_loop(ChatFanout& fanout, std::string self_node,
                                       std::chrono::milliseconds node_grace) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  fanout_ = &fanout;
  self_node_ = std::move(self_node);
  node_grace_ = node_grace;
  ++fleet_generation_;
  prune_fleet_in_loop();
}

void ChatService::detach_fleet_in_loop() {
  CITADEL_ASSERT_IN_LOOP(loop_);
  fanout_ = nullptr;
  ++fleet_generation_;  // the prune and resync timers stop
  resync_pending_ = false;
}

void ChatService::fleet_ready_in_loop() {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (fanout_ == nullptr) return;
  // Nodes that started before this one answer with their state; ours
  // tells them who is here (sessions restored after a crash included).
  out_.kind = ChatFleetEvent::Kind::kHello;
  publish_in_loop([this, generation = fleet_generation_](bool ok) {
    // Redis not there yet: say it again shortly (the state goes with it).
    if (ok || generation != fleet_generation_) return;
    loop_.run_at_in_loop(net::EventLoop::Clock::now() + std::chrono::milliseconds(250),
                         [this, generation] {
                           if (generation == fleet_generation_) fleet_ready_in_loop();
                         });
  });
  publish_state_in_loop();
}

void ChatService::publish_in_loop(std::function<void(bool)> done) {
  if (fanout_ == nullptr) {
    if (done) done(false);
    return;
  }
  fanout_->publish(out_, [this, generation = fleet_generation_, done = std::move(done)](bool ok) {
    if (!ok && generation == fleet_generation_) schedule_resync_in_loop();
    if (done) done(ok);
  });
}

void ChatService::publish_state_in_loop() {
  out_.kind = ChatFleetEvent::Kind::kState;
  out_.users.clear();
  out_.users.reserve(users_.size());
  for (const auto& [user_id, user] : users_) {
    const Session* s = sessions_.find_in_loop(user_id);
    if (s == nullptr) continue;
    out_.users.push_back({user_id, s->username, user.channels});
  }
  publish_in_loop();
  out_.users.clear();
}

void ChatService::schedule_resync_in_loop() {
  // An event the other nodes missed (Redis away) leaves their picture of
  // this node wrong; the whole state, sent once Redis takes it again,
  // replaces it. Tried every 250 ms until it goes through.
  if (resync_pending_) return;
  resync_pending_ = true;
  loop_.run_at_in_loop(net::EventLoop::Clock::now() + std::chrono::milliseconds(250),
                       [this, generation = fleet_generation_] {
                         if (generation != fleet_generation_) return;
                         resync_pending_ = false;
                         publish_state_in_loop();
                       });
}

void ChatService::on_fleet_nodes_in_loop(std::set<std::string> live) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  live_nodes_ = std::move(live);
  live_known_ = true;
  if (fanout_ == nullptr) return;
  for (const auto& g :
       fleet_.drop_stale(live_nodes_, std::chrono::steady_clock::now(), node_grace_)) {
    remote_presence_in_loop(g.channel, g.user_id, g.username, false);
  }
}

void ChatService::prune_fleet_in_loop() {
  // Every 500 ms: a node that died right after it spoke was heard from
  // within the grace when the table dropped it; this catches it later.
  if (fanout_ == nullptr) return;
  if (live_known_) on_fleet_nodes_in_loop(live_nodes_);
  loop_.run_at_in_loop(net::EventLoop::Clock::now() + std::chrono::milliseconds(500),
                       [this, generation = fleet_generation_] {
                         if (generation == fleet_generation_) prune_fleet_in_loop();
                       });
}

std::size_t ChatService::channel_size_in_loop(const std::string& name) const {
  auto it = channels_.find(name);
  const std::size_t here = it == channels_.end() ? 0 : it->second.members.size();
  return here + fleet_.channel_size(name);
}

std::size_t ChatService::remote_presence_in_loop(const std::string& name, uint64_t user_id,
                                                 std::string_view username, bool online) {
  auto it = channels_.find(name);
  if (it == channels_.end() || name == config_.world_channel) return 0;
  if (channel_size_in_loop(name) > config_.presence_max_members) return 0;
  std::vector<uint64_t> members;
  members.reserve(it->second.members.size());
  for (uint64_t member : it->second.members) {
    if (member != user_id) members.push_back(member);
  }
  if (members.empty()) return 0;
  const uint64_t push_id = sessions_.next_push_id_in_loop();
  flatbuffers::FlatBufferBuilder fbb(128);
  const auto c = fbb.CreateString(name), n = fbb.CreateString(username);
  fbb.Finish(msg::CreatePresence(fbb, push_id, c, user_id, n, online));
  sessions_.push_in_loop(
      members, push_id,
      server::make_shared_frame(protocol::cmd::kPresence, {fbb.GetBufferPointer(), fbb.GetSize()}));
  return members.size();
}

std::size_t ChatService::on_fleet_event_in_loop(const std::string& origin,
                                                const ChatFleetEvent& e) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (fanout_ == nullptr || origin == self_node_) return 0;
  fleet_.heard(origin, std::chrono::steady_clock::now());
  using Kind = ChatFleetEvent::Kind;
  switch (e.kind) {
    case Kind::kMessage: {
      auto it = channels_.find(e.channel);
      if (it == channels_.end() || it->second.members.empty()) return 0;
      const uint64_t push_id = sessions_.next_push_id_in_loop();
      const std::vector<uint64_t> members(it->second.members.begin(), it->second.members.end());
      sessions_.push_in_loop(
          members, push_id,
          encode_message(push_id, e.channel, e.user_id, e.username, e.text, e.sent_unix_ms, false));
      return members.size();
    }
    case Kind::kPrivate: {
      if (e.to_node != self_node_) return 0;
      const Session* to = sessions_.find_in_loop(e.to_user_id);
      // Gone since the sender's node looked: as for a user who logs out
      // just after a private message reached them, it is not kept.
      if (to == nullptr) return 0;
      const uint64_t push_id = sessions_.next_push_id_in_loop();
      sessions_.push_in_loop(
          {to->user_id}, push_id,
          encode_message(push_id, {}, e.user_id, e.username, e.text, e.sent_unix_ms, true));
      return 1;
    }
    case Kind::kOnline:
      fleet_.online(origin, e.user_id, e.username);
      return 0;
    case Kind::kOffline: {
      std::size_t delivered = 0;
      for (const auto& g : fleet_.offline(origin, e.user_id)) {
        delivered += remote_presence_in_loop(g.channel, g.user_id, g.username, false);
      }
      return delivered;
    }
    case Kind::kJoin:
      if (!fleet_.join(origin, e.channel, e.user_id, e.username)) return 0;
      return remote_presence_in_loop(e.channel, e.user_id, e.username, true);
    case Kind::kLeave:
      if (!fleet_.leave(origin, e.channel, e.user_id)) return 0;
      return remote_presence_in_loop(e.channel, e.user_id, e.username, false);
    case Kind::kState:
      // No presence for what a state changes: it repairs the picture after
      // an outage, and the members here were told what was heard.
      fleet_.replace(origin, e.users);
      return 0;
    case Kind::kHello:
      publish_state_in_loop();
      return 0;
  }
  return 0;
}

void ChatService::reply(const Request& req, Result result, std::string_view message,
                        std::string_view channel) {
  flatbuffers::FlatBufferBuilder fbb(128);
  send_reply(req, fbb, result, message, channel);
}

// Vectors must be built before the reply table: callers that send members or
// history build them in `fbb` first and pass their offsets.
net::SharedBytes ChatService::encode_reply(const Request& req, flatbuffers::FlatBufferBuilder& fbb,
                                           Result result, std::string_view message,
                                           std::string_view channel, MembersOffset members,
                                           uint64_t online_count, HistoryOffset history) {
  const auto m = fbb.CreateString(message), c = fbb.CreateString(channel);
  fbb.Finish(
      msg::CreateChatReply(fbb, req.request_id, result, m, c, members, online_count, history));
  return server::make_shared_frame(protocol::cmd::kChatReply,
                                   {fbb.GetBufferPointer(), fbb.GetSize()});
}

void ChatService::send_reply(const Request& req, flatbuffers::FlatBufferBuilder& fbb, Result result,
                             std::string_view message, std::string_view channel,
                             MembersOffset members, uint64_t online_count, HistoryOffset history) {
  deliver_in_loop(req,
                  encode_reply(req, fbb, result, message, channel, members, online_count, history));
}

void ChatService::deliver_in_loop(const Request& req, net::SharedBytes frame) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  auto send = [this](uint64_t connection_id, net::SharedBytes f) {
    outbox_.send(connection_id, std::move(f));
  };
  auto it = users_.find(req.user_id);
  if (it == users_.end()) return send(req.connection_id, std::move(frame));
  it->second.replies.ready(req.connection_id, std::move(frame), send);
}

}  // namespace citadel::services
