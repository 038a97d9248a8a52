// What the session registry tells the fleet, and asks it (issue 18,
// docs/fleet.md "Sessions across the fleet"). An interface so that services
// know nothing of etcd: the app implements it over fleet/sessions
// (app/fleet_session_link.h) and the fleet calls back into the registry
// (SessionRegistry::evict_in_loop). Without a fleet there is no sink and
// nothing here runs.
//
// Thread: the service loop, every call and every callback.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace citadel::services {

class FleetSessionSink {
 public:
  enum class Verdict : uint8_t {
    kAdopt,        // the session is now this node's: start it here (resync)
    kReplaced,     // a newer login holds the user
    kEnded,        // the session ended (logout, grace passed) where it was
    kUnavailable,  // etcd cannot be asked now (unreachable, not a member): retry
  };
  using Resolved = std::function<void(Verdict)>;

  virtual ~FleetSessionSink() = default;
  // A session started here: fresh (a login now) or not (restored after a
  // restart, or there before the fleet started).
  virtual void started_in_loop(uint64_t user_id, uint64_t session_id, const std::string& username,
                               bool fresh) = 0;
  // `f` runs when the fresh login's record is in etcd, or at once when it
  // cannot be written now (the login goes on locally): the login's reply
  // waits for it, bounded by one etcd request's timeout.
  virtual void when_recorded_in_loop(uint64_t user_id, uint64_t session_id,
                                     std::function<void()> f) = 0;
  // The session ended here (logout, grace passed, replaced, evicted).
  virtual void ended_in_loop(uint64_t user_id, uint64_t session_id) = 0;
  // A Resume of a session this node does not hold: may it be resumed here?
  virtual void resolve_in_loop(uint64_t user_id, uint64_t session_id, const std::string& username,
                               Resolved done) = 0;
};

}  // namespace citadel::services
