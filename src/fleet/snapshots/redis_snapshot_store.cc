#include "fleet/snapshots/redis_snapshot_store.h"

#include <charconv>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "store/recovery/recovery_codec.h"

namespace citadel::fleet::snapshots {
namespace {

// KEYS[1]: the snapshot's key. ARGV: epoch, tick, expire_after ms (0: none),
// then the record's fields. Answers {1, epoch, tick} when stored, or
// {0, held epoch, held tick} when the held snapshot wins. Epochs and ticks
// compare as Lua numbers: exact below 2^53, far above any etcd revision or
// tick count.
constexpr std::string_view kWriteScript = R"lua(
local held = redis.call('HMGET', KEYS[1], 'epoch', 'tick')
if held[1] then
  local held_epoch = tonumber(held[1])
  local epoch = tonumber(ARGV[1])
  if held_epoch > epoch or (held_epoch == epoch and tonumber(held[2]) > tonumber(ARGV[2])) then
    return {0, held[1], held[2]}
  end
end
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'tick', ARGV[2], 'type', ARGV[4],
           'code_version', ARGV[5], 'saved_unix_ms', ARGV[6], 'seats', ARGV[7], 'state', ARGV[8])
if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {1, ARGV[1], ARGV[2]}
)lua";

// KEYS[1]: the snapshot's key. ARGV[1]: the caller's epoch. 1: gone (or was
// never there); 0: a later owner's snapshot is held and stays.
constexpr std::string_view kEraseScript = R"lua(
local held = redis.call('HGET', KEYS[1], 'epoch')
if held and tonumber(held) > tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
return 1
)lua";

constexpr const char* kFields[] = {"epoch",         "tick",  "type", "code_version",
                                   "saved_unix_ms", "seats", "state"};

std::string_view text_of(const redisReply* r) {
  return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
             ? std::string_view(r->str, r->len)
             : std::string_view();
}

template <class T>
bool parse_number(std::string_view text, T& out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

// A number in an answer: an integer reply or its decimal text.
template <class T>
bool number_of(const redisReply* r, T& out) {
  if (r == nullptr) return false;
  if (r->type == REDIS_REPLY_INTEGER) {
    out = static_cast<T>(r->integer);
    return true;
  }
  return parse_number(text_of(r), out);
}

std::string failure_text(const redis::RedisResult& r) {
  if (!r.ok()) return std::string(r.error_text());
  return "redis: unexpected answer";
}

}  // namespace

RedisSnapshotStore::RedisSnapshotStore(redis::RedisClient& client, Options options)
    : client_(client),
      options_(std::move(options)),
      write_script_(std::string(kWriteScript)),
      erase_script_(std::string(kEraseScript)) {}

RedisSnapshotStore::~RedisSnapshotStore() = default;

std::string RedisSnapshotStore::key_of(uint64_t room_id) const {
  return options_.cluster + ":room:" + std::to_string(room_id) + ":snapshot";
}

void RedisSnapshotStore::write(int64_t epoch, const store::RoomRecord& room,
                               std::function<void(WriteOutcome)> done) {
  const std::vector<uint8_t> seats = store::encode_seats(room.seats);
  std::vector<std::string> words;
  words.reserve(9);
  words.push_back(key_of(room.room_id));
  words.push_back(std::to_string(epoch));
  words.push_back(std::to_string(room.tick));
  words.push_back(std::to_string(options_.expire_after.count()));
  words.push_back(room.type);
  words.push_back(room.code_version);
  words.push_back(std::to_string(room.saved_unix_ms));
  words.emplace_back(seats.begin(), seats.end());
  words.emplace_back(room.state.begin(), room.state.end());
  std::weak_ptr<bool> alive = alive_;
  write_script_.run(
      client_, 1, std::move(words),
      [this, alive, done = std::move(done)](const redis::RedisResult& r) {
        if (alive.expired()) return;
        WriteOutcome out;
        const redisReply* a = r.ok() ? r.reply : nullptr;
        if (a != nullptr && a->type == REDIS_REPLY_ARRAY && a->elements == 3 &&
            number_of(a->element[1], out.held_epoch) && number_of(a->element[2], out.held_tick)) {
          const bool stored =
              a->element[0]->type == REDIS_REPLY_INTEGER && a->element[0]->integer == 1;
          out.status = stored ? WriteOutcome::Status::kStored : WriteOutcome::Status::kStale;
          ++(stored ? counters_.stored : counters_.stale);
        } else {
          out.error = failure_text(r);
          ++counters_.failed;
        }
        done(std::move(out));
      });
}

void RedisSnapshotStore::read(uint64_t room_id, std::function<void(ReadOutcome)> done) {
  const std::string key = key_of(room_id);
  std::vector<std::string_view> command = {"HMGET", key};
  for (const char* f : kFields) command.push_back(f);
  std::weak_ptr<bool> alive = alive_;
  client_.command(command, [alive, room_id, done = std::move(done)](const redis::RedisResult& r) {
    if (alive.expired()) return;
    ReadOutcome out;
    const redisReply* a = r.ok() ? r.reply : nullptr;
    if (a == nullptr || a->type != REDIS_REPLY_ARRAY || a->elements != std::size(kFields)) {
      out.error = failure_text(r);
      return done(std::move(out));
    }
    if (a->element[0]->type == REDIS_REPLY_NIL) return done(std::move(out));  // none held
    FencedSnapshot s;
    s.room.room_id = room_id;
    const std::string_view seats = text_of(a->element[5]);
    const std::string_view state = text_of(a->element[6]);
    auto decoded = store::decode_seats(
        std::span(reinterpret_cast<const uint8_t*>(seats.data()), seats.size()));
    if (!number_of(a->element[0], s.epoch) || !number_of(a->element[1], s.room.tick) ||
        !number_of(a->element[4], s.room.saved_unix_ms) || !decoded ||
        a->element[2]->type != REDIS_REPLY_STRING || a->element[3]->type != REDIS_REPLY_STRING ||
        a->element[6]->type != REDIS_REPLY_STRING) {
      out.error = "damaged snapshot of room " + std::to_string(room_id);
      return done(std::move(out));
    }
    s.room.type = std::string(text_of(a->element[2]));
    s.room.code_version = std::string(text_of(a->element[3]));
    s.room.seats = std::move(*decoded);
    s.room.state.assign(state.begin(), state.end());
    out.snapshot = std::move(s);
    done(std::move(out));
  });
}

void RedisSnapshotStore::erase(uint64_t room_id, int64_t epoch,
                               std::function<void(EraseOutcome)> done) {
  std::weak_ptr<bool> alive = alive_;
  erase_script_.run(client_, 1, {key_of(room_id), std::to_string(epoch)},
                    [alive, done = std::move(done)](const redis::RedisResult& r) {
                      if (alive.expired()) return;
                      EraseOutcome out;
                      if (r.ok() && r.reply->type == REDIS_REPLY_INTEGER) {
                        out.status = r.reply->integer == 1 ? EraseOutcome::Status::kErased
                                                           : EraseOutcome::Status::kStale;
                      } else {
                        out.error = failure_text(r);
                      }
                      done(std::move(out));
                    });
}

}  // namespace citadel::fleet::snapshots
