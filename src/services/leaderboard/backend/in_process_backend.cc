#include "services/leaderboard/backend/in_process_backend.h"

namespace citadel::services {

using leaderboard::LeaderboardError;

void InProcessBackend::create_board(const leaderboard::BoardConfig& config, int64_t now_unix_ms,
                                    Done<bool> done) {
  const LeaderboardError error = engine_.create_board(config, now_unix_ms);
  done({{error, error == LeaderboardError::kOk}, {}});
}

void InProcessBackend::submit_batch(
    const std::string& board_id, std::vector<OwnedSubmission> submissions, int64_t now_unix_ms,
    Done<std::vector<leaderboard::Result<leaderboard::SubmitResult>>> done) {
  std::vector<leaderboard::Submission> views;
  views.reserve(submissions.size());
  for (const OwnedSubmission& s : submissions) {
    leaderboard::Submission v{s.user_id, s.username, s.score, s.subscore, std::nullopt};
    if (s.metadata) v.metadata = *s.metadata;
    views.push_back(v);
  }
  BackendResult<std::vector<leaderboard::Result<leaderboard::SubmitResult>>> out;
  out.result.value.resize(views.size());
  engine_.submit_batch(board_id, views, now_unix_ms, out.result.value);
  done(std::move(out));
}

void InProcessBackend::submit_batch_records(const std::string& board_id,
                                            std::vector<OwnedSubmission> submissions,
                                            int64_t now_unix_ms,
                                            Done<std::vector<SubmitOutcome>> done) {
  BackendResult<std::vector<SubmitOutcome>> out;
  out.result.value.resize(submissions.size());
  for (std::size_t i = 0; i < submissions.size(); ++i) {
    const OwnedSubmission& s = submissions[i];
    leaderboard::Submission v{s.user_id, s.username, s.score, s.subscore, std::nullopt};
    if (s.metadata) v.metadata = *s.metadata;
    SubmitOutcome& o = out.result.value[i];
    o.result = engine_.submit(board_id, v, now_unix_ms);
    if (!o.result.ok()) continue;
    const uint64_t ids[] = {s.user_id};
    auto records = engine_.records_of(board_id, ids, leaderboard::Period::kCurrent, now_unix_ms);
    if (records.ok() && !records.value.empty()) o.record = std::move(records.value[0]);
  }
  done(std::move(out));
}

void InProcessBackend::delete_record(const std::string& board_id, uint64_t user_id,
                                     int64_t now_unix_ms, Done<bool> done) {
  const LeaderboardError error =
      engine_.delete_record(board_id, user_id, leaderboard::Period::kCurrent, now_unix_ms);
  done({{error, error == LeaderboardError::kOk}, {}});
}

void InProcessBackend::list(const std::string& board_id, PageRequest request, int64_t now_unix_ms,
                            Done<leaderboard::RecordPage> done) {
  done({engine_.list(board_id, {request.limit, request.cursor, request.period}, now_unix_ms), {}});
}

void InProcessBackend::around(const std::string& board_id, uint64_t user_id, uint32_t limit,
                              leaderboard::Period period, int64_t now_unix_ms,
                              Done<leaderboard::RecordPage> done) {
  done({engine_.around(board_id, user_id, limit, period, now_unix_ms), {}});
}

void InProcessBackend::records_of(const std::string& board_id, std::vector<uint64_t> user_ids,
                                  leaderboard::Period period, int64_t now_unix_ms,
                                  Done<std::vector<leaderboard::Record>> done) {
  done({engine_.records_of(board_id, user_ids, period, now_unix_ms), {}});
}

void InProcessBackend::rank_of(const std::string& board_id, uint64_t user_id,
                               leaderboard::Period period, int64_t now_unix_ms,
                               Done<uint64_t> done) {
  done({engine_.rank_of(board_id, user_id, period, now_unix_ms), {}});
}

void InProcessBackend::board_info(const std::string& board_id, int64_t now_unix_ms,
                                  Done<leaderboard::BoardInfo> done) {
  done({engine_.board_info(board_id, now_unix_ms), {}});
}

}  // namespace citadel::services
