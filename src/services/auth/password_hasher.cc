#include "services/auth/password_hasher.h"

#include <sodium.h>

#include <stdexcept>

namespace citadel::services {

PasswordHasher::PasswordHasher(const PasswordHasherConfig& config) : config_(config) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  for (uint32_t i = 0; i < std::max(1u, config_.threads); ++i) {
    workers_.emplace_back([this] { run_worker(); });
  }
}

PasswordHasher::~PasswordHasher() {
  shutdown();
}

std::size_t PasswordHasher::shutdown() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    dropped.swap(jobs_);
  }
  wake_.notify_all();
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
  return dropped.size();  // destroyed here, outside the lock, never run
}

std::size_t PasswordHasher::queued() const {
  std::lock_guard lock(mutex_);
  return jobs_.size();
}

bool PasswordHasher::hash(std::string password, std::function<void(std::string)> done) {
  std::lock_guard lock(mutex_);
  if (stopping_ || jobs_.size() >= config_.queue_capacity) return false;
  jobs_.emplace_back([this, password = std::move(password), done = std::move(done)]() mutable {
    char out[crypto_pwhash_STRBYTES];
    const int rc = crypto_pwhash_str(out, password.data(), password.size(), config_.ops_limit,
                                     static_cast<size_t>(config_.mem_limit_bytes));
    sodium_memzero(password.data(), password.size());
    done(rc == 0 ? std::string(out) : std::string());
  });
  wake_.notify_one();
  return true;
}

bool PasswordHasher::verify(std::string encoded_hash, std::string password,
                            std::function<void(bool)> done) {
  std::lock_guard lock(mutex_);
  if (stopping_ || jobs_.size() >= config_.queue_capacity) return false;
  jobs_.emplace_back([hash = std::move(encoded_hash), password = std::move(password),
                      done = std::move(done)]() mutable {
    const bool ok = !hash.empty() &&
                    crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
    sodium_memzero(password.data(), password.size());
    done(ok);
  });
  wake_.notify_one();
  return true;
}

void PasswordHasher::run_worker() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;  // queued jobs are dropped by shutdown()
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace citadel::services
