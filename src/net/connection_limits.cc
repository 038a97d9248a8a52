#include "net/connection_limits.h"

namespace citadel::net {

Admission ConnectionLimits::try_admit(const boost::asio::ip::address& address) {
  // Reserve the global slot first so the total can never overshoot under a
  // storm of concurrent accepts.
  if (active_.fetch_add(1, std::memory_order_relaxed) >= max_total_) {
    active_.fetch_sub(1, std::memory_order_relaxed);
    return Admission::kServerFull;
  }
  if (per_address_max_ != 0) {
    std::lock_guard lock(mutex_);
    uint32_t& count = per_address_[address];
    if (count >= per_address_max_) {
      if (count == 0) per_address_.erase(address);
      active_.fetch_sub(1, std::memory_order_relaxed);
      return Admission::kTooManyFromAddress;
    }
    ++count;
  }
  return Admission::kAdmitted;
}

void ConnectionLimits::release(const boost::asio::ip::address& address) {
  if (per_address_max_ != 0) {
    std::lock_guard lock(mutex_);
    if (auto it = per_address_.find(address); it != per_address_.end()) {
      if (--it->second == 0) per_address_.erase(it);
    }
  }
  active_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace citadel::net
