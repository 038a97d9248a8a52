// Values of the etcd v3 API as the fleet's client hands them out: keys and
// values as raw bytes (the JSON gateway's base64 is undone), revisions and
// lease ids as int64 (the gateway writes them as decimal strings), and
// errors as values, never exceptions (Result<T>).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace citadel::fleet::etcd {

struct Error {
  enum class Kind {
    kUnreachable,  // no TCP connection, or it broke before a whole answer came
    kTimeout,      // no whole answer within the request's deadline
    kHttpStatus,   // an HTTP status other than 200 without an etcd error body
    kEtcd,         // etcd's own error ({"error","message","code"}: code is a gRPC code)
    kMalformed,    // an answer that is not the JSON expected
    kCompacted,    // a watch's start revision was compacted away (see compact_revision)
    kClosed,       // the client is shutting down
  };
  Error() = default;
  Error(Kind k, int c, std::string m, int64_t compacted = 0)
      : kind(k), code(c), message(std::move(m)), compact_revision(compacted) {}

  Kind kind = Kind::kUnreachable;
  int code = 0;  // the HTTP status (kHttpStatus) or etcd's gRPC code (kEtcd)
  std::string message;
  int64_t compact_revision = 0;  // kCompacted only

  // "etcd unreachable: connection refused", for logs and test failures.
  std::string describe() const;
};

std::string_view kind_name(Error::Kind kind);

// A value or the Error that stood in its way.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit, like std::expected
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Empty {};

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;  // the fencing token of a record: compare it in a txn
  int64_t version = 0;
  int64_t lease = 0;  // 0: not attached to a lease
};

// What a range (get) saw, at the store's revision `revision`.
struct RangeResult {
  int64_t revision = 0;
  std::vector<KeyValue> kvs;
  int64_t count = 0;
};

struct PutResult {
  int64_t revision = 0;  // the store's revision after the put: the key's mod_revision
};

struct DeleteResult {
  int64_t revision = 0;
  int64_t deleted = 0;
};

// One condition of a transaction: the key's `target` compared with a number
// (revisions, version, lease) or with `value`.
struct Compare {
  enum class Target { kVersion, kCreate, kMod, kValue, kLease };
  enum class Op { kEqual, kGreater, kLess, kNotEqual };
  std::string key;
  Target target = Target::kMod;
  Op op = Op::kEqual;
  int64_t number = 0;  // for kVersion, kCreate, kMod, kLease
  std::string value;   // for kValue

  // "The key does not exist": create_revision == 0.
  static Compare absent(std::string key) { return make(std::move(key), Target::kCreate, 0); }
  // "Nobody wrote the key since I read it at `revision`": the fencing check.
  static Compare mod_revision_is(std::string key, int64_t revision) {
    return make(std::move(key), Target::kMod, revision);
  }
  static Compare value_is(std::string key, std::string value) {
    Compare c = make(std::move(key), Target::kValue, 0);
    c.value = std::move(value);
    return c;
  }
  static Compare make(std::string key, Target target, int64_t number, Op op = Op::kEqual) {
    Compare c;
    c.key = std::move(key);
    c.target = target;
    c.op = op;
    c.number = number;
    return c;
  }
};

// One operation of a transaction.
struct TxnOp {
  enum class Kind { kPut, kRange, kDelete };
  Kind kind = Kind::kRange;
  std::string key;
  std::string range_end;  // empty: the key alone
  std::string value;      // kPut
  int64_t lease = 0;      // kPut

  static TxnOp put(std::string key, std::string value, int64_t lease = 0) {
    TxnOp op = make(Kind::kPut, std::move(key));
    op.value = std::move(value);
    op.lease = lease;
    return op;
  }
  static TxnOp get(std::string key) { return make(Kind::kRange, std::move(key)); }
  static TxnOp del(std::string key) { return make(Kind::kDelete, std::move(key)); }
  static TxnOp make(Kind kind, std::string key, std::string range_end = {}) {
    TxnOp op;
    op.kind = kind;
    op.key = std::move(key);
    op.range_end = std::move(range_end);
    return op;
  }
};

// The answer to one TxnOp, in the same order.
struct TxnOpResult {
  TxnOp::Kind kind = TxnOp::Kind::kRange;
  int64_t revision = 0;
  std::vector<KeyValue> kvs;  // kRange
  int64_t deleted = 0;        // kDelete
};

struct TxnResult {
  bool succeeded = false;  // the compares held: the success ops ran, else the failure ops
  int64_t revision = 0;
  std::vector<TxnOpResult> responses;
};

struct LeaseGrant {
  int64_t id = 0;
  int64_t ttl = 0;  // seconds, as granted
};

struct KeepAliveResult {
  int64_t ttl = 0;  // seconds left; <= 0: the lease is gone (expired or revoked)
  bool alive() const { return ttl > 0; }
};

struct WatchEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  KeyValue kv;  // a delete's kv has the key and mod_revision (the delete's revision) only
};

// What one watch response brought. A compaction or a cancel by etcd ends the
// watch: it arrives as an Error in the callback's Result instead.
struct WatchBatch {
  int64_t revision = 0;  // the header's store revision
  std::vector<WatchEvent> events;
};

// The smallest key after every key that starts with `prefix` (etcd's
// range_end for a prefix); "\0" for the empty prefix (every key).
std::string prefix_end(std::string_view prefix);

// The id a key of `prefix` names: the key is `prefix` and then a decimal
// uint64 of one spelling (no sign, no leading zero, nothing after it).
// nullopt for any other key. How the fleet's records of rooms and sessions
// ("/<cluster>/rooms/42") map keys to ids.
std::optional<uint64_t> decimal_id_after(std::string_view key, std::string_view prefix);

}  // namespace citadel::fleet::etcd
