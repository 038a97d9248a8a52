// Admission control: the global connection cap and the per-address cap.
// Touched only when a connection opens or closes (never per message), from the
// acceptor's loop and from whichever loop closes a connection, so the
// per-address table sits behind a mutex and the total is an atomic.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace citadel::net {

enum class Admission : uint8_t { kAdmitted, kServerFull, kTooManyFromAddress };

class ConnectionLimits {
 public:
  // per_address_max 0 means no per-address cap.
  ConnectionLimits(uint32_t max_total, uint32_t per_address_max)
      : max_total_(max_total), per_address_max_(per_address_max) {}

  // Takes a slot for a new connection from `address`, or says why not.
  // Thread-safe.
  Admission try_admit(const boost::asio::ip::address& address);
  // Returns the slot taken by try_admit. Thread-safe.
  void release(const boost::asio::ip::address& address);

  uint32_t active() const { return active_.load(std::memory_order_relaxed); }
  uint32_t max_total() const { return max_total_; }
  uint32_t per_address_max() const { return per_address_max_; }

 private:
  const uint32_t max_total_;
  const uint32_t per_address_max_;
  std::atomic<uint32_t> active_{0};
  std::mutex mutex_;
  std::unordered_map<boost::asio::ip::address, uint32_t> per_address_;
};

}  // namespace citadel::net
