#include "fleet/membership/fleet_view.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace citadel::fleet {
namespace {

constexpr std::chrono::milliseconds kRetryMin{500};
constexpr std::chrono::milliseconds kRetryMax{5000};

}  // namespace

FleetView::FleetView(net::EventLoop& loop, etcd::EtcdClient& client, std::string prefix,
                     Changed changed, MembershipStats& stats)
    : loop_(loop),
      client_(client),
      prefix_(std::move(prefix)),
      changed_(std::move(changed)),
      stats_(stats) {}

FleetView::~FleetView() {
  *alive_ = false;
  if (watch_) watch_->cancel();
}

void FleetView::start() {
  read();
}

void FleetView::read() {
  client_.get_prefix(prefix_, guarded([this](etcd::Result<etcd::RangeResult> result) {
                       on_read(std::move(result));
                     }));
}

void FleetView::on_read(etcd::Result<etcd::RangeResult> result) {
  if (!result) {
    again("cannot read " + prefix_ + ": " + result.error().describe());
    return;
  }
  table_.clear();
  for (const auto& kv : result->kvs) put(kv);
  if (failing_) spdlog::info("fleet: watching {} again", prefix_);
  failing_ = false;
  backoff_ = kRetryMin;
  changed_(table_, true);
  watch_ = client_.watch_prefix(
      prefix_, result->revision + 1,
      guarded([this](etcd::Result<etcd::WatchBatch> batch) { on_watch(std::move(batch)); }));
}

void FleetView::on_watch(etcd::Result<etcd::WatchBatch> batch) {
  if (!batch) {
    // The watch has ended (compacted away or cancelled by etcd): read the
    // whole prefix again, then watch from there.
    again("the watch on " + prefix_ + " ended: " + batch.error().describe());
    return;
  }
  for (const auto& event : batch->events) {
    if (event.type == etcd::WatchEvent::Type::kPut) {
      put(event.kv);
    } else {
      table_.erase(event.kv.key.substr(std::min(prefix_.size(), event.kv.key.size())));
      malformed_keys_.erase(event.kv.key);
    }
  }
  changed_(table_, true);
}

void FleetView::put(const etcd::KeyValue& kv) {
  const std::string id = kv.key.substr(std::min(prefix_.size(), kv.key.size()));
  std::string why;
  auto record = decode_node_record(kv.value, &why);
  if (!record) {
    table_.erase(id);
    stats_.malformed_records.fetch_add(1);
    if (malformed_keys_.insert(kv.key).second) {
      spdlog::warn("fleet: ignoring {}: not a node record ({})", kv.key, why);
    }
    return;
  }
  table_[id] = FleetEntry{std::move(*record), kv.lease, kv.mod_revision};
}

void FleetView::again(const std::string& why) {
  if (!failing_) {
    spdlog::warn("fleet: {}; the node list may be stale until it is read again", why);
  } else {
    spdlog::debug("fleet: {}", why);
  }
  failing_ = true;
  if (watch_) {
    watch_->cancel();
    // Destroyed from the loop's queue, not inside its own callback.
    loop_.post([watch = std::move(watch_)] {});
    watch_.reset();
  }
  changed_(table_, false);
  loop_.run_at_in_loop(net::EventLoop::Clock::now() + backoff_, guarded([this] { read(); }));
  backoff_ = std::min(backoff_ * 2, kRetryMax);
}

}  // namespace citadel::fleet
