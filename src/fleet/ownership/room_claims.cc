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

namespace {

// Whether a txn's compares held, and who holds the key according to its
// answer (the range op of whichever branch ran).
struct TxnAnswer {
  bool held = false;
  std::optional<Holding> holder;
};

void run_txn(etcd::EtcdClient& client, const std::string& cluster, std::vector<Compare> compares,
             std::vector<TxnOp> success, const std::string& key,
             etcd::EtcdClient::Callback<TxnAnswer> done) {
  client.txn(std::move(compares), std::move(success), {TxnOp::get(key)},
             [cluster, done = std::move(done)](etcd::Result<TxnResult> txn) {
               if (!txn) return done(txn.error());
               TxnAnswer answer;
               answer.held = txn->succeeded;
               if (const etcd::KeyValue* kv = first_kv(txn.value())) {
                 answer.holder = holding_of(cluster, *kv);
               }
               done(std::move(answer));
             });
}

}  // namespace

void RoomClaims::claim(const OwnerRecord& record, int64_t lease, Callback<ClaimResult> done) {
  std::string key = room_key(cluster_, record.room_id);
  run_txn(client_, cluster_, {Compare::absent(key)},
          {TxnOp::put(key, encode_owner_record(record), lease), TxnOp::get(key)}, key,
          [done = std::move(done)](etcd::Result<TxnAnswer> a) {
            if (!a) return done(a.error());
            done(ClaimResult{a->held, std::move(a->holder)});
          });
}

void RoomClaims::update(const OwnerRecord& record, int64_t epoch, int64_t lease,
                        Callback<FencedResult> done) {
  std::string key = room_key(cluster_, record.room_id);
  run_txn(client_, cluster_, {held_at(key, epoch)},
          {TxnOp::put(key, encode_owner_record(record), lease)}, key,
          [done = std::move(done)](etcd::Result<TxnAnswer> a) {
            if (!a) return done(a.error());
            done(FencedResult{a->held, std::move(a->holder)});
          });
}

void RoomClaims::release(uint64_t room_id, int64_t epoch, Callback<FencedResult> done) {
  std::string key = room_key(cluster_, room_id);
  run_txn(client_, cluster_, {held_at(key, epoch)}, {TxnOp::del(key)}, key,
          [done = std::move(done)](etcd::Result<TxnAnswer> a) {
            if (!a) return done(a.error());
            done(FencedResult{a->held, std::move(a->holder)});
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
