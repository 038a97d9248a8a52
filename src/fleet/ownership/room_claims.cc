#include "fleet/ownership/room_claims.h"

#include <utility>
#include <vector>

namespace citadel::fleet::ownership {
namespace {

using etcd::Compare;
using etcd::TxnOp;
using etcd::TxnResult;

// The first key-value a txn's range op returned, if any.
const etcd::KeyValue* first_kv(const TxnResult& txn) {
  for (const etcd::TxnOpResult& op : txn.responses) {
    if (op.kind == TxnOp::Kind::kRange && !op.kvs.empty()) return &op.kvs.front();
  }
  return nullptr;
}

// "My hold at `epoch` stands": the record is the one created at that revision.
Compare held_at(std::string key, int64_t epoch) {
  return Compare::make(std::move(key), Compare::Target::kCreate, epoch);
}

}  // namespace

std::optional<Holding> holding_of(std::string_view cluster, const etcd::KeyValue& kv) {
  std::optional<uint64_t> room_id = room_id_of_key(cluster, kv.key);
  if (!room_id) return std::nullopt;
  Holding holding;
  holding.epoch = kv.create_revision;
  holding.lease = kv.lease;
  std::optional<OwnerRecord> record = decode_owner_record(kv.value);
  if (record && record->room_id == *room_id) {
    holding.record = std::move(*record);
  } else {
    holding.record.room_id = *room_id;
    holding.readable = false;
  }
  return holding;
}

RoomClaims::RoomClaims(etcd::EtcdClient& client, std::string cluster)
    : client_(client), cluster_(std::move(cluster)) {}

void RoomClaims::claim(const OwnerRecord& record, int64_t lease, Callback<ClaimResult> done) {
  std::string key = room_key(cluster_, record.room_id);
  client_.txn({Compare::absent(key)},
              {TxnOp::put(key, encode_owner_record(record), lease), TxnOp::get(key)},
              {TxnOp::get(key)},
              [cluster = cluster_, done = std::move(done)](etcd::Result<TxnResult> txn) {
                if (!txn) return done(txn.error());
                ClaimResult result;
                result.won = txn->succeeded;
                if (const etcd::KeyValue* kv = first_kv(txn.value())) {
                  result.holder = holding_of(cluster, *kv);
                }
                done(std::move(result));
              });
}

void RoomClaims::update(const OwnerRecord& record, int64_t epoch, int64_t lease,
                        Callback<FencedResult> done) {
  std::string key = room_key(cluster_, record.room_id);
  client_.txn({held_at(key, epoch)}, {TxnOp::put(key, encode_owner_record(record), lease)},
              {TxnOp::get(key)},
              [cluster = cluster_, done = std::move(done)](etcd::Result<TxnResult> txn) {
                if (!txn) return done(txn.error());
                FencedResult result;
                result.done = txn->succeeded;
                if (const etcd::KeyValue* kv = first_kv(txn.value())) {
                  result.holder = holding_of(cluster, *kv);
                }
                done(std::move(result));
              });
}

void RoomClaims::release(uint64_t room_id, int64_t epoch, Callback<FencedResult> done) {
  std::string key = room_key(cluster_, room_id);
  client_.txn({held_at(key, epoch)}, {TxnOp::del(key)}, {TxnOp::get(key)},
              [cluster = cluster_, done = std::move(done)](etcd::Result<TxnResult> txn) {
                if (!txn) return done(txn.error());
                FencedResult result;
                result.done = txn->succeeded;
                if (const etcd::KeyValue* kv = first_kv(txn.value())) {
                  result.holder = holding_of(cluster, *kv);
                }
                done(std::move(result));
              });
}

void RoomClaims::holder(uint64_t room_id, Callback<std::optional<Holding>> done) {
  client_.get(room_key(cluster_, room_id),
              [cluster = cluster_, done = std::move(done)](etcd::Result<etcd::RangeResult> got) {
                if (!got) return done(got.error());
                std::optional<Holding> holding;
                if (!got->kvs.empty()) holding = holding_of(cluster, got->kvs.front());
                done(std::move(holding));
              });
}

}  // namespace citadel::fleet::ownership
