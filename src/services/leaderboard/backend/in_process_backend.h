// LeaderboardBackend over the in-process engine (leaderboard::Leaderboards):
// every call completes before it returns. Boards live in memory; the service
// persists them to the configured store.
#pragma once

#include "leaderboard/leaderboards.h"
#include "services/leaderboard/backend/leaderboard_backend.h"

namespace citadel::services {

class InProcessBackend final : public LeaderboardBackend {
 public:
  explicit InProcessBackend(const leaderboard::CursorKey& cursor_key) : engine_(cursor_key) {}

  leaderboard::Leaderboards& engine() { return engine_; }

  void create_board(const leaderboard::BoardConfig& config, int64_t now_unix_ms,
                    Done<bool> done) override;
  void submit_batch(
      const std::string& board_id, std::vector<OwnedSubmission> submissions, int64_t now_unix_ms,
      Done<std::vector<leaderboard::Result<leaderboard::SubmitResult>>> done) override;
  void submit_batch_records(const std::string& board_id, std::vector<OwnedSubmission> submissions,
                            int64_t now_unix_ms, Done<std::vector<SubmitOutcome>> done) override;
  void delete_record(const std::string& board_id, uint64_t user_id, int64_t now_unix_ms,
                     Done<bool> done) override;
  void list(const std::string& board_id, PageRequest request, int64_t now_unix_ms,
            Done<leaderboard::RecordPage> done) override;
  void around(const std::string& board_id, uint64_t user_id, uint32_t limit,
              leaderboard::Period period, int64_t now_unix_ms,
              Done<leaderboard::RecordPage> done) override;
  void records_of(const std::string& board_id, std::vector<uint64_t> user_ids,
                  leaderboard::Period period, int64_t now_unix_ms,
                  Done<std::vector<leaderboard::Record>> done) override;
  void rank_of(const std::string& board_id, uint64_t user_id, leaderboard::Period period,
               int64_t now_unix_ms, Done<uint64_t> done) override;
  void board_info(const std::string& board_id, int64_t now_unix_ms,
                  Done<leaderboard::BoardInfo> done) override;

 private:
  leaderboard::Leaderboards engine_;
};

}  // namespace citadel::services
