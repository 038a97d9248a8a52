#include "leaderboard/record_table.h"

#include "leaderboard/hashing.h"

namespace citadel::leaderboard {
namespace {

// std::string keeps up to 15 bytes inline; more is a heap block.
std::size_t heap_bytes_of(const std::string& text) {
  return text.size() > 15 ? text.capacity() + 1 : 0;
}

}  // namespace

RecordTable::RecordTable(SortOrder order, UsernamePool& names) : order_(order), names_(names) {}

RecordTable::~RecordTable() {
  // Names are shared with other tables: give back this table's references.
  for (Position p = ranks_.at(0); !p.at_end(); p = ranks_.next(p)) {
    names_.release(records_[ranks_.value(p)].username_id);
  }
}

std::optional<uint32_t> RecordTable::find(uint64_t user_id) const {
  return by_player_.find(hash_id(user_id),
                         [&](uint32_t index) { return records_[index].user_id == user_id; });
}

std::string_view RecordTable::username(uint32_t index) const {
  return names_.view(records_[index].username_id);
}

std::string_view RecordTable::metadata(uint32_t index) const {
  uint32_t id = records_[index].metadata_id;
  return id == StoredRecord::kNoMetadata ? std::string_view() : std::string_view(metadata_[id - 1]);
}

void RecordTable::prefetch_strings(uint32_t index) const {
  const StoredRecord& r = records_[index];
  names_.prefetch(r.username_id);
  if (r.metadata_id != StoredRecord::kNoMetadata) __builtin_prefetch(&metadata_[r.metadata_id - 1]);
}

void RecordTable::prefetch_slot(uint64_t user_id) const {
  by_player_.prefetch(hash_id(user_id));
}

void RecordTable::prefetch_record_of(uint64_t user_id) const {
  if (std::optional<uint32_t> index = by_player_.first_candidate(hash_id(user_id))) {
    prefetch_record(*index);
  }
}

RankKey RecordTable::key_of(uint32_t index) const {
  const StoredRecord& r = records_[index];
  return make_rank_key(order_, r.score, r.subscore, r.sequence);
}

uint64_t RecordTable::insert(const StoredRecord& fields, std::string_view username,
                             std::string_view metadata) {
  uint32_t index = records_.allocate();
  StoredRecord& r = records_[index];
  r = fields;
  r.username_id = names_.acquire(username);
  r.metadata_id = StoredRecord::kNoMetadata;
  set_metadata(index, metadata);
  by_player_.insert(hash_id(r.user_id), index);
  return ranks_.insert(key_of(index), index);
}

uint64_t RecordTable::reposition(uint32_t index, int64_t score, int64_t subscore,
                                 uint64_t sequence) {
  RankKey from = key_of(index);
  StoredRecord& r = records_[index];
  r.score = score;
  r.subscore = subscore;
  r.sequence = sequence;
  return ranks_.move(from, key_of(index), index);
}

void RecordTable::erase(uint32_t index) {
  ranks_.erase(key_of(index));
  StoredRecord& r = records_[index];
  by_player_.erase(hash_id(r.user_id), index);
  names_.release(r.username_id);
  set_metadata(index, {});
  records_.release(index);
}

void RecordTable::count_submission(uint32_t index, int64_t now_unix_ms) {
  StoredRecord& r = records_[index];
  if (r.num_submissions < UINT32_MAX) ++r.num_submissions;
  r.update_time_unix_ms = now_unix_ms;
}

void RecordTable::set_username(uint32_t index, std::string_view username) {
  StoredRecord& r = records_[index];
  if (names_.view(r.username_id) == username) return;
  uint32_t id = names_.acquire(username);
  names_.release(r.username_id);
  r.username_id = id;
}

void RecordTable::set_metadata(uint32_t index, std::string_view metadata) {
  StoredRecord& r = records_[index];
  if (r.metadata_id != StoredRecord::kNoMetadata) {
    if (metadata_[r.metadata_id - 1] == metadata) return;
    std::string& old = metadata_[r.metadata_id - 1];
    metadata_heap_bytes_ -= heap_bytes_of(old);
    old = std::string();
    metadata_.release(r.metadata_id - 1);
    r.metadata_id = StoredRecord::kNoMetadata;
  }
  if (metadata.empty()) return;
  uint32_t slot = metadata_.allocate();
  metadata_[slot].assign(metadata);
  metadata_heap_bytes_ += heap_bytes_of(metadata_[slot]);
  r.metadata_id = slot + 1;
}

std::size_t RecordTable::memory_bytes() const {
  return records_.memory_bytes() + by_player_.memory_bytes() + ranks_.memory_bytes() +
         metadata_.memory_bytes() + metadata_heap_bytes_;
}

}  // namespace citadel::leaderboard
