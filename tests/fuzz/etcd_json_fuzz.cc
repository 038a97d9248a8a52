// libFuzzer: the etcd client's parsers of what etcd's JSON gateway answers
// (src/fleet/etcd/etcd_json.h). An answer comes from the network, so any
// bytes must give a value or an Error, never a crash, a hang or an
// exception; for every input:
//   - each parser returns (an exception escaping it aborts the target);
//   - a parsed range's kvs, a txn's responses and a watch line's events
//     are no more than the input could describe (each needs some bytes);
//   - an Error always says what went wrong (a non-empty message).
//   - a room owner record (src/fleet/ownership/owner_record.h, a value the
//     fleet reads from etcd) decodes to a valid record or to nothing, and a
//     valid one encodes and decodes back to itself; a key names a room
//     only in its one spelling.
//   - a session record (src/fleet/sessions/session_record.h) likewise, and
//     the ordering rule and the resume ruling answer for whatever it holds.
// The first byte picks the parser; the rest is the body.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fleet/etcd/etcd_json.h"
#include "fleet/ownership/owner_record.h"
#include "fleet/sessions/session_record.h"
#include "fuzz_check.h"

namespace {

namespace json = citadel::fleet::etcd::json;
using citadel::fleet::etcd::Result;

template <class T>
void check_error(const Result<T>& r) {
  if (!r) FUZZ_CHECK(!r.error().message.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 8) {
    case 0: {
      const auto r = json::parse_range(body);
      check_error(r);
      if (r) FUZZ_CHECK(r->kvs.size() <= body.size());
      break;
    }
    case 1:
      check_error(json::parse_put(body));
      break;
    case 2:
      check_error(json::parse_delete(body));
      break;
    case 3: {
      const auto r = json::parse_txn(body);
      check_error(r);
      if (r) FUZZ_CHECK(r->responses.size() <= body.size());
      break;
    }
    case 4:
      check_error(json::parse_grant(body));
      break;
    case 5:
      check_error(json::parse_keepalive(body));
      break;
    case 6: {
      const auto r = json::parse_watch_line(body);
      check_error(r);
      if (r) FUZZ_CHECK(r->batch.events.size() <= body.size());
      break;
    }
    default: {
      check_error(json::parse_empty(body));
      if (const auto e = json::parse_error(body)) FUZZ_CHECK(!e->message.empty());
      namespace own = citadel::fleet::ownership;
      if (const auto record = own::decode_owner_record(body)) {
        FUZZ_CHECK(record->room_id != 0 && !record->node_id.empty());
        FUZZ_CHECK(own::decode_owner_record(own::encode_owner_record(*record)) == record);
      }
      if (const auto room = own::room_id_of_key("c", body)) {
        FUZZ_CHECK(own::room_key("c", *room) == body);
      }
      namespace ses = citadel::fleet::sessions;
      const auto session = ses::decode_session_record(body);
      if (session) {
        FUZZ_CHECK(session->user_id != 0 && session->session_id != 0 && !session->node_id.empty());
        FUZZ_CHECK(ses::decode_session_record(ses::encode_session_record(*session)) == session);
      }
      const ses::Observed seen{2, true, session};
      const auto judged = ses::judge(seen, "n", 1, 1);
      FUZZ_CHECK(judged != ses::Judgement::kStale && judged != ses::Judgement::kVanished);
      const auto ruled = ses::rule_resume(seen, 1);
      FUZZ_CHECK(ruled != ses::ResumeRuling::kAdopt);
      if (const auto user = ses::user_id_of_key("c", body)) {
        FUZZ_CHECK(ses::session_key("c", *user) == body);
      }
      break;
    }
  }
  return 0;
}
