// A user's session record in etcd (issue 18, docs/fleet.md "Sessions across
// the fleet"): which node holds the user's one live session.
//
// Key: /<cluster>/sessions/<user id, decimal>. Value: a small JSON object,
//   {"user":7,"node":"node-a","session":1234,"name":"alice"}
// put on the holding node's lease, so it goes when that node dies or is cut
// off from etcd for a TTL. A session that ended normally (logout, grace
// passed) leaves a tombstone, the same record with "ended":true, on a lease
// that outlives the tokens, so its token resumes nowhere.
//
// The rule (pure, unit-tested here, applied by FleetSessions): the record
// with the highest mod_revision is the truth. A node keeps a local session
// only while the newest record it has seen for the user names this node and
// that session; a newer record naming anything else (another node, another
// session, a tombstone, a value it cannot read) ends the local session.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace citadel::fleet::sessions {

struct SessionRecord {
  uint64_t user_id = 0;
  std::string node_id;
  uint64_t session_id = 0;
  std::string username;
  bool ended = false;  // a tombstone: the session ended on node_id

  bool operator==(const SessionRecord&) const = default;
};

// A record is under a hundred bytes; anything past this is not ours.
inline constexpr std::size_t kMaxSessionRecordBytes = 4096;

std::string encode_session_record(const SessionRecord& record);
// nullopt when the value is not a record this code wrote: not JSON, not an
// object, a field missing or mistyped, user or session 0, an empty node,
// more than kMaxSessionRecordBytes.
std::optional<SessionRecord> decode_session_record(std::string_view value);

// "/<cluster>/sessions/" and "/<cluster>/sessions/<user_id>".
std::string sessions_prefix(std::string_view cluster);
std::string session_key(std::string_view cluster, uint64_t user_id);
// The user id a key of sessions_prefix(cluster) names; nullopt otherwise.
std::optional<uint64_t> user_id_of_key(std::string_view cluster, std::string_view key);

// What etcd shows at a user's key: absent, or a value (readable or not) at
// a mod_revision.
struct Observed {
  int64_t revision = 0;  // the event's or the read's mod_revision (a delete's revision)
  bool present = false;
  std::optional<SessionRecord> record;  // present but nullopt: unreadable
};

// What a node holding a live local session does about an observation.
enum class Judgement : uint8_t {
  kStale,       // at or before the last record this node wrote: ignore
  kMine,        // names this node and the local session: keep
  kOurs,        // written by this node for another session: rewrite it
  kVanished,    // no record any more (a lease ran out, a revoke): rewrite if absent
  kSuperseded,  // a newer record names someone else: end the local session
};
// `floor`: the mod_revision of this node's last write for the user.
Judgement judge(const Observed& seen, std::string_view self_node, uint64_t local_session,
                int64_t floor);

// What a Resume of `session_id` on a node that does not hold it may do.
enum class ResumeRuling : uint8_t {
  kTakeOver,  // the record names that session (on any node): take it by its mod_revision
  kAdopt,     // no record (its holder died, its lease ran out): create it if absent
  kReplaced,  // a newer login (another session) holds the user, or an unreadable value
  kEnded,     // the session ended (its tombstone)
};
ResumeRuling rule_resume(const Observed& seen, uint64_t session_id);

}  // namespace citadel::fleet::sessions
