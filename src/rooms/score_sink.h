// How room code records a score on a leaderboard (match results, say)
// without knowing the leaderboard service or any transport: RoomContext::
// scores() hands out the server's sink. Plain data in, nothing blocks.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace citadel::rooms {

struct ScoreSubmission {
  std::string board_id;
  uint64_t user_id = 0;
  std::string username;  // shown on the board; empty keeps the record's name
  int64_t score = 0;
  int64_t subscore = 0;
  std::optional<std::string> metadata;  // nullopt keeps the record's (docs/leaderboards.md)
};

class ScoreSink {
 public:
  // Called once the score is recorded and stored (`problem` empty), or
  // refused (`problem` says why: "unknown board", "storage failed", ...).
  // Runs on another thread than the room's: it must not touch room state.
  using Done = std::function<void(std::string_view problem)>;

  // Any thread; returns at once. Not rate limited (server code is trusted).
  virtual void submit_score(ScoreSubmission submission, Done done = nullptr) = 0;
  // Deletes the player's record of the board's current period: `problem`
  // empty once deleted and stored, else why not ("unknown board", "no
  // record", ...). Any thread; returns at once.
  virtual void delete_score(std::string board_id, uint64_t user_id, Done done = nullptr) = 0;

 protected:
  ~ScoreSink() = default;
};

// The sink of a process without leaderboards (and of tests' own contexts):
// every submission is refused with "no leaderboards here".
ScoreSink& no_scores();

}  // namespace citadel::rooms
