// The records of one period of one board, indexed two ways: by player
// (FlatIndex: user id -> record) and by rank (RankTree: sort key -> record).
// Storage only: the operators, limits and periods are Board's.
//
// Memory per record, measured in docs/benchmarks.md: the 64-byte record
// (one cache line, no strings inside), about 13 bytes of player index and
// 28 bytes of tree leaf per entry divided by the leaves' fill (1/2 to 1),
// plus the shared name and any metadata.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "leaderboard/chunked_pool.h"
#include "leaderboard/flat_index.h"
#include "leaderboard/leaderboard_types.h"
#include "leaderboard/rank_key.h"
#include "leaderboard/rank_tree.h"
#include "leaderboard/username_pool.h"

namespace citadel::leaderboard {

struct alignas(64) StoredRecord {
  uint64_t user_id = 0;
  int64_t score = 0;
  int64_t subscore = 0;
  uint64_t sequence = 0;  // the board's counter when the record reached (score, subscore)
  int64_t create_time_unix_ms = 0;
  int64_t update_time_unix_ms = 0;
  uint32_t num_submissions = 0;
  uint32_t username_id = UsernamePool::kNoName;
  uint32_t metadata_id = kNoMetadata;  // slot + 1 in the table's metadata pool

  static constexpr uint32_t kNoMetadata = 0;
};
static_assert(sizeof(StoredRecord) == 64, "a record is one cache line");

class RecordTable {
 public:
  using Position = RankTree::Position;

  // `names` must outlive the table: the table holds references to its names.
  RecordTable(SortOrder order, UsernamePool& names);
  ~RecordTable();
  RecordTable(const RecordTable&) = delete;
  RecordTable& operator=(const RecordTable&) = delete;

  uint64_t size() const { return ranks_.size(); }
  SortOrder order() const { return order_; }

  std::optional<uint32_t> find(uint64_t user_id) const;
  const StoredRecord& record(uint32_t index) const { return records_[index]; }
  std::string_view username(uint32_t index) const;
  std::string_view metadata(uint32_t index) const;
  RankKey key_of(uint32_t index) const;

  // Start loading into cache what a page or a submit will read soon, so the
  // misses of many records (or of a record's name and the tree) overlap.
  void prefetch_record(uint32_t index) const { __builtin_prefetch(&records_[index]); }
  void prefetch_strings(uint32_t index) const;
  // For a batch: the player's index slot, then (once that is in) the record
  // it most likely points to, then the tree paths of some keys.
  void prefetch_slot(uint64_t user_id) const;
  void prefetch_record_of(uint64_t user_id) const;
  void prefetch_paths(std::span<const RankKey> keys) const { ranks_.prefetch_paths(keys); }

  // Adds a record for a player who has none (fields.user_id; the name and
  // metadata ids in `fields` are ignored). Returns its 0-based rank.
  uint64_t insert(const StoredRecord& fields, std::string_view username, std::string_view metadata);
  // Gives the record a new (score, subscore, sequence); returns the new 0-based rank.
  uint64_t reposition(uint32_t index, int64_t score, int64_t subscore, uint64_t sequence);
  void erase(uint32_t index);

  // One more submission at now (the count saturates).
  void count_submission(uint32_t index, int64_t now_unix_ms);
  // "" keeps no name.
  void set_username(uint32_t index, std::string_view username);
  // "" clears.
  void set_metadata(uint32_t index, std::string_view metadata);

  // 0-based rank of a record.
  uint64_t rank_of(uint32_t index) const { return ranks_.count_less(key_of(index)); }
  // Ranks: positions to walk, and counts for cursor keys that need not exist.
  Position at(uint64_t rank) const { return ranks_.at(rank); }
  Position next(Position position) const { return ranks_.next(position); }
  uint32_t index_at(Position position) const { return ranks_.value(position); }
  uint64_t count_less(const RankKey& key) const { return ranks_.count_less(key); }
  uint64_t count_not_greater(const RankKey& key) const { return ranks_.count_not_greater(key); }

  // Heap bytes held by this table (records, both indices, metadata); the
  // names are the pool's.
  std::size_t memory_bytes() const;

 private:
  SortOrder order_;
  UsernamePool& names_;
  ChunkedPool<StoredRecord, 4096> records_;
  FlatIndex by_player_;
  RankTree ranks_;
  ChunkedPool<std::string, 1024> metadata_;
  std::size_t metadata_heap_bytes_ = 0;
};

}  // namespace citadel::leaderboard
