#include "fleet/ownership/owner_directory.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <unordered_set>
#include <utility>

namespace citadel::fleet::ownership {

OwnerDirectory::OwnerDirectory(etcd::EtcdClient& client, std::string cluster, Change on_change,
                               std::chrono::milliseconds retry_delay)
    : client_(client),
      cluster_(std::move(cluster)),
      on_change_(std::move(on_change)),
      retry_delay_(retry_delay),
      self_(std::make_shared<OwnerDirectory*>(this)) {}

OwnerDirectory::~OwnerDirectory() {
  self_.reset();  // first: a completion already posted finds nothing to call
  if (watch_) watch_->cancel();
}

void OwnerDirectory::start() {
  if (started_) return;
  started_ = true;
  read_all();
}

std::optional<Holding> OwnerDirectory::owner_of(uint64_t room_id) const {
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return std::nullopt;
  return it->second;
}

void OwnerDirectory::read_all() {
  std::weak_ptr<OwnerDirectory*> weak = self_;
  client_.get_prefix(rooms_prefix(cluster_), [weak](etcd::Result<etcd::RangeResult> got) {
    if (auto self = weak.lock()) (*self)->on_read(std::move(got));
  });
}

void OwnerDirectory::on_read(etcd::Result<etcd::RangeResult> got) {
  if (!got) {
    ++failed_reads_;
    return retry_later();
  }
  ++reads_;
  // The difference from what the directory held: rooms gone, then rooms
  // new or changed.
  std::unordered_map<uint64_t, Holding> now;
  for (const etcd::KeyValue& kv : got->kvs) {
    if (std::optional<Holding> h = holding_of(cluster_, kv)) now.emplace(h->record.room_id, *h);
  }
  std::vector<uint64_t> gone;
  for (const auto& [room_id, holding] : rooms_) {
    if (!now.contains(room_id)) gone.push_back(room_id);
  }
  for (uint64_t room_id : gone) set(room_id, std::nullopt);
  for (auto& [room_id, holding] : now) set(room_id, std::move(holding));
  revision_ = got->revision;
  synced_ = true;

  std::weak_ptr<OwnerDirectory*> weak = self_;
  watch_ = client_.watch_prefix(rooms_prefix(cluster_), revision_ + 1,
                                [weak](etcd::Result<etcd::WatchBatch> batch) {
                                  if (auto self = weak.lock()) (*self)->on_watch(std::move(batch));
                                });
}

void OwnerDirectory::on_watch(etcd::Result<etcd::WatchBatch> batch) {
  if (!batch) {
    // Compacted or cancelled: this watch is over. Read everything again.
    watch_.reset();
    return retry_later();
  }
  for (const etcd::WatchEvent& event : batch->events) {
    std::optional<uint64_t> room_id = room_id_of_key(cluster_, event.kv.key);
    if (!room_id) continue;
    if (event.type == etcd::WatchEvent::Type::kDelete) {
      set(*room_id, std::nullopt);
    } else {
      set(*room_id, holding_of(cluster_, event.kv));
    }
    revision_ = std::max(revision_, event.kv.mod_revision);
  }
}

void OwnerDirectory::set(uint64_t room_id, std::optional<Holding> after) {
  std::optional<Holding> before;
  auto it = rooms_.find(room_id);
  if (it != rooms_.end()) before = it->second;
  if (before == after) return;
  if (after) {
    rooms_.insert_or_assign(room_id, *after);
  } else {
    rooms_.erase(room_id);
  }
  if (on_change_) on_change_(room_id, before, after);
}

void OwnerDirectory::retry_later() {
  // The timer lives on the client's io thread (where asio wants it); its
  // completion comes back through the executor like every other answer.
  std::weak_ptr<OwnerDirectory*> weak = self_;
  boost::asio::post(client_.io(), [&client = client_, weak, delay = retry_delay_] {
    auto timer = std::make_shared<boost::asio::steady_timer>(client.io(), delay);
    timer->async_wait([&client, weak, timer](const boost::system::error_code&) {
      client.executor()([weak] {
        if (auto self = weak.lock()) (*self)->read_all();
      });
    });
  });
}

}  // namespace citadel::fleet::ownership
