#include "fleet/gateway/gateway_links.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <map>
#include <unordered_set>

#include "fleet/link/link_messages.h"
#include "fleet/link/rendezvous_hash.h"
#include "net/loop_stats.h"
#include "protocol/commands.h"
#include "protocol/rooms_generated.h"
#include "protocol/verified_payload.h"
#include "rooms/room_messages.h"
#include "server/verified_handler.h"

namespace citadel::fleet {

namespace lcmd = link::lcmd;

namespace {

constexpr auto kFirstRetry = std::chrono::milliseconds(100);
constexpr auto kMaxRetry = std::chrono::milliseconds(2000);

}  // namespace

// One loop's links (one per game node) and the seats of its players.
// Everything here runs on that loop.
class GatewayLinks::LoopLinks {
 public:
  struct NodeLink final : link::LinkConnection::Handler {
    LoopLinks* owner = nullptr;
    GameNode node;
    std::shared_ptr<link::LinkConnection> link;
    bool welcomed = false;
    bool wanted = true;                   // still in the table
    std::unordered_set<uint64_t> opened;  // connections this node has heard of
    std::chrono::milliseconds retry{kFirstRetry};
    bool retry_armed = false;

    void on_link_open(link::LinkConnection& l) override { owner->opened_in_loop(*this, l); }
    void on_link_frame(link::LinkConnection& l, uint16_t cmd,
                       std::span<const uint8_t> payload) override {
      owner->frame_in_loop(*this, l, cmd, payload);
    }
    void on_link_closed(link::LinkConnection&, std::string_view why) override {
      owner->closed_in_loop(*this, why);
    }
  };

  // A transfer under way: what TransferIn will say, and the player's
  // inputs meanwhile (returned by the old node, held from the client).
  struct Moving {
    std::string to;  // the node sent TransferIn ("" until the old node drained)
    bool drained = false;
    std::string username;
    uint64_t from_room = 0;
    std::string from_type, room_type;
    uint64_t room_id = 0;
    bool elsewhere = false;
    std::vector<uint8_t> handoff;
    std::vector<std::pair<uint16_t, std::vector<uint8_t>>> returned, held;
    std::size_t bytes = 0;
    // RoomLeave requests made mid-transfer (their request ids): they leave
    // the room the player arrives in, after its inputs.
    std::vector<uint32_t> leaves;
  };
  static constexpr std::size_t kMaxMovingInputs = 512;
  static constexpr std::size_t kMaxMovingLeaves = 16;
  static constexpr std::size_t kMaxMovingBytes = 128 * 1024;
  struct Seat {
    std::string node;  // the game node the room is on
    uint64_t room = 0;
    uint64_t user = 0;
    std::unique_ptr<Moving> moving = nullptr;  // a transfer under way
    // Failover moved it to `node`; that node has not spoken to the player
    // yet (its Rejoined), so its inputs wait, dropped.
    bool reattaching = false;
  };

  LoopLinks(GatewayLinks& owner, net::EventLoop& loop) : owner_(owner), loop_(loop) {}

  net::EventLoop& loop() { return loop_; }

  // The table changed: dial new nodes, drop gone ones, keep the figures.
  void set_nodes_in_loop(const std::vector<GameNode>& nodes) {
    for (auto& [id, n] : nodes_) n->wanted = false;
    for (const GameNode& g : nodes) {
      auto& n = nodes_[g.id];
      if (!n) {
        n = std::make_unique<NodeLink>();
        n->owner = this;
        n->node = g;
        n->wanted = true;
        dial_in_loop(*n);
        continue;
      }
      const bool moved = n->node.link_host != g.link_host || n->node.link_port != g.link_port;
      n->node = g;
      n->wanted = true;
      if (moved && n->link) n->link->close_in_loop("the node's link address changed");
    }
    for (auto it = nodes_.begin(); it != nodes_.end();) {
      NodeLink& n = *it->second;
      if (n.wanted) {
        ++it;
        continue;
      }
      if (n.link) n.link->close_in_loop("the node left the fleet");
      // Its players keep their seats: failover moves each room to another
      // node (room_moved_in_loop), or the room is given up for lost
      // (room_lost_in_loop) if nobody takes it in time.
      it = nodes_.erase(it);
    }
  }

  void close_all_in_loop() {
    for (auto& [id, n] : nodes_) {
      n->wanted = false;
      if (n->link) n->link->close_in_loop("the gateway is stopping");
    }
    nodes_.clear();
  }

  std::size_t welcomed() const {
    std::size_t n = 0;
    for (const auto& [id, link] : nodes_) n += link->welcomed ? 1 : 0;
    return n;
  }

  // ---- forwarding (the player's connection loop) ----

  void join(net::Responder& peer, const protocol::FrameView& frame, const msg::RoomJoin& m) {
    std::string node = seat_of(peer.connection_id());
    if (node.empty() && m.room_id() != 0 && owner_.options_.room_owner) {
      node = owner_.options_.room_owner(m.room_id());
    }
    if (node.empty()) node = least_loaded();
    forward_or_refuse(peer, frame, node, m.request_id());
  }

  void match_find(net::Responder& peer, const protocol::FrameView& frame, const msg::MatchFind& m) {
    std::string node = seat_of(peer.connection_id());
    if (node.empty()) node = queue_node(m.room_type() ? m.room_type()->string_view() : "");
    if (!node.empty()) match_nodes_[peer.connection_id()] = node;
    forward_or_refuse(peer, frame, node, m.request_id());
  }

  void match_cancel(net::Responder& peer, const protocol::FrameView& frame, uint32_t request_id) {
    std::string node = seat_of(peer.connection_id());
    if (node.empty()) {
      auto it = match_nodes_.find(peer.connection_id());
      node = it != match_nodes_.end() ? it->second : least_loaded();
    }
    forward_or_refuse(peer, frame, node, request_id);
  }

  void leave(net::Responder& peer, const protocol::FrameView& frame, uint32_t request_id) {
    auto it = seats_.find(peer.connection_id());
    // Mid-transfer the old node no longer has the player and the new one
    // not yet: the leave waits for the room the player arrives in.
    if (it != seats_.end() && it->second.moving) {
      return hold_leave(peer.connection_id(), *it->second.moving, request_id);
    }
    // No seat: any node answers NotInRoom.
    const std::string node = it != seats_.end() ? it->second.node : least_loaded();
    forward_or_refuse(peer, frame, node, request_id);
  }

  void input(net::Responder& peer, const protocol::FrameView& frame) {
    auto it = seats_.find(peer.connection_id());
    if (it == seats_.end()) {
      peer.send_error(protocol::ErrorCode::kNotInRoom,
                      fmt::format("cmd {:#06x}: you are in no room", frame.cmd));
      return;
    }
    // A transfer in progress: the input waits here, after the ones the old
    // node returns, for the new room (the only allocation on this path,
    // and only while a transfer lasts).
    if (it->second.moving) return hold(*it->second.moving, frame.cmd, frame.payload);
    if (it->second.reattaching) {
      // Its room is being re-attached on the node that took it over: until
      // that node speaks to the player, it would answer "not in room".
      moved_inputs_dropped.add();
      return;
    }
    if (!forward(peer, frame, it->second.node))
      refused.add();  // the link is down: an input is lossy
  }

  // ---- the player hooks ----

  void connection_closed_in_loop(uint64_t connection_id, uint64_t user_id) {
    for (auto& [id, n] : nodes_) {
      if (n->opened.erase(connection_id) == 0 || !n->welcomed) continue;
      scratch_.clear();
      link::append_player_closed(scratch_, connection_id, user_id);
      n->link->send_in_loop(scratch_);
    }
    erase_seat(connection_id);
    match_nodes_.erase(connection_id);
  }

  // Failover: room's owner is now `node`. The players seated in it from
  // this loop follow: the node hears of each connection and re-attaches
  // its session (the restored room says Rejoined). A link not up yet does
  // it when welcomed.
  void room_moved_in_loop(uint64_t room, const std::string& node) {
    auto it = nodes_.find(node);
    NodeLink* n = it != nodes_.end() && it->second->welcomed ? it->second.get() : nullptr;
    for (auto& [connection_id, seat] : seats_) {
      if (seat.room != room || seat.node == node) continue;
      move_seat(connection_id, seat, node, n);
    }
  }

  // One seat follows its room to `node` (n: its link if welcomed; else the
  // welcome re-attaches it): the node hears of the connection and attaches
  // the session; inputs wait until it has spoken to the player.
  void move_seat(uint64_t connection_id, Seat& seat, const std::string& node, NodeLink* n) {
    seat.node = node;
    if (!seat.reattaching) ++reattaching_;
    seat.reattaching = true;  // until the node's first word to the player (arrived)
    moved.add();
    owner_.set_seat_node(seat.user, node);
    if (n != nullptr) attach_seat(*n, connection_id, seat.user);
  }

  // Every change to seats_ but a failover's move goes through these two,
  // which keep reattaching_ the count of seats still reattaching.
  void set_seat(uint64_t connection_id, Seat seat) {
    auto it = seats_.find(connection_id);
    if (it == seats_.end()) {
      seats_.emplace(connection_id, std::move(seat));
      return;
    }
    if (it->second.reattaching) --reattaching_;
    it->second = std::move(seat);
  }
  void erase_seat(uint64_t connection_id) {
    auto it = seats_.find(connection_id);
    if (it == seats_.end()) return;
    if (it->second.reattaching) --reattaching_;
    seats_.erase(it);
  }

  // The node said something to these players (their Rejoined first): a
  // seat that moved there is attached, and its inputs go through again.
  void arrived(const NodeLink& n, const std::vector<uint64_t>& ids) {
    for (const uint64_t id : ids) {
      auto it = seats_.find(id);
      if (it == seats_.end() || !it->second.reattaching || it->second.node != n.node.id) continue;
      it->second.reattaching = false;
      if (--reattaching_ == 0) return;
    }
  }

  // Nobody took the room over in time: its players are in no room, and
  // are told so as a room that closes tells them.
  void room_lost_in_loop(uint64_t room) {
    net::SharedBytes closed;
    std::erase_if(seats_, [&](const auto& s) {
      if (s.second.room != room) return false;
      if (s.second.reattaching) --reattaching_;
      if (owner_.seat_node_of(s.second.user) == s.second.node)
        owner_.set_seat_node(s.second.user, "");
      if (net::Responder* peer = loop_.responder_in_loop(s.first)) {
        if (!closed) {
          closed = rooms::encode_room_event(msg::RoomEventKind::Closed, room, nullptr,
                                            "its game node died and no other node took it over");
        }
        peer->send_shared(closed);
      }
      lost.add();
      return true;
    });
  }

  // The user's session moved to connection_id (on this loop): its seat
  // node hears of the new connection.
  void attach_in_loop(uint64_t user_id, uint64_t connection_id, const std::string& node,
                      uint64_t room) {
    set_seat(connection_id, Seat{node, room, user_id});
    auto it = nodes_.find(node);
    if (it == nodes_.end() || !it->second->welcomed) return;  // sent once the link is back
    attach_seat(*it->second, connection_id, user_id);
  }

  // A session this gateway knows no seat of came back (resumed from
  // another gateway that died or drained): every game node hears of the
  // connection and the attach; the one holding the user's seat says so
  // (SeatChanged) and puts the player back, the others ignore it.
  void find_seat_in_loop(uint64_t user_id, uint64_t connection_id) {
    if (loop_.responder_in_loop(connection_id) == nullptr) return;  // closed meanwhile
    for (auto& [id, n] : nodes_) {
      if (n->welcomed) attach_seat(*n, connection_id, user_id);
    }
  }

  void session_ended_in_loop(uint64_t user_id, const std::string& node) {
    auto it = nodes_.find(node);
    if (it == nodes_.end() || !it->second->welcomed) return;
    scratch_.clear();
    link::append_session_ended(scratch_, user_id);
    it->second->link->send_in_loop(scratch_);
  }

  // Gauges for other threads (one writer: this loop).
  net::RelaxedCounter forwarded, refused, deliveries, drops, links_up;
  net::RelaxedCounter moved_inputs_dropped;  // inputs of a reattaching seat, before its node spoke
  net::RelaxedCounter moved, lost;           // seats that followed a room to a new node; rooms lost
  // Player transfer: done, failed, inputs dropped past the hold's caps.
  net::RelaxedCounter transfers, transfers_failed, transfer_dropped;

 private:
  std::string seat_of(uint64_t connection_id) const {
    auto it = seats_.find(connection_id);
    return it == seats_.end() ? std::string() : it->second.node;
  }

  void attach_seat(NodeLink& n, uint64_t connection_id, uint64_t user_id) {
    open_player(n, connection_id, user_id);
    scratch_.clear();
    link::append_session_attached(scratch_, user_id, connection_id);
    n.link->send_in_loop(scratch_);
  }

  // Fewest seated players, then fewest rooms, then the smallest id, among
  // nodes that are not draining and whose link from this loop is up.
  std::string least_loaded(const std::string& except = {}) const {
    const NodeLink* best = nullptr;
    for (const auto& [id, n] : nodes_) {
      if (!n->welcomed || n->node.draining || id == except) continue;
      if (best == nullptr ||
          std::tie(n->node.room_players, n->node.rooms, n->node.id) <
              std::tie(best->node.room_players, best->node.rooms, best->node.id)) {
        best = n.get();
      }
    }
    return best ? best->node.id : std::string();
  }

  // Rendezvous hashing: the node with the highest hash of (type, node id).
  std::string queue_node(std::string_view room_type) const {
    const NodeLink* best = nullptr;
    uint64_t best_hash = 0;
    for (const auto& [id, n] : nodes_) {
      if (!n->welcomed || n->node.draining) continue;
      const uint64_t h = link::rendezvous_weight(room_type, n->node.id);
      if (best == nullptr || h > best_hash) {
        best = n.get();
        best_hash = h;
      }
    }
    return best ? best->node.id : std::string();
  }

  void forward_or_refuse(net::Responder& peer, const protocol::FrameView& frame,
                         const std::string& node, uint32_t request_id) {
    if (!node.empty() && forward(peer, frame, node)) return;
    refused.add();
    const char* why = node.empty() ? "no game node is available" : "the game node is unreachable";
    peer.send_shared(rooms::encode_room_reply(request_id, msg::RoomResult::InternalError, why));
  }

  bool forward(net::Responder& peer, const protocol::FrameView& frame, const std::string& node) {
    auto it = nodes_.find(node);
    if (it == nodes_.end() || !it->second->welcomed) return false;
    NodeLink& n = *it->second;
    if (n.link->queued_bytes() > owner_.options_.link_soft_limit) return false;
    open_player(n, peer.connection_id(), peer.user_id());
    scratch_.clear();
    link::append_player_frame(scratch_, peer.connection_id(), frame.cmd, frame.payload);
    n.link->send_in_loop(scratch_);
    forwarded.add();
    return true;
  }

  void open_player(NodeLink& n, uint64_t connection_id, uint64_t user_id) {
    if (!n.opened.insert(connection_id).second) return;
    scratch_.clear();
    link::append_player_open(scratch_, connection_id, user_id, owner_.username_of(user_id));
    n.link->send_in_loop(scratch_);
  }

  void dial_in_loop(NodeLink& n) {
    n.link = std::make_shared<link::LinkConnection>(loop_, n, owner_.options_.link);
    n.link->connect_in_loop(n.node.link_host, n.node.link_port);
  }

  void opened_in_loop(NodeLink&, link::LinkConnection& l) {
    scratch_.clear();
    link::append_hello(scratch_, owner_.options_.cluster, owner_.options_.node_id);
    l.send_in_loop(scratch_);
  }

  void frame_in_loop(NodeLink& n, link::LinkConnection& l, uint16_t cmd,
                     std::span<const uint8_t> payload) {
    if (!n.welcomed) {
      if (cmd == lcmd::kWelcome && link::decode_welcome(payload)) return welcomed_in_loop(n);
      const auto reason = cmd == lcmd::kRefused ? link::decode_refused(payload) : std::nullopt;
      spdlog::error("fleet: game node {} refused this gateway's link: {}", n.node.id,
                    reason ? *reason : std::string_view("no Welcome"));
      return l.close_in_loop("refused");
    }
    switch (cmd) {
      case lcmd::kDeliver:
        if (auto d = link::decode_deliver(payload)) {
          // One copy of the frames for all the ids named; the Outbox shares it.
          auto bytes =
              std::make_shared<const std::vector<uint8_t>>(d->frames.begin(), d->frames.end());
          ids_.clear();
          for (std::size_t i = 0; i < d->count; ++i) ids_.push_back(d->id(i));
          if (reattaching_ > 0) arrived(n, ids_);
          owner_.outbox_.send_many_from(&loop_, ids_, bytes);
          deliveries.add(d->count);
          return;
        }
        break;
      case lcmd::kClosePlayer:
        if (auto c = link::decode_close_player(payload)) {
          owner_.outbox_.with_connection_from(
              &loop_, c->conn,
              [code = c->code, text = std::string(c->text)](net::Responder& r) {
                r.close_with_error(static_cast<protocol::ErrorCode>(code), text);
              },
              nullptr);
          return;
        }
        break;
      case lcmd::kTransferOut:
        if (auto t = link::decode_transfer(payload)) return transfer_out_in_loop(n, *t);
        break;
      case lcmd::kReturned:
        if (auto f = link::decode_player_frame(payload)) return returned_in_loop(n, *f);
        break;
      case lcmd::kTransferDrained:
        if (auto conn = link::decode_conn(payload)) return drained_in_loop(n, *conn);
        break;
      case lcmd::kSeatChanged:
        if (auto s = link::decode_seat_changed(payload)) {
          if (auto it = seats_.find(s->conn); it != seats_.end() && it->second.moving) {
            return seat_while_moving_in_loop(n, it, *s);
          }
          if (s->room != 0) {
            auto it = seats_.find(s->conn);
            if (it != seats_.end() && it->second.room == s->room && it->second.node != n.node.id) {
              // Its room seated it on another node: the room moved there
              // (failover), and the node's restore spoke before the owner
              // directory did. The seat moves now, attach and all.
              move_seat(s->conn, it->second, n.node.id, &n);
            } else if (it == seats_.end() || it->second.room != s->room) {
              set_seat(s->conn, Seat{n.node.id, s->room, s->user});
            }
            // (The seat it has already, a restored room seating its players
            // again, stays as it is: if reattaching, it still waits.)
            owner_.set_seat_node(s->user, n.node.id, s->room);
          } else if (auto it = seats_.find(s->conn);
                     it != seats_.end() && it->second.node == n.node.id) {
            erase_seat(s->conn);
            if (owner_.seat_node_of(s->user) == n.node.id) owner_.set_seat_node(s->user, "");
          }
          match_nodes_.erase(s->conn);
          return;
        }
        break;
      default:
        break;
    }
    spdlog::warn("fleet: game node {} sent a bad {}: closing the link", n.node.id,
                 link::link_cmd_name(cmd));
    l.close_in_loop("malformed link message");
  }

  void welcomed_in_loop(NodeLink& n) {
    n.welcomed = true;
    links_up.add();
    n.retry = kFirstRetry;
    spdlog::info("fleet: link to game node {} ({}:{}) up from loop {}", n.node.id, n.node.link_host,
                 n.node.link_port, loop_.index());
    // Players seated there from this loop are back: the node hears of each
    // connection again and re-attaches its session (its room says Rejoined).
    for (const auto& [connection_id, seat] : seats_) {
      if (seat.node != n.node.id) continue;
      net::Responder* peer = loop_.responder_in_loop(connection_id);
      if (peer == nullptr || peer->user_id() == 0) continue;
      attach_seat(n, connection_id, peer->user_id());
    }
  }

  // ---- player transfer (docs/fleet.md "Player transfer") ----
  //
  // The gateway is the sequencer: after the old node's TransferOut it
  // forwards the player's inputs nowhere and holds them; it sends the old
  // node a marker, and the node returns every input it kept or still got
  // for the player (Returned), then answers (TransferDrained): the link is
  // FIFO, so nothing the gateway sent before the marker is still out. Then
  // the new node gets TransferIn; its SeatChanged says where the player
  // sits, and the inputs follow there, the returned ones first.

  void hold(Moving& m, uint16_t cmd, std::span<const uint8_t> payload) {
    if (m.held.size() + m.returned.size() >= kMaxMovingInputs ||
        m.bytes + payload.size() > kMaxMovingBytes) {
      transfer_dropped.add();
      return;
    }
    m.bytes += payload.size();
    m.held.emplace_back(cmd, std::vector<uint8_t>(payload.begin(), payload.end()));
  }

  void transfer_out_in_loop(NodeLink& n, const link::Transfer& t) {
    if (loop_.responder_in_loop(t.conn) == nullptr) return;  // gone: its close reached the node
    Seat& seat = seats_[t.conn];
    if (seat.reattaching) --reattaching_;  // the old node spoke to it: attached there
    seat.reattaching = false;
    seat.node = n.node.id;
    seat.room = t.from_room;
    seat.user = t.user;
    auto m = std::make_unique<Moving>();
    m->username = owner_.username_of(t.user);
    m->from_room = t.from_room;
    m->from_type = std::string(t.from_type);
    m->room_type = std::string(t.room_type);
    m->room_id = t.room_id;
    m->elsewhere = t.elsewhere;
    m->handoff.assign(t.handoff.begin(), t.handoff.end());
    seat.moving = std::move(m);
    scratch_.clear();
    link::append_conn(scratch_, lcmd::kTransferMarker, t.conn);
    n.link->send_in_loop(scratch_);
  }

  void returned_in_loop(NodeLink& n, const link::PlayerFrame& f) {
    if (f.cmd == protocol::cmd::kRoomLeave) return returned_leave_in_loop(n, f);
    auto it = seats_.find(f.conn);
    if (it == seats_.end() || !it->second.moving || it->second.node != n.node.id) return;
    Moving& m = *it->second.moving;
    if (m.drained) return;
    if (m.held.size() + m.returned.size() >= kMaxMovingInputs ||
        m.bytes + f.payload.size() > kMaxMovingBytes) {
      transfer_dropped.add();
      return;
    }
    m.bytes += f.payload.size();
    m.returned.emplace_back(f.cmd, std::vector<uint8_t>(f.payload.begin(), f.payload.end()));
  }

  // A RoomLeave the old node got after it let the player go (it reached
  // the node before the node's TransferOut reached this gateway): it
  // follows the player like one sent here mid-transfer.
  void returned_leave_in_loop(NodeLink& from, const link::PlayerFrame& f) {
    const auto* m = protocol::verified_root<msg::RoomLeave>(f.payload);
    if (m == nullptr) return;
    auto it = seats_.find(f.conn);
    if (it != seats_.end() && it->second.moving) {
      return hold_leave(f.conn, *it->second.moving, m->request_id());
    }
    // Placed already: to the node it sits on now (never back to the node
    // that returned it, which has no seat for it).
    if (it != seats_.end() && it->second.node != from.node.id) {
      auto y = nodes_.find(it->second.node);
      if (y != nodes_.end() && y->second->welcomed) {
        scratch_.clear();
        link::append_player_frame(scratch_, f.conn, protocol::cmd::kRoomLeave, f.payload);
        y->second->link->send_in_loop(scratch_);
        forwarded.add();
        return;
      }
    }
    if (net::Responder* peer = loop_.responder_in_loop(f.conn)) {
      peer->send_shared(rooms::encode_room_reply(m->request_id(), msg::RoomResult::NotInRoom,
                                                 "you are in no room"));
    }
  }

  // The old node gave back all it had: the player goes to its new node.
  void drained_in_loop(NodeLink& n, uint64_t conn) {
    auto it = seats_.find(conn);
    if (it == seats_.end() || !it->second.moving || it->second.node != n.node.id) return;
    Moving& m = *it->second.moving;
    if (m.drained) return;
    m.drained = true;
    std::string to;
    if (m.room_id != 0) {
      if (owner_.options_.room_owner) to = owner_.options_.room_owner(m.room_id);
      if (to.empty()) return transfer_failed_in_loop(it, "no such room");
    } else {
      // A neighbouring world: another node when there is one.
      if (m.elsewhere) to = least_loaded(n.node.id);
      if (to.empty()) to = least_loaded();
      if (to.empty()) return transfer_failed_in_loop(it, "no game node is available");
    }
    auto y = nodes_.find(to);
    if (y == nodes_.end() || !y->second->welcomed) {
      return transfer_failed_in_loop(it, "the game node is unreachable");
    }
    open_player(*y->second, conn, it->second.user);
    scratch_.clear();
    link::append_transfer(
        scratch_, lcmd::kTransferIn,
        link::Transfer{conn, it->second.user, m.username, m.from_room, m.from_type, m.room_type,
                       m.room_id, m.elsewhere, m.handoff});
    y->second->link->send_in_loop(scratch_);
    m.to = to;
  }

  void seat_while_moving_in_loop(NodeLink& n, std::unordered_map<uint64_t, Seat>::iterator it,
                                 const link::SeatChanged& s) {
    Moving& m = *it->second.moving;
    // Before TransferIn went out, a seat change is the old seat's release
    // (sent before the old node answered the marker); after, only the new
    // node's answer counts.
    if (m.to.empty() || n.node.id != m.to) return;
    if (s.room == 0) {  // refused there; the node told the player why
      answer_held_leaves(it->first, *it->second.moving);
      transfers_failed.add();
      if (owner_.seat_node_of(s.user) == it->second.node) owner_.set_seat_node(s.user, "");
      erase_seat(it->first);
      return;
    }
    auto moving = std::move(it->second.moving);
    if (it->second.reattaching) --reattaching_;
    it->second = Seat{n.node.id, s.room, s.user, nullptr};
    owner_.set_seat_node(s.user, n.node.id, s.room);
    match_nodes_.erase(s.conn);
    for (const auto* inputs : {&moving->returned, &moving->held}) {
      for (const auto& [cmd, bytes] : *inputs) {
        scratch_.clear();
        link::append_player_frame(scratch_, s.conn, cmd, bytes);
        n.link->send_in_loop(scratch_);
        forwarded.add();
      }
    }
    for (const uint32_t request_id : moving->leaves) {
      flatbuffers::FlatBufferBuilder fbb;
      fbb.Finish(msg::CreateRoomLeave(fbb, request_id));
      scratch_.clear();
      link::append_player_frame(scratch_, s.conn, protocol::cmd::kRoomLeave,
                                std::span<const uint8_t>(fbb.GetBufferPointer(), fbb.GetSize()));
      n.link->send_in_loop(scratch_);
      forwarded.add();
    }
    transfers.add();
  }

  void transfer_failed_in_loop(std::unordered_map<uint64_t, Seat>::iterator it,
                               std::string_view why) {
    const Moving& m = *it->second.moving;
    if (net::Responder* peer = loop_.responder_in_loop(it->first)) {
      peer->send_shared(rooms::encode_room_event(
          msg::RoomEventKind::Closed, m.from_room, nullptr,
          fmt::format("transfer to a {} room refused: {}", m.room_type, why)));
    }
    answer_held_leaves(it->first, m);
    transfers_failed.add();
    if (owner_.seat_node_of(it->second.user) == it->second.node) {
      owner_.set_seat_node(it->second.user, "");
    }
    erase_seat(it->first);
  }

  // A leave that waits for the player's transfer; a client that sends more
  // than a few meanwhile gets the rest refused.
  void hold_leave(uint64_t connection_id, Moving& m, uint32_t request_id) {
    if (m.leaves.size() < kMaxMovingLeaves) {
      m.leaves.push_back(request_id);
      return;
    }
    if (net::Responder* peer = loop_.responder_in_loop(connection_id)) {
      peer->send_shared(rooms::encode_room_reply(request_id, msg::RoomResult::InternalError,
                                                 "too many RoomLeave requests during a transfer"));
    }
  }

  // The transfer failed: the player is in no room, which is what a leave
  // made meanwhile is told.
  void answer_held_leaves(uint64_t connection_id, const Moving& m) {
    net::Responder* peer = loop_.responder_in_loop(connection_id);
    if (peer == nullptr) return;
    for (const uint32_t request_id : m.leaves) {
      peer->send_shared(
          rooms::encode_room_reply(request_id, msg::RoomResult::NotInRoom, "you are in no room"));
    }
  }

  // A link that closed mid-transfer: an old node that will not answer the
  // marker gave back what it could (inputs still there are lost, as in a
  // failover); a new node that will not answer TransferIn fails it.
  void transfers_on_closed_link_in_loop(NodeLink& n) {
    std::vector<uint64_t> waiting, placing;
    for (auto& [conn, seat] : seats_) {
      if (!seat.moving) continue;
      if (!seat.moving->drained && seat.node == n.node.id) waiting.push_back(conn);
      if (seat.moving->to == n.node.id) placing.push_back(conn);
    }
    for (uint64_t conn : placing) {
      if (auto it = seats_.find(conn); it != seats_.end()) {
        transfer_failed_in_loop(it, "the game node is unreachable");
      }
    }
    for (uint64_t conn : waiting) drained_in_loop(n, conn);
  }

  void closed_in_loop(NodeLink& n, std::string_view why) {
    transfers_on_closed_link_in_loop(n);
    if (n.welcomed) {
      drops.add();
      links_up.sub();
      spdlog::warn("fleet: link to game node {} from loop {} closed: {}", n.node.id, loop_.index(),
                   why);
    }
    n.welcomed = false;
    n.opened.clear();
    if (!n.wanted || n.retry_armed) return;
    // Dial again after the backoff, if the node is still in the table then.
    n.retry_armed = true;
    const auto delay = n.retry;
    n.retry = std::min(n.retry * 2, kMaxRetry);
    loop_.run_at_in_loop(loop_.now() + delay, [this, id = n.node.id] {
      auto it = nodes_.find(id);
      if (it == nodes_.end()) return;
      it->second->retry_armed = false;
      if (it->second->wanted && !it->second->welcomed) dial_in_loop(*it->second);
    });
  }

  GatewayLinks& owner_;
  net::EventLoop& loop_;
  std::map<std::string, std::unique_ptr<NodeLink>> nodes_;
  std::size_t reattaching_ = 0;  // seats reattaching: Delivers look them up only while any
  std::unordered_map<uint64_t, Seat> seats_;               // connection -> its seat
  std::unordered_map<uint64_t, std::string> match_nodes_;  // connection -> its queue's node
  std::vector<uint8_t> scratch_;
  std::vector<uint64_t> ids_;
};

GatewayLinks::GatewayLinks(server::Outbox& outbox, std::vector<net::EventLoop*> io_loops,
                           Options options)
    : outbox_(outbox), loops_(std::move(io_loops)), options_(std::move(options)) {
  for (net::EventLoop* loop : loops_)
    per_loop_.push_back(std::make_unique<LoopLinks>(*this, *loop));
}

GatewayLinks::~GatewayLinks() = default;

GatewayLinks::LoopLinks& GatewayLinks::on(uint64_t connection_id) {
  return *per_loop_[net::EventLoop::loop_of(connection_id) % per_loop_.size()];
}

void GatewayLinks::register_handlers(server::Router& router,
                                     const std::vector<uint16_t>& input_cmds) {
  using server::Access;
  using server::verified;
  router.add(
      protocol::cmd::kRoomJoin,
      [this](net::Responder& peer, const protocol::FrameView& frame) {
        verified<msg::RoomJoin>(
            [&](auto& p, const auto& m) { on(p.connection_id()).join(p, frame, m); })(peer, frame);
      },
      Access::kLoggedIn);
  router.add(
      protocol::cmd::kMatchFind,
      [this](net::Responder& peer, const protocol::FrameView& frame) {
        verified<msg::MatchFind>([&](auto& p, const auto& m) {
          on(p.connection_id()).match_find(p, frame, m);
        })(peer, frame);
      },
      Access::kLoggedIn);
  router.add(
      protocol::cmd::kMatchCancel,
      [this](net::Responder& peer, const protocol::FrameView& frame) {
        verified<msg::MatchCancel>([&](auto& p, const auto& m) {
          on(p.connection_id()).match_cancel(p, frame, m.request_id());
        })(peer, frame);
      },
      Access::kLoggedIn);
  router.add(
      protocol::cmd::kRoomLeave,
      [this](net::Responder& peer, const protocol::FrameView& frame) {
        verified<msg::RoomLeave>([&](auto& p, const auto& m) {
          on(p.connection_id()).leave(p, frame, m.request_id());
        })(peer, frame);
      },
      Access::kLoggedIn);
  for (uint16_t cmd : input_cmds) {
    router.add(
        cmd,
        [this](net::Responder& peer, const protocol::FrameView& frame) {
          on(peer.connection_id()).input(peer, frame);
        },
        Access::kLoggedIn);
  }
}

void GatewayLinks::set_game_nodes(std::vector<GameNode> nodes) {
  {
    std::lock_guard lock(mutex_);
    if (nodes == nodes_) return;
    nodes_ = nodes;
  }
  for (auto& l : per_loop_) {
    l->loop().post([l = l.get(), nodes] { l->set_nodes_in_loop(nodes); });
  }
}

void GatewayLinks::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& l : per_loop_) {
    std::promise<void> done;
    l->loop().post([&] {
      l->close_all_in_loop();
      done.set_value();
    });
    done.get_future().wait();
  }
}

void GatewayLinks::session_started(uint64_t user_id, std::string username) {
  std::lock_guard lock(mutex_);
  usernames_[user_id] = std::move(username);
}

void GatewayLinks::connection_closed(uint64_t connection_id, uint64_t user_id) {
  on(connection_id).connection_closed_in_loop(connection_id, user_id);
}

void GatewayLinks::session_attached(uint64_t user_id, uint64_t connection_id) {
  SeatNode seat;
  {
    std::lock_guard lock(mutex_);
    auto it = seat_nodes_.find(user_id);
    if (it != seat_nodes_.end()) seat = it->second;
  }
  LoopLinks& l = on(connection_id);
  if (seat.node.empty()) {
    l.loop().post([&l, user_id, connection_id] { l.find_seat_in_loop(user_id, connection_id); });
    return;
  }
  l.loop().post([&l, user_id, connection_id, seat] {
    l.attach_in_loop(user_id, connection_id, seat.node, seat.room);
  });
}

void GatewayLinks::room_owner_changed(uint64_t room_id, const std::string& node) {
  for (auto& l : per_loop_) {
    if (!node.empty()) {
      l->loop().post([l = l.get(), room_id, node] { l->room_moved_in_loop(room_id, node); });
      continue;
    }
    // No owner now (its node died, or it closed): give failover its time,
    // then forget the seats of a room nobody took.
    l->loop().post([this, l = l.get(), room_id] {
      l->loop().run_at_in_loop(l->loop().now() + options_.failover_wait, [this, l, room_id] {
        if (!options_.room_owner || options_.room_owner(room_id).empty()) {
          l->room_lost_in_loop(room_id);
        }
      });
    });
  }
}

void GatewayLinks::session_ended(uint64_t user_id) {
  std::string node;
  {
    std::lock_guard lock(mutex_);
    usernames_.erase(user_id);
    if (auto it = seat_nodes_.find(user_id); it != seat_nodes_.end()) {
      node = it->second.node;
      seat_nodes_.erase(it);
    }
  }
  if (node.empty()) return;
  // Any loop's link to that node will do: the node ends the seat by user.
  LoopLinks& l = *per_loop_.front();
  l.loop().post([&l, user_id, node] { l.session_ended_in_loop(user_id, node); });
}

void GatewayLinks::session_moved(uint64_t user_id) {
  // Its seat stays on its game node for the gateway that resumed it: no
  // SessionEnded (the old connection's close tells the node it went).
  std::lock_guard lock(mutex_);
  usernames_.erase(user_id);
  seat_nodes_.erase(user_id);
}

std::string GatewayLinks::username_of(uint64_t user_id) const {
  std::lock_guard lock(mutex_);
  auto it = usernames_.find(user_id);
  return it == usernames_.end() ? std::string() : it->second;
}

std::string GatewayLinks::seat_node_of(uint64_t user_id) const {
  std::lock_guard lock(mutex_);
  auto it = seat_nodes_.find(user_id);
  return it == seat_nodes_.end() ? std::string() : it->second.node;
}

void GatewayLinks::set_seat_node(uint64_t user_id, const std::string& node, uint64_t room) {
  std::lock_guard lock(mutex_);
  if (node.empty()) {
    seat_nodes_.erase(user_id);
  } else if (room != 0) {
    seat_nodes_[user_id] = SeatNode{node, room};
  } else if (auto it = seat_nodes_.find(user_id); it != seat_nodes_.end()) {
    it->second.node = node;  // the room moved
  }
}

GatewayLinks::Stats GatewayLinks::stats() const {
  Stats s;
  for (const auto& l : per_loop_) {
    s.frames_forwarded += l->forwarded.get();
    s.frames_refused += l->refused.get();
    s.deliveries += l->deliveries.get();
    s.link_drops += l->drops.get();
    s.links_open += l->links_up.get();
    s.seats_moved += l->moved.get();
    s.seats_lost += l->lost.get();
    s.moved_inputs_dropped += l->moved_inputs_dropped.get();
    s.transfers += l->transfers.get();
    s.transfers_failed += l->transfers_failed.get();
    s.transfer_inputs_dropped += l->transfer_dropped.get();
  }
  return s;
}

std::size_t GatewayLinks::ready_nodes() const {
  std::size_t n = SIZE_MAX;
  for (const auto& l : per_loop_) {
    std::promise<std::size_t> count;
    l->loop().post([&] { count.set_value(l->welcomed()); });
    n = std::min(n, count.get_future().get());
  }
  return n == SIZE_MAX ? 0 : n;
}

}  // namespace citadel::fleet
