// A game node's side of the node links (issue 18, docs/fleet.md "Gateways
// and game nodes"): it accepts links from gateways on fleet.link_port and
// makes every player a gateway forwards a remote connection of this node,
// so the rooms, the router and the Outbox serve them as they serve a local
// socket.
//
// Each accepted link lives on one I/O loop (dealt round-robin) and gets a
// node slot (1..255). A player the gateway opens on it (PlayerOpen) gets
// the id [slot][that loop][sequence] and a RemotePlayer (a net::Responder)
// registered on the loop; its frames (PlayerFrame) are dispatched by the
// node's router on that loop, exactly as a socket's; what the node sends it
// becomes a Deliver on the link (a room's broadcast to the players of one
// gateway: one link frame). PlayerClosed, a link that closes, or one
// declared dead closes the node's side of those players (the hooks: their
// seats wait for a resume); SessionAttached and SessionEnded pass the
// gateway's session changes on. Seats (RoomService's seat observer) go back
// to the player's gateway as SeatChanged, which is what the gateway routes
// the player's room commands by.
//
// Threads: the listener on the service loop; each link and its players on
// the link's loop; users_ (the names rooms ask for, and where each user's
// player is) behind a mutex, for the service loop's rare reads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "fleet/link/link_connection.h"
#include "net/event_loop.h"
#include "net/frame_dispatcher.h"

namespace citadel::fleet {

namespace link {
class LinkListener;
}

class GameLinks {
 public:
  struct Options {
    std::string cluster;  // a Hello from another fleet is refused
    std::string node_id;
    std::string host = "127.0.0.1";  // where to listen for links
    uint16_t port = 0;               // 0: any free port (see port())
    link::LinkConnection::Options link;
    // A gateway's link that drops (it died, or is cut off) leaves its
    // players' seats waiting this long for their sessions to come back
    // through another gateway (a resume there opens them again); then
    // their sessions are ended here as the gateway would have (the hook).
    // The gateway's own session grace: auth.session_grace_ms.
    std::chrono::milliseconds orphan_grace{60'000};
  };
  // A player transfer (docs/fleet.md "Player transfer"), as the link carries it.
  struct Transfer {
    uint64_t user_id = 0;
    uint64_t connection_id = 0;  // this node's id of the player
    uint64_t from_room = 0;
    std::string from_type;
    std::string room_type;
    uint64_t room_id = 0;
    bool elsewhere = false;
    std::vector<uint8_t> handoff;
  };
  using TakenInputs = std::function<void(uint16_t cmd, std::vector<std::vector<uint8_t>> inputs)>;
  struct Hooks {
    // The link's loop: a remote player's connection is gone (as the
    // server's connection-closed hook).
    std::function<void(uint64_t connection_id, uint64_t user_id)> player_closed;
    // Service loop: the gateway moved the user's session to this player.
    std::function<void(uint64_t user_id, uint64_t connection_id)> session_attached;
    // Service loop: the gateway ended the user's session.
    std::function<void(uint64_t user_id)> session_ended;
    // The link's loop: the inputs this node kept for a player a room here
    // transferred away, in order; `done` runs on this loop (the rooms'
    // RoomService::take_inputs_in_loop).
    std::function<void(uint64_t connection_id, TakenInputs done)> take_inputs;
    // Service loop: the gateway sends a transferred player here
    // (RoomService::transfer_in_in_loop).
    std::function<void(Transfer transfer)> transfer_in;
  };
  struct Stats {
    uint64_t links_open = 0, links_accepted = 0, links_refused = 0;
    uint64_t players = 0, frames_forwarded = 0, malformed = 0;
    uint64_t orphaned = 0;       // users waiting after their gateway's link dropped (gauge)
    uint64_t orphans_ended = 0;  // ... whose grace passed with no gateway bringing them back
    uint64_t transfers_out = 0, transfers_in = 0, inputs_returned = 0;
  };

  GameLinks(net::EventLoop& service_loop, std::vector<net::EventLoop*> io_loops,
            const net::FrameDispatcher& dispatcher, Options options, Hooks hooks);
  ~GameLinks();
  GameLinks(const GameLinks&) = delete;
  GameLinks& operator=(const GameLinks&) = delete;

  // Binds (throws std::system_error if it cannot) and starts accepting.
  void start();
  // Closes every link and the listener (their players' hooks run). Blocks
  // until done; before the loops stop.
  void stop();
  uint16_t port() const { return port_; }

  // Service loop (RoomService's seat observer): tells the user's gateway.
  void seat_changed(uint64_t user_id, uint64_t room_id);
  // Service loop (RoomService's transfer-out hook): a room here let a
  // player go; if its connection is on a gateway, that gateway is told
  // (TransferOut) and places it: true. False for a local socket's player.
  bool transfer_out(const Transfer& transfer);
  // Service loop (RoomService's return-leave hook): a RoomLeave of a
  // player transfer_out handed to its gateway goes back to that gateway
  // (Returned), which sends it after the player. False for a local
  // socket's player or a link gone.
  bool return_leave(uint64_t connection_id, uint32_t request_id);
  // Service loop: a remote user's name ("" if none is known).
  std::string username_of(uint64_t user_id) const;
  // Any thread.
  Stats stats() const;

 private:
  class PlayerLink;
  friend class PlayerLink;
  struct UserEntry {
    std::string username;
    uint64_t connection_id = 0;  // the remote id of their latest player
  };

  void accept(net::UniqueFd fd, std::string peer);
  // The link a remote player's connection id names (its slot), or null.
  // Under mutex_.
  std::shared_ptr<PlayerLink> link_of_locked(uint64_t connection_id) const;
  void link_closed(PlayerLink& link);  // the link's loop
  // The link's loop, under mutex_.
  void user_opened(uint64_t user_id, std::string_view username, uint64_t connection_id);
  void user_closed(uint64_t user_id, uint64_t connection_id, uint32_t slot);
  // The link's loop: the gateway ended the user's session.
  void user_ended(uint64_t user_id);
  // The link's loop, once its players are closed: the users whose
  // sessions that gateway held wait orphan_grace for another gateway.
  void orphan_users_of(uint32_t slot);
  void end_orphans_in_loop();  // service loop

  net::EventLoop& service_loop_;
  std::vector<net::EventLoop*> io_loops_;
  const net::FrameDispatcher& dispatcher_;
  const Options options_;
  const Hooks hooks_;
  std::unique_ptr<link::LinkListener> listener_;
  uint16_t port_ = 0;
  std::size_t next_loop_ = 0;  // service loop

  mutable std::mutex mutex_;
  std::vector<bool> slots_used_;                    // [slot]; 0 is never used
  std::vector<std::shared_ptr<PlayerLink>> links_;  // every open link
  std::unordered_map<uint64_t, UserEntry> users_;   // remote users by id
  // Users with no open player whose session a gateway holds (its player
  // closed: PlayerClosed, or its link dropped), by that gateway's slot.
  std::unordered_map<uint64_t, uint32_t> away_;
  // Users whose gateway's link dropped while they were away: when their
  // seats are given up unless some gateway opens them again.
  std::unordered_map<uint64_t, net::EventLoop::Clock::time_point> orphans_;
  bool stopping_ = false;  // stop(): links closing now orphan nobody
  Stats stats_;
};

}  // namespace citadel::fleet
