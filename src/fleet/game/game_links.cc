#include "fleet/game/game_links.h"

#include <flatbuffers/flatbuffers.h>
#include <boost/asio/ip/address.hpp>

#include <spdlog/spdlog.h>

#include <future>

#include "fleet/game/remote_player.h"
#include "fleet/link/link_listener.h"
#include "fleet/link/link_messages.h"
#include "protocol/commands.h"
#include "protocol/rooms_generated.h"

namespace citadel::fleet {

namespace lcmd = link::lcmd;

// One gateway's link and the players it forwards, on the link's loop.
class GameLinks::PlayerLink final : public link::LinkConnection::Handler,
                                    public std::enable_shared_from_this<PlayerLink> {
 public:
  PlayerLink(GameLinks& owner, net::EventLoop& loop, uint32_t slot, std::string peer)
      : owner_(owner), loop_(loop), slot_(slot), peer_(std::move(peer)) {
    boost::system::error_code ec;
    address_ = boost::asio::ip::make_address(peer_.substr(0, peer_.rfind(':')), ec);
  }

  void adopt_in_loop(net::UniqueFd fd) {
    link_ = std::make_shared<link::LinkConnection>(loop_, *this, owner_.options_.link);
    link_->adopt_in_loop(std::move(fd));
  }
  void close_in_loop(std::string_view why) {
    if (link_) link_->close_in_loop(why);
  }
  uint32_t slot() const { return slot_; }
  net::EventLoop& loop() { return loop_; }

  // The user now sits in room (0: nowhere): tell the gateway, for the
  // player whose remote id this is.
  void seat_changed_in_loop(uint64_t connection_id, uint64_t user_id, uint64_t room_id) {
    auto it = gateway_ids_.find(connection_id);
    if (it == gateway_ids_.end() || !link_) return;
    scratch_.clear();
    link::append_seat_changed(scratch_, it->second, user_id, room_id);
    link_->send_in_loop(scratch_);
  }

  // A room here let the player go: its gateway places it (TransferOut).
  void transfer_out_in_loop(const Transfer& t) {
    auto it = gateway_ids_.find(t.connection_id);
    if (it == gateway_ids_.end() || !link_) return;
    scratch_.clear();
    link::append_transfer(scratch_, lcmd::kTransferOut,
                          link::Transfer{it->second,
                                         t.user_id,
                                         {},
                                         t.from_room,
                                         t.from_type,
                                         t.room_type,
                                         t.room_id,
                                         t.elsewhere,
                                         t.handoff});
    link_->send_in_loop(scratch_);
  }

  void return_leave_in_loop(uint64_t connection_id, uint32_t request_id) {
    auto it = gateway_ids_.find(connection_id);
    if (it == gateway_ids_.end() || !link_) return;  // gone: its close reached the gateway
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateRoomLeave(fbb, request_id));
    scratch_.clear();
    link::append_returned(scratch_, it->second, protocol::cmd::kRoomLeave,
                          std::span<const uint8_t>(fbb.GetBufferPointer(), fbb.GetSize()));
    link_->send_in_loop(scratch_);
  }

  void on_link_open(link::LinkConnection&) override {}

  void on_link_frame(link::LinkConnection& link, uint16_t cmd,
                     std::span<const uint8_t> payload) override {
    if (!welcomed_) return hello_in_loop(link, cmd, payload);
    switch (cmd) {
      case lcmd::kPlayerFrame:
        if (auto m = link::decode_player_frame(payload)) {
          auto it = players_.find(m->conn);
          if (it == players_.end()) return malformed("a frame for a player never opened");
          owner_.dispatcher_.dispatch(*it->second, protocol::FrameView{m->cmd, m->payload});
          frames_forwarded_.fetch_add(1, std::memory_order_relaxed);
          return;
        }
        return malformed("PlayerFrame");
      case lcmd::kPlayerOpen:
        if (auto m = link::decode_player_open(payload)) return open_player(*m);
        return malformed("PlayerOpen");
      case lcmd::kPlayerClosed:
        if (auto m = link::decode_player_closed(payload)) {
          if (auto it = players_.find(m->conn); it != players_.end()) close_player(it);
          return;
        }
        return malformed("PlayerClosed");
      case lcmd::kSessionAttached:
        if (auto m = link::decode_session_attached(payload)) {
          auto it = players_.find(m->conn);
          if (it == players_.end()) return malformed("SessionAttached for a player never opened");
          const uint64_t id = it->second->connection_id();
          if (owner_.hooks_.session_attached) {
            owner_.service_loop_.post(
                [&owner = owner_, user = m->user, id] { owner.hooks_.session_attached(user, id); });
          }
          return;
        }
        return malformed("SessionAttached");
      case lcmd::kTransferMarker:
        if (auto conn = link::decode_conn(payload)) return transfer_marker(*conn);
        return malformed("TransferMarker");
      case lcmd::kTransferIn:
        if (auto m = link::decode_transfer(payload)) return transfer_in(*m);
        return malformed("TransferIn");
      case lcmd::kSessionEnded:
        if (auto user = link::decode_session_ended(payload)) {
          owner_.user_ended(*user);
          if (owner_.hooks_.session_ended) {
            owner_.service_loop_.post(
                [&owner = owner_, user = *user] { owner.hooks_.session_ended(user); });
          }
          return;
        }
        return malformed("SessionEnded");
      default:
        return malformed(link::link_cmd_name(cmd));
    }
  }

  void on_link_closed(link::LinkConnection&, std::string_view why) override {
    auto self = shared_from_this();  // the owner's reference goes below
    spdlog::info("fleet: link from gateway {} ({}) closed: {}; {} players detached",
                 gateway_.empty() ? "?" : gateway_, peer_, why, players_.size());
    while (!players_.empty()) close_player(players_.begin());
    // Nobody will send their SessionEnded now: their seats wait for a
    // gateway to bring them back, for a grace.
    owner_.orphan_users_of(slot_);
    owner_.link_closed(*this);
  }

 private:
  using Players = std::unordered_map<uint64_t, std::unique_ptr<RemotePlayer>>;

  void hello_in_loop(link::LinkConnection& link, uint16_t cmd, std::span<const uint8_t> payload) {
    scratch_.clear();
    const auto hello = cmd == lcmd::kHello ? link::decode_hello(payload) : std::nullopt;
    std::string problem;
    if (!hello) {
      problem = "expected Hello first";
    } else if (hello->version != link::kLinkVersion) {
      problem = "link version " + std::to_string(hello->version) + " is not " +
                std::to_string(link::kLinkVersion);
    } else if (hello->cluster != owner_.options_.cluster) {
      problem =
          "cluster '" + std::string(hello->cluster) + "' is not '" + owner_.options_.cluster + "'";
    }
    if (!problem.empty()) {
      spdlog::warn("fleet: link from {} refused: {}", peer_, problem);
      {
        std::lock_guard lock(owner_.mutex_);
        ++owner_.stats_.links_refused;
      }
      link::append_refused(scratch_, problem);
      link.send_in_loop(scratch_);
      // Written before the close: the gateway reads why.
      loop_.post([weak = weak_from_this(), problem] {
        if (auto self = weak.lock()) self->close_in_loop(problem);
      });
      return;
    }
    welcomed_ = true;
    gateway_ = std::string(hello->node_id);
    spdlog::info("fleet: link from gateway {} ({}) open, slot {}", gateway_, peer_, slot_);
    link::append_welcome(scratch_, owner_.options_.node_id);
    link.send_in_loop(scratch_);
  }

  void open_player(const link::PlayerOpen& m) {
    auto& player = players_[m.conn];
    if (player) {  // opened again (the gateway re-sends): same id, new user if any
      player->set_user_id(m.user);
    } else {
      const uint64_t id = (uint64_t{slot_} << 56) | (uint64_t{loop_.index()} << 48) | ++next_seq_;
      player = std::make_unique<RemotePlayer>(*link_, id, m.conn, m.user, address_);
      gateway_ids_[id] = m.conn;
      loop_.add_remote_responder_in_loop(id, player.get());
    }
    owner_.user_opened(m.user, m.username, player->connection_id());
  }

  // Every input sent before the marker has reached this loop: those the
  // player's old room kept (queued, or sent to it before its route went)
  // come back from the room's thread, then go back to the gateway, in
  // order, and the answer after them.
  void transfer_marker(uint64_t conn) {
    auto it = players_.find(conn);
    if (it == players_.end() || !owner_.hooks_.take_inputs) return drained(conn, 0, {});
    owner_.hooks_.take_inputs(
        it->second->connection_id(),
        [weak = weak_from_this(), conn](uint16_t cmd, std::vector<std::vector<uint8_t>> inputs) {
          if (auto self = weak.lock()) self->drained(conn, cmd, std::move(inputs));
        });
  }

  void drained(uint64_t conn, uint16_t cmd, std::vector<std::vector<uint8_t>> inputs) {
    if (!link_) return;
    for (const auto& in : inputs) {
      scratch_.clear();
      link::append_returned(scratch_, conn, cmd, in);
      link_->send_in_loop(scratch_);
    }
    scratch_.clear();
    link::append_conn(scratch_, lcmd::kTransferDrained, conn);
    link_->send_in_loop(scratch_);
    std::lock_guard lock(owner_.mutex_);
    owner_.stats_.inputs_returned += inputs.size();
  }

  void transfer_in(const link::Transfer& m) {
    open_player(link::PlayerOpen{m.conn, m.user, m.username});
    const uint64_t id = players_[m.conn]->connection_id();
    {
      std::lock_guard lock(owner_.mutex_);
      ++owner_.stats_.transfers_in;
    }
    if (!owner_.hooks_.transfer_in) return;
    Transfer t{m.user,
               id,
               m.from_room,
               std::string(m.from_type),
               std::string(m.room_type),
               m.room_id,
               m.elsewhere,
               std::vector<uint8_t>(m.handoff.begin(), m.handoff.end())};
    owner_.service_loop_.post(
        [&owner = owner_, t = std::move(t)]() mutable { owner.hooks_.transfer_in(std::move(t)); });
  }

  void close_player(Players::iterator it) {
    const uint64_t id = it->second->connection_id();
    const uint64_t user = it->second->user_id();
    loop_.remove_remote_responder_in_loop(id);
    gateway_ids_.erase(id);
    owner_.user_closed(user, id, slot_);
    // Last: the hook may look the connection up and must find it gone.
    auto player = std::move(it->second);
    players_.erase(it);
    if (owner_.hooks_.player_closed) owner_.hooks_.player_closed(id, user);
  }

  void malformed(std::string_view what) {
    {
      std::lock_guard lock(owner_.mutex_);
      ++owner_.stats_.malformed;
    }
    spdlog::warn("fleet: link from gateway {} ({}): bad {}: closing it", gateway_, peer_, what);
    close_in_loop("malformed link message");
  }

 public:
  std::atomic<uint64_t> frames_forwarded_{0};

 private:
  GameLinks& owner_;
  net::EventLoop& loop_;
  const uint32_t slot_;
  const std::string peer_;
  boost::asio::ip::address address_;
  std::string gateway_;
  std::shared_ptr<link::LinkConnection> link_;
  bool welcomed_ = false;
  Players players_;                                     // by the gateway's connection id
  std::unordered_map<uint64_t, uint64_t> gateway_ids_;  // remote id -> gateway's id
  uint64_t next_seq_ = 0;
  std::vector<uint8_t> scratch_;
};

GameLinks::GameLinks(net::EventLoop& service_loop, std::vector<net::EventLoop*> io_loops,
                     const net::FrameDispatcher& dispatcher, Options options, Hooks hooks)
    : service_loop_(service_loop),
      io_loops_(std::move(io_loops)),
      dispatcher_(dispatcher),
      options_(std::move(options)),
      hooks_(std::move(hooks)),
      slots_used_(256, false) {
  slots_used_[0] = true;  // slot 0 is this process's own sockets
}

GameLinks::~GameLinks() {
  stop();
}

void GameLinks::start() {
  listener_ = std::make_unique<link::LinkListener>(
      service_loop_, options_.host, options_.port,
      [this](net::UniqueFd fd, std::string peer) { accept(std::move(fd), std::move(peer)); });
  port_ = listener_->port();
  std::promise<void> started;
  service_loop_.post([&] {
    listener_->start_in_loop();
    started.set_value();
  });
  started.get_future().wait();
  spdlog::info("fleet: game node {} takes gateway links on {}:{}", options_.node_id, options_.host,
               port_);
}

void GameLinks::accept(net::UniqueFd fd, std::string peer) {
  uint32_t slot = 0;
  {
    std::lock_guard lock(mutex_);
    for (uint32_t s = 1; s < slots_used_.size(); ++s) {
      if (!slots_used_[s]) {
        slot = s;
        break;
      }
    }
    if (slot == 0) {
      ++stats_.links_refused;
      spdlog::error("fleet: link from {} refused: all 255 link slots are in use", peer);
      return;  // fd closes
    }
    slots_used_[slot] = true;
    ++stats_.links_accepted;
    ++stats_.links_open;
  }
  net::EventLoop& loop = *io_loops_[next_loop_];
  next_loop_ = (next_loop_ + 1) % io_loops_.size();
  auto link = std::make_shared<PlayerLink>(*this, loop, slot, std::move(peer));
  {
    std::lock_guard lock(mutex_);
    links_.push_back(link);
  }
  loop.post([link, raw = fd.release()] { link->adopt_in_loop(net::UniqueFd(raw)); });
}

void GameLinks::link_closed(PlayerLink& link) {
  std::lock_guard lock(mutex_);
  slots_used_[link.slot()] = false;
  --stats_.links_open;
  std::erase_if(links_, [&](const auto& l) { return l.get() == &link; });
}

void GameLinks::stop() {
  if (!listener_) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  std::promise<void> stopped;
  service_loop_.post([&] {
    listener_->stop_in_loop();
    stopped.set_value();
  });
  stopped.get_future().wait();
  std::vector<std::shared_ptr<PlayerLink>> links;
  {
    std::lock_guard lock(mutex_);
    links = links_;
  }
  for (auto& l : links) {
    std::promise<void> closed;
    l->loop().post([&] {
      l->close_in_loop("the node is stopping");
      closed.set_value();
    });
    closed.get_future().wait();
  }
  listener_.reset();
}

void GameLinks::user_opened(uint64_t user_id, std::string_view username, uint64_t connection_id) {
  std::lock_guard lock(mutex_);
  // A gateway holds the session again: its seat is not orphaned.
  away_.erase(user_id);
  orphans_.erase(user_id);
  auto& entry = users_[user_id];
  if (entry.connection_id == 0) ++stats_.players;
  entry.username = std::string(username);
  entry.connection_id = connection_id;
}

void GameLinks::user_closed(uint64_t user_id, uint64_t connection_id, uint32_t slot) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user_id);
  if (it == users_.end() || it->second.connection_id != connection_id) return;
  users_.erase(it);
  --stats_.players;
  if (user_id != 0) away_[user_id] = slot;
}

void GameLinks::user_ended(uint64_t user_id) {
  std::lock_guard lock(mutex_);
  away_.erase(user_id);
  orphans_.erase(user_id);
}

void GameLinks::orphan_users_of(uint32_t slot) {
  std::size_t orphaned = 0;
  const auto deadline = net::EventLoop::Clock::now() + options_.orphan_grace;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    for (auto it = away_.begin(); it != away_.end();) {
      if (it->second != slot) {
        ++it;
        continue;
      }
      orphans_[it->first] = deadline;
      it = away_.erase(it);
      ++orphaned;
    }
  }
  if (orphaned == 0) return;
  spdlog::info(
      "fleet: {} players' seats wait {} ms for their sessions to come back through a "
      "gateway",
      orphaned, options_.orphan_grace.count());
  service_loop_.post([this, deadline] {
    service_loop_.run_at_in_loop(deadline, [this] { end_orphans_in_loop(); });
  });
}

void GameLinks::end_orphans_in_loop() {
  std::vector<uint64_t> ended;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    const auto now = net::EventLoop::Clock::now();
    for (auto it = orphans_.begin(); it != orphans_.end();) {
      if (it->second > now) {
        ++it;
        continue;
      }
      ended.push_back(it->first);
      it = orphans_.erase(it);
    }
    stats_.orphans_ended += ended.size();
  }
  if (!ended.empty()) {
    spdlog::info("fleet: {} players' sessions did not come back within the grace: their seats go",
                 ended.size());
  }
  for (const uint64_t user : ended) {
    if (hooks_.session_ended) hooks_.session_ended(user);
  }
}

std::shared_ptr<GameLinks::PlayerLink> GameLinks::link_of_locked(uint64_t connection_id) const {
  const uint32_t slot = net::EventLoop::node_slot_of(connection_id);
  std::shared_ptr<PlayerLink> link;
  for (const auto& l : links_) {
    if (l->slot() == slot) link = l;
  }
  return link;
}

void GameLinks::seat_changed(uint64_t user_id, uint64_t room_id) {
  uint64_t connection_id = 0;
  std::shared_ptr<PlayerLink> link;
  {
    std::lock_guard lock(mutex_);
    auto it = users_.find(user_id);
    if (it == users_.end()) return;  // a local player's seat: no gateway to tell
    connection_id = it->second.connection_id;
    link = link_of_locked(connection_id);
  }
  if (!link) return;
  link->loop().post([link, connection_id, user_id, room_id] {
    link->seat_changed_in_loop(connection_id, user_id, room_id);
  });
}

bool GameLinks::transfer_out(const Transfer& transfer) {
  if (net::EventLoop::node_slot_of(transfer.connection_id) == 0) return false;  // a local socket
  std::shared_ptr<PlayerLink> link;
  {
    std::lock_guard lock(mutex_);
    link = link_of_locked(transfer.connection_id);
    if (!link) return false;
    ++stats_.transfers_out;
  }
  // The link's loop: after every input it passed to the room before.
  link->loop().post([link, transfer] { link->transfer_out_in_loop(transfer); });
  return true;
}

bool GameLinks::return_leave(uint64_t connection_id, uint32_t request_id) {
  if (net::EventLoop::node_slot_of(connection_id) == 0) return false;  // a local socket
  std::shared_ptr<PlayerLink> link;
  {
    std::lock_guard lock(mutex_);
    link = link_of_locked(connection_id);
  }
  if (!link) return false;
  link->loop().post(
      [link, connection_id, request_id] { link->return_leave_in_loop(connection_id, request_id); });
  return true;
}

std::string GameLinks::username_of(uint64_t user_id) const {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user_id);
  return it == users_.end() ? std::string() : it->second.username;
}

GameLinks::Stats GameLinks::stats() const {
  std::lock_guard lock(mutex_);
  Stats s = stats_;
  s.orphaned = orphans_.size();
  for (const auto& l : links_) s.frames_forwarded += l->frames_forwarded_.load();
  return s;
}

}  // namespace citadel::fleet
