// Chat across the fleet (issue 18, docs/fleet.md "Chat across the fleet"):
// the ChatFanout the chat service publishes to, over the Redis stream relay
// (fleet/relay), with the events encoded by chat_event_codec.h.
//
// Outgoing: each event is encoded into one reused buffer and appended to
// the stream by the writer connection (so this node's events keep their
// order in the stream); the result comes back to the chat service. This
// node's own entries are skipped when read back (the relay's origin
// check): local members already got them straight from the chat service.
//
// Incoming: the reader connection (held in XREAD BLOCK) hands other nodes'
// entries here; each is decoded into one reused event and handed to the
// sink (ChatService::on_fleet_event_in_loop). An entry that does not
// decode, or has another topic, is counted as malformed and skipped.
//
// Threads: built, used and destroyed on the service loop (or destroyed
// after it stopped), like its two Redis clients; the counters are atomics
// the admin thread reads for /metrics.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "fleet/relay/redis_stream_relay.h"
#include "net/event_loop.h"
#include "redis/redis_client.h"
#include "redis/redis_url.h"
#include "services/chat/chat_fanout.h"

namespace citadel::fleet::chat {

struct FleetChatCounters {
  std::atomic<uint64_t> published{0};         // events Redis took
  std::atomic<uint64_t> publish_failures{0};  // events it did not (Redis away, too large)
  std::atomic<uint64_t> received{0};          // other nodes' events decoded
  std::atomic<uint64_t> delivered{0};         // pushes to local users those events caused
  std::atomic<uint64_t> malformed{0};         // entries skipped: not a chat event
};

class FleetChatLink final : public services::ChatFanout {
 public:
  struct Options {
    redis::RedisUrl url;
    std::string node_id;                      // this node's fleet id (the entries' origin)
    std::string stream_key = "citadel:chat";  // one stream per cluster
    std::size_t max_entries = 100'000;        // XADD MAXLEN ~
  };
  // Another node's event, on the loop; returns the local deliveries it made.
  using Sink =
      std::function<std::size_t(const std::string& origin, const services::ChatFleetEvent&)>;

  FleetChatLink(net::EventLoop& loop, Options options, Sink sink);
  ~FleetChatLink() override;
  FleetChatLink(const FleetChatLink&) = delete;
  FleetChatLink& operator=(const FleetChatLink&) = delete;

  // Starts reading; `reading` runs on the loop once other nodes' entries
  // from then on will arrive (the moment to say hello).
  void start(std::function<void()> reading);
  void publish(const services::ChatFleetEvent& event, std::function<void(bool ok)> done) override;

  const FleetChatCounters& counters() const { return counters_; }
  const redis::RedisClientStats& writer_stats() const { return writer_.stats(); }

 private:
  void on_entry(std::string_view origin, std::string_view topic, std::string_view payload);

  const Options options_;
  Sink sink_;
  FleetChatCounters counters_;
  redis::RedisClient writer_;
  redis::RedisClient reader_;  // held in XREAD BLOCK: the relay's own
  std::string encoded_;        // the outgoing event's bytes (capacity reused)
  services::ChatFleetEvent incoming_;
  std::string origin_;
  uint64_t relay_malformed_seen_ = 0;
  // Last: destroyed first, so no relay callback outlives what it uses.
  relay::RedisStreamRelay relay_;
};

}  // namespace citadel::fleet::chat
