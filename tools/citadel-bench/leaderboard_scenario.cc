#include "leaderboard_scenario.h"

#include <memory>
#include <optional>
#include <random>
#include <string>

#include "leaderboard_report.h"
#include "pipelined_run.h"
#include "pipelined_worker.h"
#include "protocol/commands.h"
#include "scenario_setup.h"

namespace citadel::bench {
namespace {

namespace proto = citadel::protocol;

// Submits to one board, a random score each (pipelined_worker.h runs the
// logins, the slots or the open loop, and the timing); a reply's flag is
// `taken`.
class LeaderboardWorker final : public PipelinedWorker {
 public:
  LeaderboardWorker(FrameClientConfig config, const LeaderboardOptions& options, double rate_per_s,
                    std::string_view prefix, uint32_t index, uint64_t seed, RunControl& control,
                    StatsBoard& board)
      : PipelinedWorker(std::move(config), options.depth, prefix, index, control, board,
                        rate_per_s),
        board_id_(options.board),
        rng_state_(seed | 1) {}  // xorshift must not start at 0

 private:
  Request next_request(ConnId, uint32_t request_id) override {
    return {proto::cmd::kLeaderboardSubmit,
            encoder().leaderboard_submit(request_id, board_id_, next_score()), 0};
  }

  uint16_t reply_cmd() const override { return proto::cmd::kLeaderboardReply; }

  std::optional<Reply> decode_reply(std::span<const uint8_t> payload) override {
    const auto reply = decode_leaderboard_reply(payload);
    if (!reply) return std::nullopt;
    return Reply{reply->request_id, reply->result, reply->taken};
  }

  // A random non-negative score below 2^30 (xorshift64: cheap, and the
  // server's cost must not depend on how scores are drawn).
  int64_t next_score() {
    rng_state_ ^= rng_state_ << 13;
    rng_state_ ^= rng_state_ >> 7;
    rng_state_ ^= rng_state_ << 17;
    return static_cast<int64_t>(rng_state_ >> 34);
  }

  const std::string board_id_;
  uint64_t rng_state_;
};

}  // namespace

int run_leaderboard(const LeaderboardOptions& options, const sockaddr_in& server, std::FILE* csv) {
  std::random_device entropy;
  const std::string prefix = run_prefix();
  const double rate_per_worker = options.rate / worker_count(options.common);
  const PipelinedResult run = run_pipelined(
      options.common, server, options.warmup_s, options.server_pid, "submits/s", csv,
      [&](FrameClientConfig config, uint32_t index, RunControl& control, StatsBoard& board) {
        const uint64_t seed = (uint64_t{entropy()} << 32) | entropy();
        return std::make_unique<LeaderboardWorker>(std::move(config), options, rate_per_worker,
                                                   prefix, index, seed, control, board);
      });
  LeaderboardResult result;
  result.options = options;
  result.threads = run.threads;
  result.totals = run.totals;
  result.latency = run.latency;
  result.results = run.results[0];
  result.taken = run.flagged;
  result.logged_in = run.logged_in;
  result.logins_refused = run.logins_refused;
  result.submits_sent = run.requests_sent;
  result.missed = run.missed;
  result.unexpected_frames = run.unexpected_frames;
  result.connect_s = run.connect_s;
  result.duration_s = run.duration_s;
  result.server_cpu_s = run.server_cpu_s;
  result.interrupted = run.interrupted;
  print_leaderboard_report(result);
  return result.totals.counters.connected == 0 ? 2 : 0;
}

}  // namespace citadel::bench
