#include "fleet/membership/membership.h"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <map>
#include <stdexcept>

#include "fleet/etcd/etcd_client.h"
#include "fleet/etcd/loop_executor.h"
#include "fleet/membership/fleet_settings.h"

namespace citadel::fleet {

Membership::Membership(net::EventLoop& loop, Options options, LoadSource load)
    : loop_(loop), options_(std::move(options)), load_(std::move(load)) {}

Membership::~Membership() {
  stop();
}

void Membership::on_change(std::function<void(bool member)> f) {
  listeners_.push_back(std::move(f));
}

int64_t Membership::lease_in_loop() const {
  return registration_ ? registration_->lease() : 0;
}

void Membership::on_table(std::function<void(const FleetTable& table)> f) {
  table_listeners_.push_back(std::move(f));
}

bool Membership::run_on_loop(std::function<void(std::function<void()> done)> f,
                             std::chrono::milliseconds wait) {
  struct Done {
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
  };
  auto state = std::make_shared<Done>();
  loop_.post([f = std::move(f), state] {
    f([state] {
      std::lock_guard lock(state->mutex);
      state->done = true;
      state->cv.notify_all();
    });
  });
  std::unique_lock lock(state->mutex);
  return state->cv.wait_for(lock, wait, [&] { return state->done; });
}

NodeRecord Membership::make_record() const {
  NodeRecord record = options_.self;
  if (load_) record.load = load_();
  record.draining = options_.draining && options_.draining();
  return record;
}

void Membership::start(std::chrono::milliseconds wait) {
  if (started_) return;
  started_ = true;
  const auto url = parse_etcd_url(options_.etcd_url);
  if (!url) throw std::runtime_error("fleet.etcd: not an http://host:port URL");
  etcd::EtcdClient::Options client_options;
  client_options.endpoint.host = url->host;
  client_options.endpoint.port = url->port;
  client_options.connect_timeout = std::chrono::milliseconds(500);
  client_options.request_timeout = std::chrono::milliseconds(2000);
  client_ = std::make_unique<etcd::EtcdClient>(client_options, etcd::on_loop(loop_));

  NodeRegistration::Options registration;
  registration.key = node_key(options_.cluster, options_.self.id);
  registration.ttl_seconds = options_.lease_ttl_seconds;
  registration.refresh = options_.refresh;
  spdlog::info("fleet: joining cluster '{}' at {} as {} (role {}, lease TTL {} s)",
               options_.cluster, options_.etcd_url, options_.self.id, options_.self.role,
               options_.lease_ttl_seconds);
  run_on_loop(
      [this, registration](std::function<void()> done) {
        registration_ = std::make_unique<NodeRegistration>(
            loop_, *client_, registration, [this] { return make_record(); },
            [this](NodeRegistration::State state, const std::string& detail) {
              on_state(state, detail);
            },
            stats_);
        view_ = std::make_unique<FleetView>(
            loop_, *client_, nodes_prefix(options_.cluster),
            [this](const FleetTable& table, bool synced) {
              {
                std::lock_guard lock(mutex_);
                table_ = table;
                synced_ = synced;
              }
              for (const auto& f : table_listeners_) f(table);
            },
            stats_);
        registration_->start();
        view_->start();
        done();
      },
      std::chrono::seconds(5));

  std::unique_lock lock(mutex_);
  outcome_cv_.wait_for(lock, wait, [&] { return outcome_; });
  if (state_ == NodeRegistration::State::kDuplicate) throw std::runtime_error(detail_);
  if (state_ != NodeRegistration::State::kMember) {
    spdlog::warn(
        "fleet: not registered yet ({}); serving meanwhile, /health answers 503 until the node "
        "is a member; retrying",
        outcome_ ? detail_ : "etcd has not answered");
  }
}

void Membership::on_state(NodeRegistration::State state, const std::string& detail) {
  // The listeners first: when start() returns, they have seen the outcome.
  const bool member = state == NodeRegistration::State::kMember;
  if (member != was_member_) {
    was_member_ = member;
    for (const auto& f : listeners_) f(member);
  }
  {
    std::lock_guard lock(mutex_);
    state_ = state;
    detail_ = detail;
    lease_ = registration_ ? registration_->lease() : 0;
    outcome_ = true;
  }
  outcome_cv_.notify_all();
}

void Membership::record_changed() {
  loop_.post([this] {
    if (registration_) registration_->write_now();
  });
}

void Membership::stop(std::chrono::milliseconds wait) {
  if (!started_ || stopped_) return;
  stopped_ = true;
  // Revoke first: the record goes at once, before this node stops serving.
  if (!run_on_loop(
          [this](std::function<void()> done) {
            view_.reset();
            registration_->stop(std::move(done));
          },
          wait)) {
    spdlog::warn("fleet: etcd did not confirm the lease's revocation within {} ms", wait.count());
  }
  run_on_loop(
      [this](std::function<void()> done) {
        registration_.reset();
        done();
      },
      std::chrono::seconds(2));
  client_.reset();
}

std::vector<std::pair<std::string, uint64_t>> Membership::nodes_by_role() const {
  std::map<std::string, uint64_t> roles{{"all", 0}, {"gateway", 0}, {"game", 0}};
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, entry] : table_) ++roles[entry.record.role];
  }
  return {roles.begin(), roles.end()};
}

namespace {

nlohmann::ordered_json node_json(const std::string& id, const FleetEntry& e, bool self,
                                 std::string_view self_state) {
  nlohmann::ordered_json j;
  j["id"] = id;
  j["role"] = e.record.role;
  j["game"] = e.record.game_address;
  j["admin"] = e.record.admin_address;
  j["pid"] = e.record.pid;
  j["version"] = e.record.version;
  j["started_at"] = e.record.started_at;
  j["draining"] = e.record.draining;
  j["load"] = {{"connections", e.record.load.connections},
               {"rooms", e.record.load.rooms},
               {"room_players", e.record.load.room_players}};
  char lease[24];
  std::snprintf(lease, sizeof lease, "%llx", static_cast<unsigned long long>(e.lease));
  j["lease"] = lease;
  // Another node's record is in etcd only while its lease lives; our own
  // state is what the registration knows.
  j["lease_state"] = self ? std::string(self_state) : std::string("live");
  j["self"] = self;
  return j;
}

}  // namespace

std::string Membership::nodes_json() const {
  std::lock_guard lock(mutex_);
  nlohmann::ordered_json j;
  j["configured"] = true;
  j["cluster"] = options_.cluster;
  j["synced"] = synced_;
  auto nodes = nlohmann::ordered_json::array();
  for (const auto& [id, entry] : table_) {
    // Ours by id and pid, not by lease: just after a re-registration the
    // watch may still show the record on the lease we lost.
    const bool self = id == options_.self.id && entry.record.pid == options_.self.pid;
    nodes.push_back(node_json(id, entry, self, state_name(state_)));
  }
  j["nodes"] = std::move(nodes);
  return j.dump() + "\n";
}

std::string Membership::summary_json() const {
  const auto roles = nodes_by_role();
  std::lock_guard lock(mutex_);
  nlohmann::ordered_json j;
  j["configured"] = true;
  j["cluster"] = options_.cluster;
  j["etcd"] = options_.etcd_url;
  j["node_id"] = options_.self.id;
  j["role"] = options_.self.role;
  j["member"] = stats_.member.load();
  j["state"] = state_name(state_);
  j["detail"] = detail_;
  char lease[24];
  std::snprintf(lease, sizeof lease, "%llx", static_cast<unsigned long long>(lease_));
  j["lease"] = lease;
  j["lease_ttl_ms"] = options_.lease_ttl_seconds * 1000;
  j["synced"] = synced_;
  j["nodes"] = table_.size();
  auto by_role = nlohmann::ordered_json::object();
  for (const auto& [role, count] : roles) by_role[role] = count;
  j["nodes_by_role"] = std::move(by_role);
  j["registrations"] = stats_.registrations.load();
  j["lease_losses"] = stats_.lease_losses.load();
  return j.dump() + "\n";
}

}  // namespace citadel::fleet
