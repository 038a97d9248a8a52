// What the admin endpoints read from the rest of the process. Plain callables
// rather than a Server reference, so the admin server stays below the game
// layers and tests can run it against fixed numbers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "net/loop_stats.h"

namespace citadel::ops::admin {

class MetricsWriter;

// What POST /config/reload answers: whether the new config runs, and a
// JSON body saying what changed or why nothing did.
struct ReloadAnswer {
  bool ok = false;
  std::string json;
};

struct AdminSources {
  std::string version;
  // When the process started: uptime and process_start_time_seconds.
  std::chrono::steady_clock::time_point started_steady = std::chrono::steady_clock::now();
  std::chrono::system_clock::time_point started_wall = std::chrono::system_clock::now();
  uint32_t event_loops = 0;
  uint32_t max_connections = 0;
  // Each is called on the admin thread and must be thread-safe.
  std::function<net::StatsSnapshot()> stats;  // counters summed over the loops
  std::function<bool()> draining;             // graceful shutdown under way
  // GET /config and POST /config/reload (404 when unset). Called on the
  // admin thread; must be thread-safe and must not wait on a game loop.
  std::function<std::string()> config_status;
  std::function<ReloadAnswer()> config_reload;
  // POST /leaderboards: creates a board from the request's JSON body. Called
  // on the admin thread; `done` runs once, on any thread, with the HTTP
  // status and a one-line text body. Unset: the path answers 404.
  using AdminReply = std::function<void(unsigned status, std::string text)>;
  std::function<void(std::string body, AdminReply done)> create_leaderboard;
  // DELETE /leaderboards/{board_id}/records/{user_id}: deletes the player's
  // record of the board's current period. Same contract as above; unset:
  // the path answers 404.
  std::function<void(std::string board_id, uint64_t user_id, AdminReply done)>
      delete_leaderboard_record;
  // GET /store/conflicts?limit=N&after=ID (a JSON page) and DELETE
  // /store/conflicts/{id}: write-behind's kept conflicts. Called on the admin
  // thread with the checked query; `done` runs once, on any thread, with the
  // status and a body of `content_type`. Unset (write-behind off): 404.
  struct AdminAnswer {
    unsigned status = 200;
    std::string body;
    std::string content_type = "application/json";
  };
  using AdminAnswerDone = std::function<void(AdminAnswer)>;
  std::function<void(int64_t after_id, uint32_t limit, AdminAnswerDone done)> list_store_conflicts;
  std::function<void(int64_t id, AdminAnswerDone done)> dismiss_store_conflict;
  // GET /plugins (JSON), POST /plugins/load (body: a library's path) and
  // POST /plugins/rollback (body: a room type's name); 404 when unset.
  // Called on the admin thread: loading a library happens there, never on
  // a game loop; the swap itself is posted to the room service.
  std::function<std::string()> plugins_status;
  std::function<ReloadAnswer(std::string body)> plugins_load;
  std::function<ReloadAnswer(std::string body)> plugins_rollback;
  // GET /fleet (this node's membership) and GET /fleet/nodes (every live
  // node), JSON. Unset (no fleet.etcd): both answer 200 with
  // {"configured":false,...}. fleet_member, when set, makes /health a
  // readiness check of the membership too (503 "not_member" while false).
  // Called on the admin thread; thread-safe, never waiting on a loop.
  std::function<std::string()> fleet_status;
  std::function<std::string()> fleet_nodes;
  std::function<bool()> fleet_member;
  // POST /fleet/drain: this node starts draining (docs/fleet.md
  // "Draining") and stops once drained; 404 when unset (no fleet.etcd).
  // The answer's ok is false (409) when this node cannot drain (a node of
  // role `all`). Admin thread; returns at once.
  std::function<ReloadAnswer()> fleet_drain;
};

// Writes extra metric families on every scrape (rooms, ticks, chat, storage
// add theirs this way). Called on the admin thread; must be thread-safe.
using MetricsCollector = std::function<void(MetricsWriter&)>;

}  // namespace citadel::ops::admin
