// Messages between the nodes of a fleet through one Redis stream (issue 18:
// cross-node chat fan-out): every node appends what the others must see
// (XADD) and reads what they appended (XREAD BLOCK from the last entry it
// read), skipping its own.
//
// Why a stream and not PUBLISH/SUBSCRIBE: a subscriber that reconnects has
// missed whatever was published meanwhile; a stream reader resumes after
// the last entry it read, so a dropped connection delays messages and loses
// none (as long as the stream, capped at about max_entries, still holds
// them; Redis's own restart without persistence loses what it held).
//
// Two Redis connections: `writer` (shared with other users is fine) and
// `reader`, which this relay holds in XREAD BLOCK and so must be its own.
// start() first asks for the stream's last entry (XREVRANGE), then reads
// from there: a node sees what is appended after it started, not the
// history, and every read names a concrete entry (XREAD from "$" again
// after an empty block would miss what came in between).
//
// Entry fields: o = the origin node, t = a topic (what the message is, for
// the receiver to dispatch on), p = the payload bytes.
//
// Loop thread only (the clients' loop); callbacks run there. None runs
// after the relay is destroyed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "redis/redis_client.h"

namespace citadel::fleet::relay {

class RedisStreamRelay {
 public:
  struct Options {
    std::string stream_key = "citadel:relay";
    std::string origin;  // this node's id: its own entries are not handed back
    // XADD ... MAXLEN ~ max_entries: the stream is trimmed near this length.
    std::size_t max_entries = 100'000;
    // One XREAD waits at most this long for new entries, then asks again.
    std::chrono::milliseconds block{1000};
    // Entries one XREAD hands back at most.
    std::size_t read_batch = 512;
    // After a failed read (Redis away): wait this long before the next.
    std::chrono::milliseconds retry_delay{100};
  };
  // A message from another node.
  using OnMessage = std::function<void(std::string_view origin, std::string_view topic,
                                       std::string_view payload)>;

  struct Counters {
    uint64_t published = 0;         // XADDs Redis accepted
    uint64_t publish_failures = 0;  // XADDs that failed (Redis away, an error reply)
    uint64_t received = 0;          // other nodes' entries handed to on_message
    uint64_t own_skipped = 0;       // this node's entries read back and skipped
    uint64_t malformed = 0;         // entries without the fields above, skipped
    uint64_t read_failures = 0;     // XREADs (and the start's XREVRANGE) that failed
    uint64_t empty_reads = 0;       // XREADs whose block ran out with nothing new
  };

  RedisStreamRelay(redis::RedisClient& writer, redis::RedisClient& reader, Options options,
                   OnMessage on_message);
  ~RedisStreamRelay();
  RedisStreamRelay(const RedisStreamRelay&) = delete;
  RedisStreamRelay& operator=(const RedisStreamRelay&) = delete;

  // Starts reading (once). `reading` (optional) runs once, on the loop,
  // when the relay knows where it reads from: whatever another node
  // appends from then on reaches on_message.
  void start(std::function<void()> reading = nullptr);
  // Appends a message for the other nodes. `done` (optional) learns whether
  // Redis took it: "" or the reason it did not.
  void publish(std::string_view topic, std::string_view payload,
               std::function<void(std::string_view error)> done = nullptr);

  const Counters& counters() const { return counters_; }
  // The id of the last entry read ("" until start() found where to begin;
  // "0-0" when the stream was empty then).
  const std::string& last_id() const { return last_id_; }

 private:
  void find_start();
  void read_next();
  void retry_later(void (RedisStreamRelay::*step)());
  void on_read(const redis::RedisResult& r);

  redis::RedisClient& writer_;
  redis::RedisClient& reader_;
  const Options options_;
  const OnMessage on_message_;
  const std::string max_entries_text_;
  const std::string block_text_;
  const std::string batch_text_;
  std::string last_id_;
  bool started_ = false;
  std::function<void()> reading_;
  Counters counters_;
  std::shared_ptr<RedisStreamRelay*> alive_;
};

}  // namespace citadel::fleet::relay
