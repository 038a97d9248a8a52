// The etcd v3 JSON gateway's wire format (etcd 3.4, /v3/...): request bodies
// built, response bodies parsed. Pure functions, no I/O, so the parsers can
// be fuzzed (tests/fuzz/etcd_json_fuzz.cc): any input gives a value or an
// Error (kMalformed, or kEtcd for etcd's own error body), never a crash or
// an exception.
//
// The gateway's habits, all handled here: bytes fields (keys, values) are
// base64; int64 fields (revisions, lease ids, TTLs) are decimal strings;
// fields at their zero value are left out; streamed answers (lease
// keepalive, watch) wrap each message as {"result": {...}} and an error as
// {"error": {"grpc_code", "http_code", "message"}}, unary ones as
// {"error": "...", "code": N, "message": "..."}.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "fleet/etcd/etcd_types.h"

namespace citadel::fleet::etcd::json {

// ---- request bodies ----
std::string range_body(std::string_view key, std::string_view range_end);
std::string put_body(std::string_view key, std::string_view value, int64_t lease);
std::string delete_body(std::string_view key, std::string_view range_end);
std::string txn_body(std::span<const Compare> compares, std::span<const TxnOp> success,
                     std::span<const TxnOp> failure);
std::string grant_body(int64_t ttl_seconds);
std::string lease_id_body(int64_t lease);  // keepalive, revoke
std::string compaction_body(int64_t revision);
std::string watch_create_body(std::string_view key, std::string_view range_end,
                              int64_t start_revision);

// ---- response bodies ----
Result<RangeResult> parse_range(std::string_view body);
Result<PutResult> parse_put(std::string_view body);
Result<DeleteResult> parse_delete(std::string_view body);
Result<TxnResult> parse_txn(std::string_view body);
Result<LeaseGrant> parse_grant(std::string_view body);
Result<KeepAliveResult> parse_keepalive(std::string_view body);
Result<Empty> parse_empty(std::string_view body);  // revoke, compaction: no value
// etcd's error body ({"error"...}), if `body` is one: for non-200 answers.
std::optional<Error> parse_error(std::string_view body);

// One line of a watch stream.
struct WatchMessage {
  enum class Kind {
    kCreated,   // the watch is set up; revision: the store's revision then
    kEvents,    // events (possibly none: a progress notification)
    kCanceled,  // etcd ended the watch: error says why (kCompacted with its revision)
  };
  Kind kind = Kind::kEvents;
  WatchBatch batch;
  Error error;  // kCanceled
};
Result<WatchMessage> parse_watch_line(std::string_view line);

}  // namespace citadel::fleet::etcd::json
