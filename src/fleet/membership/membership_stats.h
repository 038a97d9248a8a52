// The membership's counters: written on the service loop's thread, read by
// the admin thread (/metrics, /fleet), hence atomics.
#pragma once

#include <atomic>
#include <cstdint>

namespace citadel::fleet {

struct MembershipStats {
  std::atomic<bool> member{false};                 // a gauge: the record is in etcd on a live lease
  std::atomic<uint64_t> registrations{0};          // records created (first and re-registrations)
  std::atomic<uint64_t> registration_failures{0};  // attempts that failed (etcd away, id taken)
  std::atomic<uint64_t> duplicates{0};             // ... of which: the id was a live node's
  std::atomic<uint64_t> lease_losses{0};           // memberships lost (lease gone, record gone)
  std::atomic<uint64_t> renewals_ok{0};            // lease renewals, every lease so far
  std::atomic<uint64_t> renewals_failed{0};
  std::atomic<uint64_t> record_updates{0};     // the record rewritten with a new load figure
  std::atomic<uint64_t> malformed_records{0};  // records of other nodes that did not decode
};

}  // namespace citadel::fleet
