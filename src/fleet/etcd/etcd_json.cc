#include "fleet/etcd/etcd_json.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <limits>

#include "fleet/etcd/base64.h"

namespace citadel::fleet::etcd::json {
namespace {

using nlohmann::json;

// Deeper nesting than any etcd answer has is refused before parsing, so a
// hostile body cannot make the parser or the destructor recurse deeply.
constexpr int kMaxDepth = 32;

Error malformed(std::string what) {
  return Error{Error::Kind::kMalformed, 0, "malformed etcd answer: " + std::move(what)};
}

bool depth_ok(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxDepth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

const json* field(const json& object, const char* name) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

// An int64 field: absent means 0 (the gateway leaves zero values out); a
// decimal string (how the gateway writes int64) or a JSON integer.
bool get_int(const json& object, const char* name, int64_t& out) {
  out = 0;
  const json* f = field(object, name);
  if (f == nullptr || f->is_null()) return true;
  if (f->is_string()) {
    const auto& s = f->get_ref<const std::string&>();
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size() && !s.empty();
  }
  if (f->is_number_unsigned()) {
    const auto v = f->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    out = static_cast<int64_t>(v);
    return true;
  }
  if (f->is_number_integer()) {
    out = f->get<int64_t>();
    return true;
  }
  return false;
}

bool get_bool(const json& object, const char* name, bool& out) {
  out = false;
  const json* f = field(object, name);
  if (f == nullptr || f->is_null()) return true;
  if (!f->is_boolean()) return false;
  out = f->get<bool>();
  return true;
}

// A bytes field (base64); absent means empty.
bool get_bytes(const json& object, const char* name, std::string& out) {
  out.clear();
  const json* f = field(object, name);
  if (f == nullptr || f->is_null()) return true;
  if (!f->is_string()) return false;
  auto decoded = base64_decode(f->get_ref<const std::string&>());
  if (!decoded) return false;
  out = std::move(*decoded);
  return true;
}

std::string get_text(const json& object, const char* name) {
  const json* f = field(object, name);
  return f != nullptr && f->is_string() ? f->get<std::string>() : std::string();
}

// etcd's error, in either of the gateway's two shapes.
std::optional<Error> error_of(const json& top) {
  const json* e = field(top, "error");
  if (e == nullptr || e->is_null()) return std::nullopt;
  Error error(Error::Kind::kEtcd, 0, {});
  int64_t code = 0;
  if (e->is_string()) {  // unary: {"error": "...", "code": N, "message": "..."}
    get_int(top, "code", code);
    error.message = get_text(top, "message");
    if (error.message.empty()) error.message = e->get<std::string>();
  } else if (e->is_object()) {  // streamed: {"error": {"grpc_code": N, "message": "..."}}
    get_int(*e, "grpc_code", code);
    error.message = get_text(*e, "message");
  } else {
    return malformed("\"error\" is neither a string nor an object");
  }
  error.code = static_cast<int>(code);
  if (error.message.empty()) error.message = "etcd error without a message";
  return error;
}

// Parses a body and unwraps it: etcd's error becomes an Error, a streamed
// message's {"result": ...} is opened.
Result<json> open(std::string_view body) {
  if (!depth_ok(body)) return malformed("nested too deeply");
  json top = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (top.is_discarded()) return malformed("not JSON");
  if (!top.is_object()) return malformed("not a JSON object");
  if (auto error = error_of(top)) return *error;
  if (auto it = top.find("result"); it != top.end()) {
    if (!it->is_object()) return malformed("\"result\" is not an object");
    json inner = std::move(*it);
    return inner;
  }
  return top;
}

bool header_revision(const json& message, int64_t& revision) {
  revision = 0;
  const json* header = field(message, "header");
  if (header == nullptr) return true;
  if (!header->is_object()) return false;
  return get_int(*header, "revision", revision);
}

bool parse_kv(const json& j, KeyValue& kv) {
  return j.is_object() && get_bytes(j, "key", kv.key) && get_bytes(j, "value", kv.value) &&
         get_int(j, "create_revision", kv.create_revision) &&
         get_int(j, "mod_revision", kv.mod_revision) && get_int(j, "version", kv.version) &&
         get_int(j, "lease", kv.lease);
}

bool parse_kvs(const json& message, const char* name, std::vector<KeyValue>& out) {
  const json* list = field(message, name);
  if (list == nullptr || list->is_null()) return true;
  if (!list->is_array()) return false;
  out.reserve(list->size());
  for (const json& item : *list) {
    KeyValue kv;
    if (!parse_kv(item, kv)) return false;
    out.push_back(std::move(kv));
  }
  return true;
}

bool parse_range_message(const json& m, RangeResult& out) {
  return header_revision(m, out.revision) && parse_kvs(m, "kvs", out.kvs) &&
         get_int(m, "count", out.count);
}

template <class F>
auto guarded(F&& parse) -> decltype(parse()) {
  try {
    return parse();
  } catch (const std::exception& e) {  // a nlohmann type error slipped through the checks
    return malformed(e.what());
  }
}

json bytes(std::string_view b) {
  return base64_encode(b);
}

json number(int64_t n) {
  return std::to_string(n);  // as the gateway writes int64
}

json op_json(const TxnOp& op) {
  switch (op.kind) {
    case TxnOp::Kind::kPut: {
      json put = {{"key", bytes(op.key)}, {"value", bytes(op.value)}};
      if (op.lease != 0) put["lease"] = number(op.lease);
      return {{"request_put", std::move(put)}};
    }
    case TxnOp::Kind::kDelete: {
      json del = {{"key", bytes(op.key)}};
      if (!op.range_end.empty()) del["range_end"] = bytes(op.range_end);
      return {{"request_delete_range", std::move(del)}};
    }
    case TxnOp::Kind::kRange:
      break;
  }
  json range = {{"key", bytes(op.key)}};
  if (!op.range_end.empty()) range["range_end"] = bytes(op.range_end);
  return {{"request_range", std::move(range)}};
}

json compare_json(const Compare& c) {
  static constexpr const char* kTargets[] = {"VERSION", "CREATE", "MOD", "VALUE", "LEASE"};
  static constexpr const char* kFields[] = {"version", "create_revision", "mod_revision", "value",
                                            "lease"};
  static constexpr const char* kOps[] = {"EQUAL", "GREATER", "LESS", "NOT_EQUAL"};
  const auto t = static_cast<std::size_t>(c.target);
  json j = {{"key", bytes(c.key)},
            {"target", kTargets[t]},
            {"result", kOps[static_cast<std::size_t>(c.op)]}};
  j[kFields[t]] = c.target == Compare::Target::kValue ? bytes(c.value) : number(c.number);
  return j;
}

}  // namespace

std::string range_body(std::string_view key, std::string_view range_end) {
  json j = {{"key", bytes(key)}};
  if (!range_end.empty()) j["range_end"] = bytes(range_end);
  return j.dump();
}

std::string put_body(std::string_view key, std::string_view value, int64_t lease) {
  json j = {{"key", bytes(key)}, {"value", bytes(value)}};
  if (lease != 0) j["lease"] = number(lease);
  return j.dump();
}

std::string delete_body(std::string_view key, std::string_view range_end) {
  return range_body(key, range_end);
}

std::string txn_body(std::span<const Compare> compares, std::span<const TxnOp> success,
                     std::span<const TxnOp> failure) {
  json j = {{"compare", json::array()}, {"success", json::array()}, {"failure", json::array()}};
  for (const auto& c : compares) j["compare"].push_back(compare_json(c));
  for (const auto& op : success) j["success"].push_back(op_json(op));
  for (const auto& op : failure) j["failure"].push_back(op_json(op));
  return j.dump();
}

std::string grant_body(int64_t ttl_seconds) {
  return json{{"TTL", number(ttl_seconds)}}.dump();
}

std::string lease_id_body(int64_t lease) {
  return json{{"ID", number(lease)}}.dump();
}

std::string compaction_body(int64_t revision) {
  return json{{"revision", number(revision)}}.dump();
}

std::string watch_create_body(std::string_view key, std::string_view range_end,
                              int64_t start_revision) {
  json create = {{"key", bytes(key)}};
  if (!range_end.empty()) create["range_end"] = bytes(range_end);
  if (start_revision > 0) create["start_revision"] = number(start_revision);
  return json{{"create_request", std::move(create)}}.dump();
}

std::optional<Error> parse_error(std::string_view body) {
  if (!depth_ok(body)) return std::nullopt;
  const json top = json::parse(body, nullptr, false);
  if (top.is_discarded() || !top.is_object()) return std::nullopt;
  try {
    return error_of(top);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Result<RangeResult> parse_range(std::string_view body) {
  return guarded([&]() -> Result<RangeResult> {
    auto m = open(body);
    if (!m) return m.error();
    RangeResult out;
    if (!parse_range_message(m.value(), out)) return malformed("range answer");
    return out;
  });
}

Result<PutResult> parse_put(std::string_view body) {
  return guarded([&]() -> Result<PutResult> {
    auto m = open(body);
    if (!m) return m.error();
    PutResult out;
    if (!header_revision(m.value(), out.revision)) return malformed("put answer");
    return out;
  });
}

Result<DeleteResult> parse_delete(std::string_view body) {
  return guarded([&]() -> Result<DeleteResult> {
    auto m = open(body);
    if (!m) return m.error();
    DeleteResult out;
    if (!header_revision(m.value(), out.revision) || !get_int(m.value(), "deleted", out.deleted)) {
      return malformed("delete answer");
    }
    return out;
  });
}

Result<TxnResult> parse_txn(std::string_view body) {
  return guarded([&]() -> Result<TxnResult> {
    auto m = open(body);
    if (!m) return m.error();
    const json& j = m.value();
    TxnResult out;
    if (!header_revision(j, out.revision) || !get_bool(j, "succeeded", out.succeeded)) {
      return malformed("txn answer");
    }
    const json* list = field(j, "responses");
    if (list == nullptr || list->is_null()) return out;
    if (!list->is_array()) return malformed("txn responses");
    for (const json& item : *list) {
      TxnOpResult r;
      const json* inner = nullptr;
      if ((inner = field(item, "response_put")) != nullptr) {
        r.kind = TxnOp::Kind::kPut;
        if (!header_revision(*inner, r.revision)) return malformed("txn put");
      } else if ((inner = field(item, "response_delete_range")) != nullptr) {
        r.kind = TxnOp::Kind::kDelete;
        if (!header_revision(*inner, r.revision) || !get_int(*inner, "deleted", r.deleted)) {
          return malformed("txn delete");
        }
      } else if ((inner = field(item, "response_range")) != nullptr) {
        r.kind = TxnOp::Kind::kRange;
        RangeResult range;
        if (!parse_range_message(*inner, range)) return malformed("txn range");
        r.revision = range.revision;
        r.kvs = std::move(range.kvs);
      } else {
        return malformed("txn response of an unknown kind");
      }
      out.responses.push_back(std::move(r));
    }
    return out;
  });
}

Result<LeaseGrant> parse_grant(std::string_view body) {
  return guarded([&]() -> Result<LeaseGrant> {
    auto m = open(body);
    if (!m) return m.error();
    LeaseGrant out;
    if (!get_int(m.value(), "ID", out.id) || !get_int(m.value(), "TTL", out.ttl)) {
      return malformed("lease grant answer");
    }
    if (const std::string why = get_text(m.value(), "error"); !why.empty()) {
      return Error{Error::Kind::kEtcd, 0, why};
    }
    if (out.id == 0) return malformed("lease grant answer without an ID");
    return out;
  });
}

Result<KeepAliveResult> parse_keepalive(std::string_view body) {
  return guarded([&]() -> Result<KeepAliveResult> {
    if (body.empty()) return malformed("empty keepalive answer");
    // Streamed: one message per line; a single request gets one.
    const std::string_view first = body.substr(0, body.find('\n'));
    auto m = open(first);
    if (!m) return m.error();
    KeepAliveResult out;
    if (!get_int(m.value(), "TTL", out.ttl)) return malformed("keepalive answer");
    return out;
  });
}

Result<Empty> parse_empty(std::string_view body) {
  return guarded([&]() -> Result<Empty> {
    auto m = open(body);
    if (!m) return m.error();
    return Empty{};
  });
}

Result<WatchMessage> parse_watch_line(std::string_view line) {
  return guarded([&]() -> Result<WatchMessage> {
    auto m = open(line);
    if (!m) return m.error();
    const json& j = m.value();
    WatchMessage out;
    bool created = false;
    bool canceled = false;
    int64_t compact_revision = 0;
    if (!header_revision(j, out.batch.revision) || !get_bool(j, "created", created) ||
        !get_bool(j, "canceled", canceled) || !get_int(j, "compact_revision", compact_revision)) {
      return malformed("watch message");
    }
    if (canceled || compact_revision != 0) {
      out.kind = WatchMessage::Kind::kCanceled;
      if (compact_revision != 0) {
        out.error = Error{Error::Kind::kCompacted, 0,
                          "watch start revision compacted (oldest kept: " +
                              std::to_string(compact_revision) + ")",
                          compact_revision};
      } else {
        std::string reason = get_text(j, "cancel_reason");
        out.error = Error{Error::Kind::kEtcd, 0,
                          "watch canceled by etcd" + (reason.empty() ? "" : ": " + reason)};
      }
      return out;
    }
    out.kind = created ? WatchMessage::Kind::kCreated : WatchMessage::Kind::kEvents;
    const json* events = field(j, "events");
    if (events == nullptr || events->is_null()) return out;
    if (!events->is_array()) return malformed("watch events");
    for (const json& item : *events) {
      WatchEvent event;
      const std::string type = get_text(item, "type");
      if (type == "DELETE") {
        event.type = WatchEvent::Type::kDelete;
      } else if (!type.empty() && type != "PUT") {
        return malformed("watch event type " + type);
      }
      const json* kv = field(item, "kv");
      if (kv == nullptr || !parse_kv(*kv, event.kv)) return malformed("watch event kv");
      out.batch.events.push_back(std::move(event));
    }
    return out;
  });
}

}  // namespace citadel::fleet::etcd::json
