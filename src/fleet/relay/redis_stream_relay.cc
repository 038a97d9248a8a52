#include "fleet/relay/redis_stream_relay.h"

#include <utility>

namespace citadel::fleet::relay {
namespace {

std::string_view text_of(const redisReply* r) {
  return r != nullptr && r->type == REDIS_REPLY_STRING ? std::string_view(r->str, r->len)
                                                       : std::string_view();
}

}  // namespace

RedisStreamRelay::RedisStreamRelay(redis::RedisClient& writer, redis::RedisClient& reader,
                                   Options options, OnMessage on_message)
    : writer_(writer),
      reader_(reader),
      options_(std::move(options)),
      on_message_(std::move(on_message)),
      max_entries_text_(std::to_string(options_.max_entries)),
      block_text_(std::to_string(options_.block.count())),
      batch_text_(std::to_string(options_.read_batch)),
      alive_(std::make_shared<RedisStreamRelay*>(this)) {}

RedisStreamRelay::~RedisStreamRelay() = default;

void RedisStreamRelay::start(std::function<void()> reading) {
  if (started_) return;
  started_ = true;
  reading_ = std::move(reading);
  find_start();
}

void RedisStreamRelay::find_start() {
  const std::string_view command[] = {"XREVRANGE", options_.stream_key, "+", "-", "COUNT", "1"};
  std::weak_ptr<RedisStreamRelay*> alive = alive_;
  reader_.command(command, [alive](const redis::RedisResult& r) {
    auto self = alive.lock();
    if (!self) return;
    RedisStreamRelay& relay = **self;
    if (!r.ok() || r.reply->type != REDIS_REPLY_ARRAY) {
      ++relay.counters_.read_failures;
      return relay.retry_later(&RedisStreamRelay::find_start);
    }
    // [[id, fields]] or [] (no stream yet, or an empty one).
    const redisReply* last = r.reply->elements > 0 ? r.reply->element[0] : nullptr;
    relay.last_id_ = last != nullptr && last->type == REDIS_REPLY_ARRAY && last->elements == 2
                         ? std::string(text_of(last->element[0]))
                         : std::string();
    if (relay.last_id_.empty()) relay.last_id_ = "0-0";
    relay.read_next();
    if (auto reading = std::move(relay.reading_)) reading();
  });
}

void RedisStreamRelay::retry_later(void (RedisStreamRelay::*step)()) {
  // The reader client reconnects by itself; ask again after a pause.
  std::weak_ptr<RedisStreamRelay*> alive = alive_;
  reader_.loop().run_at_in_loop(net::EventLoop::Clock::now() + options_.retry_delay, [alive, step] {
    if (auto self = alive.lock()) ((**self).*step)();
  });
}

void RedisStreamRelay::publish(std::string_view topic, std::string_view payload,
                               std::function<void(std::string_view)> done) {
  const std::string_view command[] = {"XADD",
                                      options_.stream_key,
                                      "MAXLEN",
                                      "~",
                                      max_entries_text_,
                                      "*",
                                      "o",
                                      options_.origin,
                                      "t",
                                      topic,
                                      "p",
                                      payload};
  std::weak_ptr<RedisStreamRelay*> alive = alive_;
  writer_.command(command, [alive, done = std::move(done)](const redis::RedisResult& r) {
    auto self = alive.lock();
    if (!self) return;
    const bool ok = r.ok() && r.reply->type == REDIS_REPLY_STRING;
    ++(ok ? (*self)->counters_.published : (*self)->counters_.publish_failures);
    if (done) done(ok ? std::string_view() : r.error_text());
  });
}

void RedisStreamRelay::read_next() {
  const std::string_view command[] = {"XREAD",     "COUNT",   batch_text_,         "BLOCK",
                                      block_text_, "STREAMS", options_.stream_key, last_id_};
  std::weak_ptr<RedisStreamRelay*> alive = alive_;
  reader_.command(command, [alive](const redis::RedisResult& r) {
    if (auto self = alive.lock()) (*self)->on_read(r);
  });
}

void RedisStreamRelay::on_read(const redis::RedisResult& r) {
  if (!r.ok()) {
    // Redis away or the connection lost: from the same entry, a little later.
    ++counters_.read_failures;
    return retry_later(&RedisStreamRelay::read_next);
  }
  // Nil: the block timed out with nothing new. Else
  // [[stream, [[id, [field, value, ...]], ...]]].
  const redisReply* reply = r.reply;
  if (reply->type == REDIS_REPLY_NIL) ++counters_.empty_reads;
  if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
      reply->element[0]->type == REDIS_REPLY_ARRAY && reply->element[0]->elements == 2) {
    const redisReply* entries = reply->element[0]->element[1];
    for (std::size_t i = 0; entries->type == REDIS_REPLY_ARRAY && i < entries->elements; ++i) {
      const redisReply* entry = entries->element[i];
      if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) continue;
      const std::string_view id = text_of(entry->element[0]);
      if (id.empty()) continue;
      last_id_.assign(id);
      const redisReply* fields = entry->element[1];
      std::string_view origin, topic, payload;
      bool has_origin = false, has_topic = false, has_payload = false;
      for (std::size_t f = 0; fields->type == REDIS_REPLY_ARRAY && f + 1 < fields->elements;
           f += 2) {
        const std::string_view name = text_of(fields->element[f]);
        const std::string_view value = text_of(fields->element[f + 1]);
        if (name == "o") origin = value, has_origin = true;
        if (name == "t") topic = value, has_topic = true;
        if (name == "p") payload = value, has_payload = true;
      }
      if (!has_origin || !has_topic || !has_payload) {
        ++counters_.malformed;
      } else if (origin == options_.origin) {
        ++counters_.own_skipped;
      } else {
        ++counters_.received;
        if (on_message_) {
          // The callback may destroy the relay: stop if it did.
          std::weak_ptr<RedisStreamRelay*> alive = alive_;
          on_message_(origin, topic, payload);
          if (alive.expired()) return;
        }
      }
    }
  }
  read_next();
}

}  // namespace citadel::fleet::relay
