// A Lua script run by its SHA-1 (EVALSHA), the way every Redis user here
// runs scripts: the script cache is loaded when a connection comes up
// (load(), from the client's connected hook), and a NOSCRIPT answer (Redis
// restarted, SCRIPT FLUSH) is followed at once by the same call as EVAL with
// the script's text, counted in reloads(). Either way the caller's callback
// runs once, with the script's own reply.
//
// Loop thread only, like the RedisClient it runs on. A call's state is
// shared with its callback, so a RedisScript may go before its calls'
// replies come in (their callbacks still run; a caller that may be gone by
// then guards its own).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "redis/redis_client.h"

namespace citadel::redis {

class RedisScript {
 public:
  explicit RedisScript(std::string text);

  const std::string& text() const { return shared_->text; }
  const std::string& sha() const { return shared_->sha; }

  // SCRIPT LOAD, pipelined ahead of whatever follows on the connection.
  void load(RedisClient& client) const;
  // EVALSHA sha <key_count> words...; EVAL on NOSCRIPT. `words` are the
  // script's keys (the first key_count) and then its arguments.
  void run(RedisClient& client, std::size_t key_count, std::vector<std::string> words,
           RedisClient::Callback done) const;
  // Calls resent as EVAL after a NOSCRIPT answer.
  uint64_t reloads() const { return shared_->reloads; }

 private:
  struct Shared {
    std::string text;
    std::string sha;  // hex SHA-1 of text
    uint64_t reloads = 0;
  };
  std::shared_ptr<Shared> shared_;
};

// The hex SHA-1 of a script's text: its name in Redis's script cache.
std::string script_sha1_hex(std::string_view text);

}  // namespace citadel::redis
