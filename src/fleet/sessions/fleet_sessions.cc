#include "fleet/sessions/fleet_sessions.h"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <unordered_set>
#include <utility>
#include <vector>

namespace citadel::fleet::sessions {
namespace {

using etcd::Compare;
using etcd::TxnOp;

Observed observed_of(const etcd::KeyValue& kv) {
  return Observed{kv.mod_revision, true, decode_session_record(kv.value)};
}

}  // namespace

FleetSessions::FleetSessions(etcd::EtcdClient& client, Options options, Evict evict,
                             FleetSessionStats& stats)
    : client_(client),
      options_(std::move(options)),
      evict_(std::move(evict)),
      stats_(stats),
      self_(std::make_shared<FleetSessions*>(this)) {}

FleetSessions::~FleetSessions() {
  self_.reset();  // first: a completion already posted finds nothing to call
  if (watch_) watch_->cancel();
  // Logins still waiting for their records (the node is stopping) get
  // their replies rather than silence.
  std::vector<std::function<void()>> waiting;
  for (auto& [user_id, e] : entries_) {
    for (auto& f : e.waiting) waiting.push_back(std::move(f));
  }
  entries_.clear();
  for (auto& f : waiting) f();
}

template <class F>
auto FleetSessions::guard(F f) {
  std::weak_ptr<FleetSessions*> weak = self_;
  return [weak, f = std::move(f)](auto&&... args) mutable {
    if (auto self = weak.lock()) f(std::forward<decltype(args)>(args)...);
  };
}

void FleetSessions::start() {
  if (started_) return;
  started_ = true;
  read_all();
}

void FleetSessions::set_lease(int64_t lease) {
  const bool renewed = lease != 0 && lease != lease_;
  lease_ = lease;
  if (lease == 0) {
    std::vector<uint64_t> users;
    for (const auto& [user_id, e] : entries_) users.push_back(user_id);
    for (uint64_t user_id : users) release_waiting(user_id, true);
  }
  if (!renewed) return;
  // The records on a lease this node lost are gone or going (etcd deletes
  // them with it; after an etcd restart the membership revokes it): every
  // local session's record is written again, conditionally, so a newer
  // login elsewhere during the outage wins.
  std::vector<uint64_t> users;
  users.reserve(entries_.size());
  for (auto& [user_id, e] : entries_) {
    e.fresh = false;
    e.written.reset();
    users.push_back(user_id);
  }
  for (uint64_t user_id : users) reconcile(user_id);
}

void FleetSessions::started(uint64_t user_id, uint64_t session_id, std::string username,
                            bool fresh) {
  Entry& e = entries_[user_id];
  if (e.session_id == 0) stats_.local.fetch_add(1, std::memory_order_relaxed);
  e.session_id = session_id;
  e.username = std::move(username);
  // A login made while not a member is not known to be the newest: its
  // record is written later, only where nobody else's is.
  e.fresh = fresh && lease_ != 0;
  ++e.generation;
  reconcile(user_id);
}

void FleetSessions::when_recorded(uint64_t user_id, uint64_t session_id, std::function<void()> f) {
  auto it = entries_.find(user_id);
  if (it == entries_.end() || lease_ == 0 || it->second.session_id != session_id ||
      !it->second.busy || (it->second.written && it->second.written->session_id == session_id)) {
    return f();  // written already, not to be written now, or not ours to wait for
  }
  it->second.waiting.push_back(std::move(f));
}

void FleetSessions::release_waiting(uint64_t user_id, bool all) {
  auto it = entries_.find(user_id);
  if (it == entries_.end() || it->second.waiting.empty()) return;
  const Entry& e = it->second;
  // The wait is over when the record is written, or will not be now (not
  // busy any more with nothing written: not a member).
  if (!all && e.busy && !(e.written && e.written->session_id == e.session_id)) return;
  auto waiting = std::move(it->second.waiting);
  it->second.waiting.clear();
  for (auto& f : waiting) f();
}

void FleetSessions::ended(uint64_t user_id, uint64_t session_id) {
  auto it = entries_.find(user_id);
  if (it == entries_.end() || it->second.session_id != session_id) return;
  it->second.session_id = 0;
  it->second.fresh = false;
  stats_.local.fetch_sub(1, std::memory_order_relaxed);
  reconcile(user_id);
}

std::string FleetSessions::live_value(uint64_t user_id, const Entry& e) const {
  return encode_session_record(
      SessionRecord{user_id, options_.node_id, e.session_id, e.username, false});
}

// The next step for a user: write the live session's record, or its
// tombstone, or forget the user.
void FleetSessions::reconcile(uint64_t user_id) {
  auto it = entries_.find(user_id);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  if (e.busy) return;  // the answer in flight calls this again
  if (e.session_id != 0) {
    if (e.written && e.written->session_id == e.session_id) return;
    if (lease_ == 0) return;  // set_lease writes it when the node is a member again
    if (e.fresh) return write_fresh(user_id);
    return write_conditional(user_id, 3);
  }
  if (e.written && lease_ != 0) return write_tombstone(user_id);
  auto waiting = std::move(e.waiting);
  entries_.erase(it);
  for (auto& f : waiting) f();
}

void FleetSessions::write_fresh(uint64_t user_id) {
  entries_.at(user_id).busy = true;
  fresh_queue_.push_back(user_id);
  send_fresh_batches();
}

void FleetSessions::send_fresh_batches() {
  while (fresh_batches_away_ < options_.batches_in_flight && !fresh_queue_.empty()) {
    std::vector<FreshWrite> batch;
    std::vector<etcd::TxnOp> puts;
    std::vector<uint64_t> skipped;
    while (!fresh_queue_.empty() && batch.size() < options_.batch_max) {
      const uint64_t user_id = fresh_queue_.front();
      fresh_queue_.pop_front();
      Entry& e = entries_.at(user_id);  // busy: never erased while queued
      // The session ended while it waited, the node is no longer a member,
      // or it registered again meanwhile (set_lease: every write is
      // conditional now): not this write; reconcile decides again.
      if (e.session_id == 0 || lease_ == 0 || !e.fresh) {
        skipped.push_back(user_id);
        continue;
      }
      // The user's session as it is now (a second login here while the
      // first waited is the newer one), unconditionally; a retry after a
      // failure is conditional.
      e.fresh = false;
      batch.push_back(FreshWrite{user_id, e.session_id});
      puts.push_back(
          TxnOp::put(session_key(options_.cluster, user_id), live_value(user_id, e), lease_));
    }
    if (!batch.empty()) {
      ++fresh_batches_away_;
      stats_.fresh_batches.fetch_add(1, std::memory_order_relaxed);
      client_.txn({}, std::move(puts), {}, guard([this, batch](etcd::Result<etcd::TxnResult> txn) {
                    on_fresh_batch(batch, std::move(txn));
                  }));
    }
    for (uint64_t user_id : skipped) finished(user_id, false);
  }
}

void FleetSessions::on_fresh_batch(const std::vector<FreshWrite>& batch,
                                   etcd::Result<etcd::TxnResult> txn) {
  --fresh_batches_away_;
  if (!txn) {
    stats_.write_failures.fetch_add(batch.size(), std::memory_order_relaxed);
    spdlog::warn("fleet: {} session record(s) not written: {}", batch.size(),
                 txn.error().describe());
  } else {
    stats_.records_written.fetch_add(batch.size(), std::memory_order_relaxed);
  }
  for (const FreshWrite& w : batch) {
    if (txn) {
      Entry& e = entries_.at(w.user_id);
      // All puts of one transaction carry its revision.
      e.written = Written{w.session_id, txn->revision};
      e.floor = std::max(e.floor, txn->revision);
    }
    finished(w.user_id, !txn);
  }
  send_fresh_batches();
}

void FleetSessions::write_conditional(uint64_t user_id, int attempts) {
  Entry& e = entries_.at(user_id);
  e.busy = true;
  const uint64_t session_id = e.session_id;
  const std::string key = session_key(options_.cluster, user_id);
  client_.get(
      key, guard([this, user_id, session_id, key, attempts](etcd::Result<etcd::RangeResult> got) {
        if (!got) {
          stats_.write_failures.fetch_add(1, std::memory_order_relaxed);
          return finished(user_id, true);
        }
        Entry& e = entries_.at(user_id);
        if (e.session_id != session_id || lease_ == 0) return finished(user_id, false);
        Compare compare;
        if (got->kvs.empty()) {
          compare = Compare::absent(key);
        } else {
          const Observed seen = observed_of(got->kvs.front());
          if (!seen.record || (seen.record->node_id != options_.node_id && !seen.record->ended)) {
            // Another node's live record, newer than anything this node
            // wrote for the user (ours would be on the key otherwise): the
            // local session lost. A tombstone says only that an older
            // session ended: it is overwritten like an absent key.
            e.busy = false;
            return superseded(user_id, seen);
          }
          compare = Compare::mod_revision_is(key, seen.revision);
        }
        client_.txn({compare}, {TxnOp::put(key, live_value(user_id, e), lease_)}, {},
                    guard([this, user_id, session_id, attempts](etcd::Result<etcd::TxnResult> txn) {
                      Entry& e = entries_.at(user_id);
                      if (!txn) {
                        stats_.write_failures.fetch_add(1, std::memory_order_relaxed);
                        return finished(user_id, true);
                      }
                      if (!txn->succeeded) {
                        // Someone wrote between the read and the txn: read again.
                        if (attempts > 1) return write_conditional(user_id, attempts - 1);
                        return finished(user_id, true);
                      }
                      stats_.records_written.fetch_add(1, std::memory_order_relaxed);
                      e.written = Written{session_id, txn->revision};
                      e.floor = std::max(e.floor, txn->revision);
                      finished(user_id, false);
                    }));
      }));
}

void FleetSessions::write_tombstone(uint64_t user_id) {
  entries_.at(user_id).busy = true;
  with_tombstone_lease([this, user_id](int64_t tombstone_lease) {
    Entry& e = entries_.at(user_id);
    if (tombstone_lease == 0) {
      stats_.write_failures.fetch_add(1, std::memory_order_relaxed);
      return finished(user_id, true);
    }
    const Written written = *e.written;
    const std::string key = session_key(options_.cluster, user_id);
    // Only over this node's own record: a newer one (another node's login)
    // is left alone. On a lease of its own that outlives the tokens, not on
    // the membership's: the session stays ended after this node is gone.
    client_.txn({Compare::mod_revision_is(key, written.revision)},
                {TxnOp::put(key,
                            encode_session_record(SessionRecord{
                                user_id, options_.node_id, written.session_id, e.username, true}),
                            tombstone_lease)},
                {}, guard([this, user_id](etcd::Result<etcd::TxnResult> txn) {
                  Entry& e = entries_.at(user_id);
                  if (!txn) {
                    stats_.write_failures.fetch_add(1, std::memory_order_relaxed);
                    return finished(user_id, true);
                  }
                  if (txn->succeeded) {
                    stats_.tombstones.fetch_add(1, std::memory_order_relaxed);
                    e.floor = std::max(e.floor, txn->revision);
                  }
                  e.written.reset();
                  finished(user_id, false);
                }));
  });
}

void FleetSessions::with_tombstone_lease(std::function<void(int64_t lease)> f) {
  // A lease is used for an hour at most, so every tombstone lives at least
  // tombstone_ttl minus an hour: longer than any token it stops.
  const auto now = std::chrono::steady_clock::now();
  if (tombstone_lease_ != 0 && now - tombstone_lease_granted_ < std::chrono::hours(1)) {
    return f(tombstone_lease_);
  }
  tombstone_waiting_.push_back(std::move(f));
  if (tombstone_waiting_.size() > 1) return;  // a grant is in flight
  client_.grant_lease(options_.tombstone_ttl.count(),
                      guard([this, now](etcd::Result<etcd::LeaseGrant> grant) {
                        tombstone_lease_ = grant ? grant->id : 0;
                        tombstone_lease_granted_ = now;
                        auto waiting = std::move(tombstone_waiting_);
                        tombstone_waiting_.clear();
                        for (auto& f : waiting) f(tombstone_lease_);
                      }));
}

void FleetSessions::finished(uint64_t user_id, bool failed) {
  // A failed write is retried later: a login waiting for it goes on now.
  if (failed) release_waiting(user_id, true);
  if (failed) {
    // etcd away, or the lease gone: try again later rather than spin. The
    // user stays busy meanwhile, so nothing overtakes the retry.
    return retry_later([this, user_id] { finished(user_id, false); });
  }
  auto it = entries_.find(user_id);
  if (it == entries_.end()) return;
  it->second.busy = false;
  // The record is written: a login waiting for it gets its reply now, before
  // what was seen meanwhile is judged, so a login that lost a race gets its
  // AuthReply and then ERROR 11, never ERROR 11 alone.
  if (it->second.written && it->second.written->session_id == it->second.session_id) {
    release_waiting(user_id, true);
    it = entries_.find(user_id);
    if (it == entries_.end()) return;
  }
  if (std::optional<Observed> seen = std::exchange(it->second.buffered, std::nullopt)) {
    apply(user_id, *seen);
  }
  reconcile(user_id);
  release_waiting(user_id, false);
}

void FleetSessions::resolve(uint64_t user_id, uint64_t session_id, std::string username,
                            Resolved done) {
  if (lease_ == 0 || entries_[user_id].busy) {
    stats_.resumes_unavailable.fetch_add(1, std::memory_order_relaxed);
    reconcile(user_id);  // forgets the entry made above if it is empty
    return done(Verdict::kUnavailable);
  }
  Entry& e = entries_.at(user_id);
  e.busy = true;
  resolve_attempt(user_id, session_id, std::move(username), e.generation, kResolveAttempts,
                  std::move(done));
}

void FleetSessions::resolve_attempt(uint64_t user_id, uint64_t session_id, std::string username,
                                    uint64_t generation, int attempts, Resolved done) {
  const std::string key = session_key(options_.cluster, user_id);
  auto give = [this, user_id](Resolved& done, Verdict verdict) {
    auto& counter =
        verdict == Verdict::kUnavailable ? stats_.resumes_unavailable : stats_.resumes_refused;
    counter.fetch_add(1, std::memory_order_relaxed);
    done(verdict);
    finished(user_id, false);
  };
  client_.get(
      key, guard([this, user_id, session_id, username = std::move(username), generation, key, give,
                  attempts, done = std::move(done)](etcd::Result<etcd::RangeResult> got) mutable {
        if (!got) return give(done, Verdict::kUnavailable);
        if (lease_ == 0) return give(done, Verdict::kUnavailable);
        // A login here while the read was away is newer than the token.
        if (entries_.at(user_id).generation != generation) return give(done, Verdict::kReplaced);
        Observed seen;
        seen.revision = got->revision;
        if (!got->kvs.empty()) seen = observed_of(got->kvs.front());
        const ResumeRuling ruling = rule_resume(seen, session_id);
        if (ruling == ResumeRuling::kReplaced) return give(done, Verdict::kReplaced);
        if (ruling == ResumeRuling::kEnded) return give(done, Verdict::kEnded);
        const bool adopt = ruling == ResumeRuling::kAdopt;
        std::string holder_name = username;
        if (seen.record && !seen.record->username.empty()) holder_name = seen.record->username;
        const Compare compare =
            adopt ? Compare::absent(key) : Compare::mod_revision_is(key, seen.revision);
        const std::string value = encode_session_record(
            SessionRecord{user_id, options_.node_id, session_id, holder_name, false});
        client_.txn({compare}, {TxnOp::put(key, value, lease_)}, {},
                    guard([this, user_id, session_id, username = std::move(username),
                           holder_name = std::move(holder_name), generation, adopt, give, attempts,
                           done = std::move(done)](etcd::Result<etcd::TxnResult> txn) mutable {
                      if (!txn) return give(done, Verdict::kUnavailable);
                      if (!txn->succeeded) {
                        // The record changed between the read and the write. Not
                        // necessarily a newer login: the holder's own writes land
                        // here too (its lease revoked as a drained gateway leaves,
                        // which deletes the record; its rewrite after a lease
                        // renewal). Judge what is there now; a newer session there
                        // refuses the resume on the next read.
                        if (attempts > 1) {
                          stats_.resume_rereads.fetch_add(1, std::memory_order_relaxed);
                          return resolve_attempt(user_id, session_id, std::move(username),
                                                 generation, attempts - 1, std::move(done));
                        }
                        return give(done, Verdict::kUnavailable);  // contended: the client retries
                      }
                      Entry& e = entries_.at(user_id);
                      e.written = Written{session_id, txn->revision};
                      e.floor = std::max(e.floor, txn->revision);
                      // A login here meanwhile: it is newer; its write goes next and
                      // overwrites this record.
                      if (e.generation != generation) return give(done, Verdict::kReplaced);
                      stats_.records_written.fetch_add(1, std::memory_order_relaxed);
                      (adopt ? stats_.resumes_adopted : stats_.resumes_taken_over)
                          .fetch_add(1, std::memory_order_relaxed);
                      if (e.session_id == 0) stats_.local.fetch_add(1, std::memory_order_relaxed);
                      e.session_id = session_id;
                      e.username = holder_name;
                      e.fresh = false;
                      ++e.generation;
                      // The caller starts the session locally first (it may end an older
                      // one here, which ended() ignores), then what was seen meanwhile
                      // is judged against it.
                      done(Verdict::kAdopt);
                      finished(user_id, false);
                    }));
      }));
}

void FleetSessions::observe(uint64_t user_id, const Observed& seen) {
  auto it = entries_.find(user_id);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  if (e.busy) {
    // Judged when the answer in flight has told us our own revision.
    if (!e.buffered || seen.revision > e.buffered->revision) e.buffered = seen;
    return;
  }
  apply(user_id, seen);
}

void FleetSessions::apply(uint64_t user_id, const Observed& seen) {
  Entry& e = entries_.at(user_id);
  if (e.session_id == 0) return;  // no live session here to judge
  // A fresh login whose unconditional write has not gone out yet (it waits
  // behind another write of the user): whatever etcd shows now is older
  // than that write will be.
  if (e.fresh) return;
  switch (judge(seen, options_.node_id, e.session_id, e.floor)) {
    case Judgement::kStale:
      return;
    case Judgement::kMine:
      e.written = Written{e.session_id, seen.revision};
      e.floor = std::max(e.floor, seen.revision);
      return;
    case Judgement::kOurs:
    case Judgement::kVanished:
      e.written.reset();
      return reconcile(user_id);
    case Judgement::kSuperseded:
      return superseded(user_id, seen);
  }
}

void FleetSessions::superseded(uint64_t user_id, const Observed& seen) {
  Entry& e = entries_.at(user_id);
  const uint64_t session_id = e.session_id;
  e.written.reset();  // not ours any more: no tombstone over it
  const bool by_resume = seen.record && seen.record->session_id == session_id;
  (by_resume ? stats_.evicted_by_resume : stats_.evicted_by_login)
      .fetch_add(1, std::memory_order_relaxed);
  spdlog::info("fleet: session {} of user {} ends here: {}", session_id, user_id,
               !seen.record ? std::string("an unreadable record replaced it")
               : by_resume  ? "resumed on node " + seen.record->node_id
                            : "a newer login on node " + seen.record->node_id);
  evict_(user_id, session_id, by_resume);
  ended(user_id, session_id);  // in case the registry no longer had it
}

void FleetSessions::read_all() {
  client_.get_prefix(
      sessions_prefix(options_.cluster),
      guard([this](etcd::Result<etcd::RangeResult> got) { on_read(std::move(got)); }));
}

void FleetSessions::on_read(etcd::Result<etcd::RangeResult> got) {
  if (!got) return retry_later([this] { read_all(); });
  std::unordered_set<uint64_t> present;
  for (const etcd::KeyValue& kv : got->kvs) {
    const std::optional<uint64_t> user_id = user_id_of_key(options_.cluster, kv.key);
    if (!user_id) continue;
    present.insert(*user_id);
    observe(*user_id, observed_of(kv));
  }
  std::vector<uint64_t> absent;
  for (const auto& [user_id, e] : entries_) {
    if (!present.contains(user_id)) absent.push_back(user_id);
  }
  for (uint64_t user_id : absent) observe(user_id, Observed{got->revision, false, std::nullopt});
  revision_ = got->revision;
  synced_ = true;
  watch_ = client_.watch_prefix(
      sessions_prefix(options_.cluster), revision_ + 1,
      guard([this](etcd::Result<etcd::WatchBatch> batch) { on_watch(std::move(batch)); }));
}

void FleetSessions::on_watch(etcd::Result<etcd::WatchBatch> batch) {
  if (!batch) {
    // Compacted or cancelled: this watch is over. Read everything again.
    watch_.reset();
    synced_ = false;
    return retry_later([this] { read_all(); });
  }
  for (const etcd::WatchEvent& event : batch->events) {
    const std::optional<uint64_t> user_id = user_id_of_key(options_.cluster, event.kv.key);
    if (!user_id) continue;
    if (event.type == etcd::WatchEvent::Type::kDelete) {
      observe(*user_id, Observed{event.kv.mod_revision, false, std::nullopt});
    } else {
      observe(*user_id, observed_of(event.kv));
    }
    revision_ = std::max(revision_, event.kv.mod_revision);
  }
}

void FleetSessions::retry_later(std::function<void()> f) {
  // The timer lives on the client's io thread (where asio wants it); its
  // completion comes back through the executor like every other answer.
  boost::asio::post(client_.io(), [&client = client_, f = guard(std::move(f)),
                                   delay = options_.retry_delay]() mutable {
    auto timer = std::make_shared<boost::asio::steady_timer>(client.io(), delay);
    timer->async_wait([&client, timer, f = std::move(f)](const boost::system::error_code&) mutable {
      client.executor()(std::move(f));
    });
  });
}

}  // namespace citadel::fleet::sessions
