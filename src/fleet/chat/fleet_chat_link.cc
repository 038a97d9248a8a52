#include "fleet/chat/fleet_chat_link.h"

#include <utility>

#include "fleet/chat/chat_event_codec.h"

namespace citadel::fleet::chat {

namespace {

relay::RedisStreamRelay::Options relay_options(const FleetChatLink::Options& o) {
  relay::RedisStreamRelay::Options r;
  r.stream_key = o.stream_key;
  r.origin = o.node_id;
  r.max_entries = o.max_entries;
  return r;
}

}  // namespace

FleetChatLink::FleetChatLink(net::EventLoop& loop, Options options, Sink sink)
    : options_(std::move(options)),
      sink_(std::move(sink)),
      writer_(loop, options_.url),
      reader_(loop, options_.url),
      relay_(writer_, reader_, relay_options(options_),
             [this](std::string_view origin, std::string_view topic, std::string_view payload) {
               on_entry(origin, topic, payload);
             }) {}

FleetChatLink::~FleetChatLink() = default;

void FleetChatLink::start(std::function<void()> reading) {
  relay_.start(std::move(reading));
}

void FleetChatLink::publish(const services::ChatFleetEvent& event, std::function<void(bool)> done) {
  if (!encode_chat_event(event, encoded_)) {
    counters_.publish_failures.fetch_add(1, std::memory_order_relaxed);
    if (done) done(false);
    return;
  }
  // The relay copies the bytes into the command at once: encoded_ is free
  // for the next event when this returns.
  relay_.publish(kChatTopic, encoded_, [this, done = std::move(done)](std::string_view error) {
    const bool ok = error.empty();
    (ok ? counters_.published : counters_.publish_failures).fetch_add(1, std::memory_order_relaxed);
    if (done) done(ok);
  });
}

void FleetChatLink::on_entry(std::string_view origin, std::string_view topic,
                             std::string_view payload) {
  // Entries the relay itself found without their fields are counted there;
  // they join this count at the next entry.
  const uint64_t relay_malformed = relay_.counters().malformed;
  if (relay_malformed != relay_malformed_seen_) {
    counters_.malformed.fetch_add(relay_malformed - relay_malformed_seen_,
                                  std::memory_order_relaxed);
    relay_malformed_seen_ = relay_malformed;
  }
  if (topic != kChatTopic || origin.empty() || !decode_chat_event(payload, incoming_)) {
    counters_.malformed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  counters_.received.fetch_add(1, std::memory_order_relaxed);
  origin_.assign(origin);
  const std::size_t delivered = sink_ ? sink_(origin_, incoming_) : 0;
  counters_.delivered.fetch_add(delivered, std::memory_order_relaxed);
}

}  // namespace citadel::fleet::chat
