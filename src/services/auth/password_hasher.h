// Password hashing off the event loops: argon2id (libsodium crypto_pwhash_str)
// on a small pool of worker threads behind a bounded queue. A burst of
// registrations waits in the queue (or is refused when it is full) and never
// delays PINGs or chat on the loops.
//
// Parameters: libsodium's "interactive" limits by default: 2 passes over
// 64 MiB, about 0.1 s of one core here. So each worker needs 64 MiB while it
// hashes, and one core does about 10 hashes a second: size `threads` for the
// login rate you expect, and `queue_capacity` for the burst.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace citadel::services {

struct PasswordHasherConfig {
  uint32_t threads = 1;
  uint32_t queue_capacity = 256;
  uint64_t ops_limit = 2;                          // crypto_pwhash_OPSLIMIT_INTERACTIVE
  uint64_t mem_limit_bytes = 64ull * 1024 * 1024;  // crypto_pwhash_MEMLIMIT_INTERACTIVE
};

class PasswordHasher {
 public:
  explicit PasswordHasher(const PasswordHasherConfig& config);
  ~PasswordHasher();  // shutdown()
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;

  // Both return false at once (and never call `done`) when the queue is full.
  // `done` runs on a worker thread: post the result back to your loop.
  // hash: `done` gets the encoded hash ("$argon2id$..."), or "" on failure.
  bool hash(std::string password, std::function<void(std::string)> done);
  bool verify(std::string encoded_hash, std::string password, std::function<void(bool)> done);

  std::size_t queued() const;

  // Refuses new jobs, drops the queued ones (their `done` is never called:
  // at shutdown nobody is left to answer), and joins the workers once the
  // hashes in progress (at most one per worker) have finished and called
  // their `done`. Returns how many queued jobs it dropped. Idempotent; not
  // from a worker thread.
  std::size_t shutdown();

 private:
  void run_worker();

  const PasswordHasherConfig config_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;  // guarded by mutex_
  bool stopping_ = false;                   // guarded by mutex_
  std::vector<std::thread> workers_;
};

}  // namespace citadel::services
