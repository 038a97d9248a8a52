#include "store/write_behind/write_behind_store.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <utility>

#include "store/object_validation.h"

namespace citadel::store {
namespace {

bool same_id(const StorageObject& o, const ObjectId& id) {
  return o.owner_id == id.owner_id && o.collection == id.collection && o.key == id.key;
}

const WriteBehindConfig& checked(const WriteBehindConfig& c) {
  if (c.writers == 0 || c.max_batch == 0 || c.max_pending == 0 || c.flush_interval_ms == 0) {
    throw std::invalid_argument(
        "write-behind: writers, max_batch, max_pending and flush_interval_ms must be > 0");
  }
  if (c.path.empty()) throw std::invalid_argument("write-behind: path must not be empty");
  return c;
}

template <class Result, class Callback>
void complete_with(Callback& done, StoreError error) {
  Result r;
  r.error = error;
  if (done) done(std::move(r));
}

// The ids PostgreSQL did not return: absent there too.
std::vector<ObjectId> missing_from(const std::vector<ObjectId>& asked,
                                   const std::vector<StorageObject>& found) {
  std::vector<ObjectId> absent;
  for (const ObjectId& id : asked) {
    if (std::none_of(found.begin(), found.end(),
                     [&id](const StorageObject& o) { return same_id(o, id); })) {
      absent.push_back(id);
    }
  }
  return absent;
}

}  // namespace

WriteBehindStore::WriteBehindStore(const PostgresConfig& pg, const WriteBehindConfig& wb)
    : config_(checked(wb)) {
  pg_ = std::make_unique<PostgresStore>(pg);
  wb::create_write_behind_tables(pg);
  local_ = std::make_unique<wb::LocalLog>(config_);
  const uint32_t writers = local_->writers();
  for (uint32_t shard = 0; shard < writers; ++shard) {
    flushers_.push_back(std::make_unique<wb::PgFlusher>(
        shard, pg, config_, local_->log_id(),
        [this](wb::FlushReport report) { local_->report_flushed(std::move(report)); }));
  }
  // What the last run acknowledged and did not flush goes first.
  std::vector<std::vector<wb::OutboxEntry>> by_shard(writers);
  for (wb::OutboxEntry& e : local_->take_replay()) {
    by_shard[wb::shard_of(e.id.owner_id, writers)].push_back(std::move(e));
  }
  for (uint32_t shard = 0; shard < writers; ++shard) {
    if (!by_shard[shard].empty()) flushers_[shard]->enqueue(std::move(by_shard[shard]));
  }
  // Committed entries reach their writers from the local log's thread; one
  // vector per shard per commit, not per write.
  local_->start([this, writers](std::vector<wb::OutboxEntry> entries) {
    if (writers == 1) return flushers_[0]->enqueue(std::move(entries));
    std::vector<std::vector<wb::OutboxEntry>> split(writers);
    for (wb::OutboxEntry& e : entries) {
      split[wb::shard_of(e.id.owner_id, writers)].push_back(std::move(e));
    }
    for (uint32_t shard = 0; shard < writers; ++shard) {
      if (!split[shard].empty()) flushers_[shard]->enqueue(std::move(split[shard]));
    }
  });
}

WriteBehindStore::~WriteBehindStore() {
  shutdown();
}

void WriteBehindStore::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  closing_.store(true, std::memory_order_release);
  // PostgreSQL reads still in flight hand their rows to the local log, so it
  // closes after them; the writers report to it, so it closes after them too.
  pg_->shutdown();
  for (auto& f : flushers_) f->stop(/*final_flush=*/true);
  local_->stop();
}

void WriteBehindStore::create_account(std::string username, std::string password_hash,
                                      std::string device_id, CreateAccountCallback done) {
  pg_->create_account(std::move(username), std::move(password_hash), std::move(device_id),
                      std::move(done));
}
void WriteBehindStore::find_by_username(std::string username, FindAccountCallback done) {
  pg_->find_by_username(std::move(username), std::move(done));
}
void WriteBehindStore::find_by_id(int64_t account_id, FindAccountCallback done) {
  pg_->find_by_id(account_id, std::move(done));
}
void WriteBehindStore::find_or_create_guest(std::string device_id, GuestLoginCallback done) {
  pg_->find_or_create_guest(std::move(device_id), std::move(done));
}
bool WriteBehindStore::append(std::string channel, int64_t sender_id, std::string sender_name,
                              std::string text, int64_t sent_at_unix_ms, AppendCallback done) {
  return pg_->append(std::move(channel), sender_id, std::move(sender_name), std::move(text),
                     sent_at_unix_ms, std::move(done));
}
void WriteBehindStore::load_recent(std::string channel, uint32_t limit, HistoryCallback done) {
  pg_->load_recent(std::move(channel), limit, std::move(done));
}
void WriteBehindStore::save_leaderboard(LeaderboardBoardRow board,
                                        LeaderboardStore::WriteCallback done) {
  pg_->save_leaderboard(std::move(board), std::move(done));
}
void WriteBehindStore::save_leaderboard_record(LeaderboardRecordRow record,
                                               LeaderboardStore::WriteCallback done) {
  pg_->save_leaderboard_record(std::move(record), std::move(done));
}
void WriteBehindStore::delete_leaderboard_record(std::string board_id, int64_t period_start_unix_ms,
                                                 int64_t user_id,
                                                 LeaderboardStore::WriteCallback done) {
  pg_->delete_leaderboard_record(std::move(board_id), period_start_unix_ms, user_id,
                                 std::move(done));
}
void WriteBehindStore::load_leaderboards(LoadCallback done) {
  pg_->load_leaderboards(std::move(done));
}

void WriteBehindStore::read_objects(std::vector<ObjectId> ids, ReadCallback done) {
  if (!valid_object_reads(ids)) {
    return complete_with<ObjectReadResult>(done, StoreError::kInvalidArgument);
  }
  if (closing()) return complete_with<ObjectReadResult>(done, StoreError::kShuttingDown);
  auto asked = std::make_shared<std::vector<ObjectId>>(ids);
  local_->submit_read(std::move(ids), [this, asked,
                                       done = std::move(done)](wb::LocalReadResult local) mutable {
    if (local.error != StoreError::kOk) return complete_with<ObjectReadResult>(done, local.error);
    std::vector<ObjectId> unknown;
    for (std::size_t i = 0; i < asked->size(); ++i) {
      if (local.states[i] == wb::LocalReadResult::State::kUnknown) unknown.push_back((*asked)[i]);
    }
    if (unknown.empty()) {
      ObjectReadResult r;
      r.value = std::move(local.found);
      return done(std::move(r));
    }
    // The rest from PostgreSQL, merged back in request order.
    auto found = std::make_shared<std::vector<StorageObject>>(std::move(local.found));
    auto states =
        std::make_shared<std::vector<wb::LocalReadResult::State>>(std::move(local.states));
    pg_->read_objects(std::move(unknown), [this, asked, found, states,
                                           done = std::move(done)](ObjectReadResult remote) {
      if (!remote.ok()) return complete_with<ObjectReadResult>(done, remote.error);
      ObjectReadResult r;
      std::size_t next_local = 0;
      for (std::size_t i = 0; i < asked->size(); ++i) {
        const auto state = (*states)[i];
        if (state == wb::LocalReadResult::State::kFound) {
          r.value.push_back((*found)[next_local++]);
        } else if (state == wb::LocalReadResult::State::kUnknown) {
          const ObjectId& id = (*asked)[i];
          const auto it = std::find_if(remote.value.begin(), remote.value.end(),
                                       [&id](const StorageObject& o) { return same_id(o, id); });
          if (it != remote.value.end()) r.value.push_back(*it);
        }
      }
      if (!remote.value.empty()) local_->submit_hydrate(std::move(remote.value));
      done(std::move(r));
    });
  });
}

void WriteBehindStore::write_objects(std::vector<ObjectWrite> writes,
                                     ObjectStore::WriteCallback done) {
  if (!valid_object_writes(writes)) {
    return complete_with<ObjectWriteResult>(done, StoreError::kInvalidArgument);
  }
  if (closing()) return complete_with<ObjectWriteResult>(done, StoreError::kShuttingDown);
  write_round(std::move(writes), {}, {}, false, std::move(done));
}

void WriteBehindStore::write_round(std::vector<ObjectWrite> writes,
                                   std::vector<StorageObject> hydrated,
                                   std::vector<ObjectId> absent, bool second,
                                   ObjectStore::WriteCallback done) {
  local_->submit_write(
      std::move(writes), std::move(hydrated), std::move(absent),
      [this, second, done = std::move(done)](wb::LocalWriteResult local) mutable {
        if (local.unknown.empty()) return done(std::move(local.result));
        // Hydrated just now, yet unknown again: cannot happen unless the
        // file is changed behind us; fail rather than loop.
        if (second) return complete_with<ObjectWriteResult>(done, StoreError::kStorageError);
        auto writes = std::make_shared<std::vector<ObjectWrite>>(std::move(local.writes));
        auto asked = std::make_shared<std::vector<ObjectId>>(local.unknown);
        pg_->read_objects(std::move(local.unknown), [this, writes, asked, done = std::move(done)](
                                                        ObjectReadResult remote) mutable {
          if (!remote.ok()) return complete_with<ObjectWriteResult>(done, remote.error);
          std::vector<ObjectId> absent = missing_from(*asked, remote.value);
          write_round(std::move(*writes), std::move(remote.value), std::move(absent), true,
                      std::move(done));
        });
      });
}

void WriteBehindStore::delete_objects(std::vector<ObjectDelete> deletes,
                                      ObjectStore::WriteCallback done) {
  if (!valid_object_deletes(deletes)) {
    return complete_with<ObjectWriteResult>(done, StoreError::kInvalidArgument);
  }
  if (closing()) return complete_with<ObjectWriteResult>(done, StoreError::kShuttingDown);
  delete_round(std::move(deletes), {}, {}, false, std::move(done));
}

void WriteBehindStore::delete_round(std::vector<ObjectDelete> deletes,
                                    std::vector<StorageObject> hydrated,
                                    std::vector<ObjectId> absent, bool second,
                                    ObjectStore::WriteCallback done) {
  local_->submit_delete(
      std::move(deletes), std::move(hydrated), std::move(absent),
      [this, second, done = std::move(done)](wb::LocalWriteResult local) mutable {
        if (local.unknown.empty()) return done(std::move(local.result));
        if (second) return complete_with<ObjectWriteResult>(done, StoreError::kStorageError);
        auto deletes = std::make_shared<std::vector<ObjectDelete>>(std::move(local.deletes));
        auto asked = std::make_shared<std::vector<ObjectId>>(local.unknown);
        pg_->read_objects(std::move(local.unknown), [this, deletes, asked, done = std::move(done)](
                                                        ObjectReadResult remote) mutable {
          if (!remote.ok()) return complete_with<ObjectWriteResult>(done, remote.error);
          std::vector<ObjectId> absent = missing_from(*asked, remote.value);
          delete_round(std::move(*deletes), std::move(remote.value), std::move(absent), true,
                       std::move(done));
        });
      });
}

// PostgreSQL's page with what is not flushed yet laid over it: rows written
// here replace or join PostgreSQL's, rows deleted here leave. PostgreSQL is
// asked for as many more rows as there are pending keys, so the page is
// still full after the deletes; and when PostgreSQL has more, pending rows
// past its last key wait for a later page (they would jump the queue).
void WriteBehindStore::list_objects(ObjectListQuery query, ListCallback done) {
  if (!valid_object_list(query)) {
    return complete_with<ObjectListResult>(done, StoreError::kInvalidArgument);
  }
  if (closing()) return complete_with<ObjectListResult>(done, StoreError::kShuttingDown);
  auto asked = std::make_shared<ObjectListQuery>(query);
  local_->submit_list(
      std::move(query), [this, asked, done = std::move(done)](wb::LocalListResult local) mutable {
        if (local.error != StoreError::kOk)
          return complete_with<ObjectListResult>(done, local.error);
        if (local.rows.empty() && local.deleted_keys.empty()) {
          return pg_->list_objects(*asked, std::move(done));
        }
        ObjectListQuery wider = *asked;
        wider.limit += static_cast<uint32_t>(local.rows.size() + local.deleted_keys.size());
        auto pending = std::make_shared<wb::LocalListResult>(std::move(local));
        pg_->list_objects(std::move(wider), [asked, pending,
                                             done = std::move(done)](ObjectListResult remote) {
          if (!remote.ok()) return complete_with<ObjectListResult>(done, remote.error);
          std::map<std::string, StorageObject> merged;
          for (StorageObject& o : remote.value.objects) {
            std::string key = o.key;
            merged.emplace(std::move(key), std::move(o));
          }
          const bool remote_more = remote.value.more;
          const std::string remote_last = merged.empty() ? std::string() : merged.rbegin()->first;
          for (const std::string& k : pending->deleted_keys) merged.erase(k);
          for (StorageObject& o : pending->rows) {
            if (o.read < asked->min_read) {
              merged.erase(o.key);
            } else {
              std::string key = o.key;
              merged.insert_or_assign(std::move(key), std::move(o));
            }
          }
          if (remote_more) merged.erase(merged.upper_bound(remote_last), merged.end());
          ObjectListResult r;
          r.value.more = remote_more || merged.size() > asked->limit;
          for (auto& [key, object] : merged) {
            if (r.value.objects.size() == asked->limit) break;
            r.value.objects.push_back(std::move(object));
          }
          done(std::move(r));
        });
      });
}

StoreStats WriteBehindStore::stats() const {
  StoreStats s = pg_->stats();
  auto& w = s.write_behind;
  w.enabled = true;
  w.pending = local_->pending();
  w.max_pending = config_.max_pending;
  w.refusals = local_->refusals();
  std::optional<std::chrono::steady_clock::time_point> oldest;
  for (const auto& f : flushers_) {
    w.flushed += f->flushed();
    w.batches += f->batches();
    w.conflicts += f->conflicts();
    w.flush_failures += f->failures();
    const auto o = f->oldest_pending();
    if (o && (!oldest || *o < *oldest)) oldest = o;
  }
  if (oldest) {
    w.flush_lag_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - *oldest).count();
  }
  return s;
}

}  // namespace citadel::store
