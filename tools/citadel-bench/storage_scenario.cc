#include "storage_scenario.h"

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "device_ids.h"
#include "pipelined_run.h"
#include "pipelined_worker.h"
#include "protocol/commands.h"
#include "scenario_setup.h"
#include "storage_messages.h"
#include "storage_report.h"

namespace citadel::bench {
namespace {

namespace proto = citadel::protocol;

// A player's object: a counter and padding to ~100 bytes, the size of a small
// profile (and of the store-level bench's values, for comparison).
constexpr std::string_view kPad =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

class StorageWorker final : public PipelinedWorker {
 public:
  StorageWorker(FrameClientConfig config, const StorageOptions& options, std::string_view prefix,
                uint32_t index, uint64_t seed, RunControl& control, StatsBoard& board,
                double rate_per_s)
      : PipelinedWorker(std::move(config), options.depth, prefix, index, control, board,
                        rate_per_s),
        collection_(options.collection),
        keys_(options.keys),
        // Reads are drawn against a 32-bit threshold: exact enough for a ratio.
        read_threshold_(static_cast<uint64_t>(options.read_ratio * 4294967296.0)),
        rng_state_(seed | 1) {  // xorshift must not start at 0
    // Appended, not "k" + to_string: g++ 12 warns falsely (-Wrestrict) on that.
    for (uint32_t k = 0; k < keys_; ++k) key_names_.emplace_back("k").append(std::to_string(k));
  }

 private:
  Request next_request(ConnId, uint32_t request_id) override {
    // Round robin over the player's keys (request ids count up per connection).
    const std::string& key = key_names_[request_id % keys_];
    if (next_random() < read_threshold_) {
      return {proto::cmd::kStorageRead, storage_.read(request_id, collection_, key), kRead};
    }
    value_.assign(R"({"n":)").append(std::to_string(request_id)).append(R"(,"pad":")");
    value_.append(kPad).append(R"("})");
    return {proto::cmd::kStorageWrite, storage_.write(request_id, collection_, key, value_),
            kWrite};
  }

  uint16_t reply_cmd() const override { return proto::cmd::kStorageReply; }

  std::optional<Reply> decode_reply(std::span<const uint8_t> payload) override {
    const auto reply = decode_storage_reply(payload);
    if (!reply) return std::nullopt;
    return Reply{reply->request_id, reply->result};
  }

  // A random 32-bit draw (xorshift64: cheap, and the server's cost must not
  // depend on how the mix is drawn).
  uint64_t next_random() {
    rng_state_ ^= rng_state_ << 13;
    rng_state_ ^= rng_state_ >> 7;
    rng_state_ ^= rng_state_ << 17;
    return rng_state_ >> 32;
  }

  const std::string collection_;
  const uint32_t keys_;
  const uint64_t read_threshold_;
  uint64_t rng_state_;
  std::vector<std::string> key_names_;
  std::string value_;
  StorageEncoder storage_;
};

}  // namespace

int run_storage(const StorageOptions& options, const sockaddr_in& server, std::FILE* csv) {
  std::random_device entropy;
  const std::string prefix = run_prefix();
  const double rate_per_worker = options.rate / worker_count(options.common);
  StorageRunResult result;
  result.options = options;
  result.run = run_pipelined(
      options.common, server, options.warmup_s, options.server_pid, "ops/s", csv,
      [&](FrameClientConfig config, uint32_t index, RunControl& control, StatsBoard& board) {
        const uint64_t seed = (uint64_t{entropy()} << 32) | entropy();
        return std::make_unique<StorageWorker>(std::move(config), options, prefix, index, seed,
                                               control, board, rate_per_worker);
      });
  print_storage_report(result);
  return result.run.totals.counters.connected == 0 ? 2 : 0;
}

}  // namespace citadel::bench
