#include "fleet/membership/node_registration.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

namespace citadel::fleet {

using etcd::Compare;
using etcd::TxnOp;

std::string_view state_name(NodeRegistration::State state) {
  switch (state) {
    case NodeRegistration::State::kRegistering:
      return "registering";
    case NodeRegistration::State::kMember:
      return "member";
    case NodeRegistration::State::kLost:
      return "lost";
    case NodeRegistration::State::kDuplicate:
      return "duplicate";
    case NodeRegistration::State::kStopped:
      return "stopped";
  }
  return "unknown";
}

namespace {

// 75% to 125% of `delay`: a fleet that lost etcd together does not come
// back to it in one burst.
std::chrono::milliseconds jittered(std::chrono::milliseconds delay) {
  thread_local std::minstd_rand random{std::random_device{}()};
  std::uniform_int_distribution<int64_t> spread(delay.count() * 3 / 4, delay.count() * 5 / 4);
  return std::chrono::milliseconds(spread(random));
}

}  // namespace

NodeRegistration::NodeRegistration(net::EventLoop& loop, etcd::EtcdClient& client, Options options,
                                   MakeRecord make_record, StateChanged changed,
                                   MembershipStats& stats)
    : loop_(loop),
      client_(client),
      options_(std::move(options)),
      make_record_(std::move(make_record)),
      changed_(std::move(changed)),
      stats_(stats),
      backoff_(options_.retry_min) {}

NodeRegistration::~NodeRegistration() {
  *alive_ = false;
  if (keeper_) keeper_->stop();
}

void NodeRegistration::start() {
  attempt();
  after(options_.refresh, [this] { refresh(); });
}

void NodeRegistration::after(std::chrono::milliseconds delay, std::function<void()> f) {
  loop_.run_at_in_loop(net::EventLoop::Clock::now() + delay, guarded(std::move(f)));
}

void NodeRegistration::set_state(State state, const std::string& detail) {
  state_ = state;
  stats_.member.store(state == State::kMember);
  if (changed_) changed_(state, detail);
}

void NodeRegistration::attempt() {
  if (state_ == State::kStopped) return;
  const uint64_t generation = ++generation_;
  lease_ = 0;
  etcd::LeaseKeeper::Callbacks callbacks;
  callbacks.granted = guarded([this, generation](etcd::LeaseGrant grant) {
    if (generation == generation_) on_granted(generation, grant);
  });
  callbacks.lost = guarded([this, generation](const etcd::Error& error) {
    if (generation != generation_) return;
    if (state_ == State::kMember) {
      lose(error.describe());
    } else {
      retry(state_, "cannot get a lease from etcd: " + error.describe());
    }
  });
  keeper_ = std::make_shared<etcd::LeaseKeeper>(client_, options_.ttl_seconds, callbacks);
}

void NodeRegistration::on_granted(uint64_t generation, const etcd::LeaseGrant& grant) {
  lease_ = grant.id;
  std::string record = encode_node_record(make_record_());
  client_.txn({Compare::absent(options_.key)}, {TxnOp::put(options_.key, record, lease_)},
              {TxnOp::get(options_.key)},
              guarded([this, generation, record](etcd::Result<etcd::TxnResult> result) {
                if (generation == generation_) on_created(generation, record, std::move(result));
              }));
}

void NodeRegistration::on_created(uint64_t generation, const std::string& record,
                                  etcd::Result<etcd::TxnResult> result) {
  if (!result) {
    retry(state_, "cannot write the record " + options_.key + ": " + result.error().describe());
    return;
  }
  if (result->succeeded) {
    become_member(record);
    return;
  }
  const auto& kvs =
      result->responses.empty() ? std::vector<etcd::KeyValue>{} : result->responses.front().kvs;
  if (kvs.empty()) {  // deleted between the compare and the read: try again
    retry(state_, "the record " + options_.key + " changed while being created");
    return;
  }
  const etcd::KeyValue& held = kvs.front();
  if (lost_lease_ != 0 && held.lease == lost_lease_) {
    take_over(generation, record, held);
    return;
  }
  std::string holder;
  if (auto other = decode_node_record(held.value)) {
    holder = " (pid " + std::to_string(other->pid) + ", game " + other->game_address +
             ", started " + other->started_at + ")";
  }
  stats_.duplicates.fetch_add(1);
  retry(State::kDuplicate, "fleet.node_id '" + make_record_().id +
                               "' is already registered by a live node" + holder + " under " +
                               options_.key + "; give each node its own id");
}

void NodeRegistration::take_over(uint64_t generation, const std::string& record,
                                 const etcd::KeyValue& ours) {
  spdlog::info("fleet: {} is still there on our lost lease {:x}: taking it over", options_.key,
               ours.lease);
  client_.txn({Compare::mod_revision_is(options_.key, ours.mod_revision)},
              {TxnOp::put(options_.key, record, lease_)}, {},
              guarded([this, generation, record](etcd::Result<etcd::TxnResult> result) {
                if (generation != generation_) return;
                if (result && result->succeeded) {
                  client_.revoke(lost_lease_, [](etcd::Result<etcd::Empty>) {});
                  lost_lease_ = 0;
                  become_member(record);
                } else {
                  retry(state_, "cannot take over " + options_.key + ": " +
                                    (result ? "it changed meanwhile" : result.error().describe()));
                }
              }));
}

void NodeRegistration::become_member(const std::string& record) {
  written_ = record;
  backoff_ = options_.retry_min;
  failing_ = false;
  stats_.registrations.fetch_add(1);
  const bool again = state_ == State::kLost || stats_.registrations.load() > 1;
  spdlog::info("fleet: {} as {} (lease {:x}, TTL {} s)", again ? "registered again" : "registered",
               options_.key, lease_, options_.ttl_seconds);
  set_state(State::kMember, "registered");
}

void NodeRegistration::lose(const std::string& why) {
  // Logged once per loss: the attempts that follow log only when they
  // succeed (or, at debug level, each failure).
  spdlog::warn("fleet: lost membership ({}): {}; not a member until registered again", options_.key,
               why);
  stats_.lease_losses.fetch_add(1);
  lost_lease_ = lease_;
  // Best effort: when etcd is reachable the old record goes at once.
  if (lease_ != 0) client_.revoke(lease_, [](etcd::Result<etcd::Empty>) {});
  lease_ = 0;
  drop_keeper();
  failing_ = true;  // the loss was the warning
  set_state(State::kLost, why);
  after(jittered(backoff_), [this] { attempt(); });
}

void NodeRegistration::retry(State state, const std::string& why) {
  stats_.registration_failures.fetch_add(1);
  if (!failing_ || state != state_) {
    spdlog::warn("fleet: not registered: {}; retrying every {} ms at most", why,
                 options_.retry_max.count());
  } else {
    spdlog::debug("fleet: not registered: {}", why);
  }
  failing_ = true;
  if (lease_ != 0) client_.revoke(lease_, [](etcd::Result<etcd::Empty>) {});
  lease_ = 0;
  ++generation_;  // late answers of this attempt are ignored
  drop_keeper();
  set_state(state, why);
  after(jittered(backoff_), [this] { attempt(); });
  backoff_ = std::min(backoff_ * 2, options_.retry_max);
}

void NodeRegistration::drop_keeper() {
  if (!keeper_) return;
  sync_renewals();
  renewals_ok_base_ += keeper_->renewals();
  renewals_failed_base_ += keeper_->renewal_failures();
  keeper_->stop();
  // Destroyed from the loop's queue, not inside one of its own callbacks.
  loop_.post([keeper = std::move(keeper_)] {});
  keeper_.reset();
}

void NodeRegistration::sync_renewals() {
  stats_.renewals_ok.store(renewals_ok_base_ + (keeper_ ? keeper_->renewals() : 0));
  stats_.renewals_failed.store(renewals_failed_base_ + (keeper_ ? keeper_->renewal_failures() : 0));
}

void NodeRegistration::refresh() {
  if (state_ == State::kStopped) return;
  after(options_.refresh, [this] { refresh(); });
  sync_renewals();
  write_now();
}

void NodeRegistration::write_now() {
  if (state_ != State::kMember || writing_) return;
  std::string record = encode_node_record(make_record_());
  if (record == written_) return;
  writing_ = true;
  const uint64_t generation = generation_;
  // Only while the record is still on our lease: never over another node's.
  client_.txn({Compare::make(options_.key, Compare::Target::kLease, lease_)},
              {TxnOp::put(options_.key, record, lease_)}, {},
              guarded([this, generation, record](etcd::Result<etcd::TxnResult> result) {
                writing_ = false;
                if (generation != generation_ || state_ != State::kMember) return;
                if (!result) {
                  spdlog::debug("fleet: load not written ({}); next try in {} ms",
                                result.error().describe(), options_.refresh.count());
                  return;
                }
                if (!result->succeeded) {
                  lose("the record " + options_.key + " is no longer on our lease");
                  return;
                }
                written_ = record;
                stats_.record_updates.fetch_add(1);
              }));
}

void NodeRegistration::stop(std::function<void()> done) {
  if (state_ == State::kStopped) {
    done();
    return;
  }
  ++generation_;
  drop_keeper();
  set_state(State::kStopped, "stopped");
  const int64_t lease = lease_;
  lease_ = 0;
  if (lease == 0) {
    done();
    return;
  }
  client_.revoke(lease, [done = std::move(done), lease](etcd::Result<etcd::Empty> result) {
    if (result) {
      spdlog::info("fleet: left the fleet (lease {:x} revoked)", lease);
    } else {
      spdlog::warn("fleet: could not revoke lease {:x} ({}); the record goes after its TTL", lease,
                   result.error().describe());
    }
    done();
  });
}

}  // namespace citadel::fleet
