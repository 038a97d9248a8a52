#include "fleet/link/link_messages.h"

#include <algorithm>
#include <cstring>

#include "protocol/wire.h"

namespace citadel::fleet::link {
namespace {

using protocol::load_be16;

uint64_t load_be64(const uint8_t* p) {
  return (uint64_t{protocol::load_be32(p)} << 32) | protocol::load_be32(p + 4);
}

void store_be64(uint8_t* p, uint64_t v) {
  protocol::store_be32(p, static_cast<uint32_t>(v >> 32));
  protocol::store_be32(p + 4, static_cast<uint32_t>(v));
}

// Reads a payload front to back; any read past the end sets failed and
// yields zeros, so a decoder checks once, at the end.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> p) : p_(p) {}
  uint16_t u16() { return take(2) ? load_be16(at_ - 2) : 0; }
  uint64_t u64() { return take(8) ? load_be64(at_ - 8) : 0; }
  std::string_view str() {
    const uint16_t n = u16();
    if (!take(n)) return {};
    return {reinterpret_cast<const char*>(at_ - n), n};
  }
  std::span<const uint8_t> bytes(std::size_t n) {
    if (!take(n)) return {};
    return {at_ - n, n};
  }
  std::span<const uint8_t> rest() {
    auto r = std::span<const uint8_t>(at_, p_.data() + p_.size() - at_);
    at_ = p_.data() + p_.size();
    return r;
  }
  // The whole payload was read, and nothing past it.
  bool done() const { return !failed_ && at_ == p_.data() + p_.size(); }
  bool ok() const { return !failed_; }

 private:
  bool take(std::size_t n) {
    if (failed_ || static_cast<std::size_t>(p_.data() + p_.size() - at_) < n) {
      failed_ = true;
      return false;
    }
    at_ += n;
    return true;
  }
  std::span<const uint8_t> p_;
  const uint8_t* at_ = p_.data();
  bool failed_ = false;
};

// Builds one link frame in out: the header first, its length patched at the end.
class Writer {
 public:
  Writer(std::vector<uint8_t>& out, uint16_t cmd) : out_(out), at_(out.size()) {
    out_.resize(at_ + protocol::kHeaderBytes);
    protocol::write_header(out_.data() + at_, cmd, 0);
  }
  ~Writer() {
    protocol::store_be32(out_.data() + at_ + 4,
                         static_cast<uint32_t>(out_.size() - at_ - protocol::kHeaderBytes));
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  Writer& u16(uint16_t v) {
    uint8_t* p = grow(2);
    protocol::store_be16(p, v);
    return *this;
  }
  Writer& u64(uint64_t v) {
    store_be64(grow(8), v);
    return *this;
  }
  Writer& str(std::string_view s) {
    const std::size_t n = std::min<std::size_t>(s.size(), UINT16_MAX);
    u16(static_cast<uint16_t>(n));
    return bytes({reinterpret_cast<const uint8_t*>(s.data()), n});
  }
  Writer& bytes(std::span<const uint8_t> b) {
    if (!b.empty()) std::memcpy(grow(b.size()), b.data(), b.size());
    return *this;
  }

 private:
  uint8_t* grow(std::size_t n) {
    const std::size_t at = out_.size();
    out_.resize(at + n);
    return out_.data() + at;
  }
  std::vector<uint8_t>& out_;
  std::size_t at_;
};

}  // namespace

std::string_view link_cmd_name(uint16_t cmd) {
  switch (cmd) {
    case lcmd::kHello:
      return "Hello";
    case lcmd::kWelcome:
      return "Welcome";
    case lcmd::kRefused:
      return "Refused";
    case lcmd::kHeartbeat:
      return "Heartbeat";
    case lcmd::kHeartbeatAck:
      return "HeartbeatAck";
    case lcmd::kPlayerOpen:
      return "PlayerOpen";
    case lcmd::kPlayerFrame:
      return "PlayerFrame";
    case lcmd::kPlayerClosed:
      return "PlayerClosed";
    case lcmd::kSessionAttached:
      return "SessionAttached";
    case lcmd::kSessionEnded:
      return "SessionEnded";
    case lcmd::kDeliver:
      return "Deliver";
    case lcmd::kClosePlayer:
      return "ClosePlayer";
    case lcmd::kSeatChanged:
      return "SeatChanged";
    case lcmd::kTransferMarker:
      return "TransferMarker";
    case lcmd::kTransferIn:
      return "TransferIn";
    case lcmd::kTransferOut:
      return "TransferOut";
    case lcmd::kReturned:
      return "Returned";
    case lcmd::kTransferDrained:
      return "TransferDrained";
    default:
      return "unknown";
  }
}

uint64_t Deliver::id(std::size_t i) const {
  return load_be64(ids.data() + i * 8);
}

std::optional<Hello> decode_hello(std::span<const uint8_t> p) {
  Reader r(p);
  Hello m{r.u16(), r.str(), r.str()};
  if (!r.done()) return std::nullopt;
  return m;
}

std::optional<Welcome> decode_welcome(std::span<const uint8_t> p) {
  Reader r(p);
  Welcome m{r.u16(), r.str()};
  if (!r.done()) return std::nullopt;
  return m;
}

std::optional<std::string_view> decode_refused(std::span<const uint8_t> p) {
  Reader r(p);
  std::string_view reason = r.str();
  if (!r.done()) return std::nullopt;
  return reason;
}

std::optional<uint64_t> decode_heartbeat(std::span<const uint8_t> p) {
  Reader r(p);
  const uint64_t nonce = r.u64();
  if (!r.done()) return std::nullopt;
  return nonce;
}

std::optional<PlayerOpen> decode_player_open(std::span<const uint8_t> p) {
  Reader r(p);
  PlayerOpen m;
  m.conn = r.u64();
  m.user = r.u64();
  m.username = r.str();
  if (!r.done()) return std::nullopt;
  return m;
}

std::optional<PlayerFrame> decode_player_frame(std::span<const uint8_t> p) {
  Reader r(p);
  PlayerFrame m;
  m.conn = r.u64();
  m.cmd = r.u16();
  if (!r.ok()) return std::nullopt;
  m.payload = r.rest();
  return m;
}

std::optional<PlayerClosed> decode_player_closed(std::span<const uint8_t> p) {
  Reader r(p);
  PlayerClosed m;
  m.conn = r.u64();
  m.user = r.u64();
  if (!r.done()) return std::nullopt;
  return m;
}

std::optional<SessionAttached> decode_session_attached(std::span<const uint8_t> p) {
  Reader r(p);
  SessionAttached m;
  m.user = r.u64();
  m.conn = r.u64();
  if (!r.done()) return std::nullopt;
  return m;
}

std::optional<uint64_t> decode_session_ended(std::span<const uint8_t> p) {
  return decode_heartbeat(p);  // the same layout: one u64
}

std::optional<Deliver> decode_deliver(std::span<const uint8_t> p) {
  Reader r(p);
  Deliver m;
  m.count = r.u16();
  if (!r.ok() || m.count == 0 || m.count > kMaxDeliverIds) return std::nullopt;
  m.ids = r.bytes(std::size_t{m.count} * 8);
  if (!r.ok()) return std::nullopt;
  m.frames = r.rest();
  if (m.frames.size() < protocol::kHeaderBytes) return std::nullopt;
  return m;
}

std::optional<ClosePlayer> decode_close_player(std::span<const uint8_t> p) {
  Reader r(p);
  ClosePlayer m;
  m.conn = r.u64();
  m.code = r.u16();
  m.text = r.str();
  if (!r.done()) return std::nullopt;
  return m;
}

std::optional<SeatChanged> decode_seat_changed(std::span<const uint8_t> p) {
  Reader r(p);
  SeatChanged m;
  m.conn = r.u64();
  m.user = r.u64();
  m.room = r.u64();
  if (!r.done()) return std::nullopt;
  return m;
}

std::optional<Transfer> decode_transfer(std::span<const uint8_t> p) {
  Reader r(p);
  Transfer m;
  m.conn = r.u64();
  m.user = r.u64();
  m.username = r.str();
  m.from_room = r.u64();
  m.from_type = r.str();
  m.room_type = r.str();
  m.room_id = r.u64();
  const uint16_t flags = r.u16();
  const uint16_t handoff = r.u16();
  // One spelling: unknown flags and an over-long hand-off are malformed.
  if (!r.ok() || (flags & ~uint16_t{1}) != 0 || handoff > kMaxHandoffBytes) return std::nullopt;
  m.elsewhere = (flags & 1) != 0;
  m.handoff = r.bytes(handoff);
  if (!r.done()) return std::nullopt;
  return m;
}

std::optional<uint64_t> decode_conn(std::span<const uint8_t> p) {
  return decode_heartbeat(p);  // the same layout: one u64
}

void append_transfer(std::vector<uint8_t>& out, uint16_t cmd, const Transfer& t) {
  const auto handoff = t.handoff.first(std::min(t.handoff.size(), kMaxHandoffBytes));
  Writer(out, cmd)
      .u64(t.conn)
      .u64(t.user)
      .str(t.username)
      .u64(t.from_room)
      .str(t.from_type)
      .str(t.room_type)
      .u64(t.room_id)
      .u16(t.elsewhere ? 1 : 0)
      .u16(static_cast<uint16_t>(handoff.size()))
      .bytes(handoff);
}

void append_conn(std::vector<uint8_t>& out, uint16_t cmd, uint64_t conn) {
  Writer(out, cmd).u64(conn);
}

void append_returned(std::vector<uint8_t>& out, uint64_t conn, uint16_t cmd,
                     std::span<const uint8_t> payload) {
  Writer(out, lcmd::kReturned).u64(conn).u16(cmd).bytes(payload);
}

void append_seat_changed(std::vector<uint8_t>& out, uint64_t conn, uint64_t user, uint64_t room) {
  Writer(out, lcmd::kSeatChanged).u64(conn).u64(user).u64(room);
}

void append_hello(std::vector<uint8_t>& out, std::string_view cluster, std::string_view node_id) {
  Writer(out, lcmd::kHello).u16(kLinkVersion).str(cluster).str(node_id);
}

void append_welcome(std::vector<uint8_t>& out, std::string_view node_id) {
  Writer(out, lcmd::kWelcome).u16(kLinkVersion).str(node_id);
}

void append_refused(std::vector<uint8_t>& out, std::string_view reason) {
  Writer(out, lcmd::kRefused).str(reason);
}

void append_heartbeat(std::vector<uint8_t>& out, uint16_t cmd, uint64_t nonce) {
  Writer(out, cmd).u64(nonce);
}

void append_player_open(std::vector<uint8_t>& out, uint64_t conn, uint64_t user,
                        std::string_view username) {
  Writer(out, lcmd::kPlayerOpen).u64(conn).u64(user).str(username);
}

void append_player_frame(std::vector<uint8_t>& out, uint64_t conn, uint16_t cmd,
                         std::span<const uint8_t> payload) {
  Writer(out, lcmd::kPlayerFrame).u64(conn).u16(cmd).bytes(payload);
}

void append_player_closed(std::vector<uint8_t>& out, uint64_t conn, uint64_t user) {
  Writer(out, lcmd::kPlayerClosed).u64(conn).u64(user);
}

void append_session_attached(std::vector<uint8_t>& out, uint64_t user, uint64_t conn) {
  Writer(out, lcmd::kSessionAttached).u64(user).u64(conn);
}

void append_session_ended(std::vector<uint8_t>& out, uint64_t user) {
  Writer(out, lcmd::kSessionEnded).u64(user);
}

void append_close_player(std::vector<uint8_t>& out, uint64_t conn, uint16_t code,
                         std::string_view text) {
  Writer(out, lcmd::kClosePlayer).u64(conn).u16(code).str(text);
}

void append_deliver_head(std::vector<uint8_t>& out, std::span<const uint64_t> ids,
                         std::size_t frames_bytes) {
  const std::size_t at = out.size();
  const std::size_t head = protocol::kHeaderBytes + 2 + ids.size() * 8;
  out.resize(at + head);
  uint8_t* p = out.data() + at;
  protocol::write_header(p, lcmd::kDeliver,
                         static_cast<uint32_t>(head - protocol::kHeaderBytes + frames_bytes));
  protocol::store_be16(p + protocol::kHeaderBytes, static_cast<uint16_t>(ids.size()));
  p += protocol::kHeaderBytes + 2;
  for (uint64_t id : ids) {
    store_be64(p, id);
    p += 8;
  }
}

}  // namespace citadel::fleet::link
