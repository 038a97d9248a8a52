#include "fleet/chat/chat_event_codec.h"

#include <cstring>
#include <limits>

#include "protocol/utf8.h"

namespace citadel::fleet::chat {
namespace {

using services::ChatFleetEvent;
using Kind = ChatFleetEvent::Kind;

void put_u8(std::string& out, uint8_t v) {
  out.push_back(static_cast<char>(v));
}
void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
bool put_str8(std::string& out, std::string_view s) {
  if (s.size() > std::numeric_limits<uint8_t>::max()) return false;
  put_u8(out, static_cast<uint8_t>(s.size()));
  out.append(s);
  return true;
}
bool put_str16(std::string& out, std::string_view s) {
  if (s.size() > std::numeric_limits<uint16_t>::max()) return false;
  put_u8(out, static_cast<uint8_t>(s.size() & 0xff));
  put_u8(out, static_cast<uint8_t>(s.size() >> 8));
  out.append(s);
  return true;
}

bool valid_channel(std::string_view name) {
  if (name.empty() || name.size() > kMaxChannelBytes) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}
bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxUsernameBytes &&
         name.find('\0') == std::string_view::npos && protocol::is_valid_utf8(name);
}
bool valid_text(std::string_view text) {
  return !text.empty() && text.find('\0') == std::string_view::npos &&
         protocol::is_valid_utf8(text);
}

// A cursor over the entry: every read checks what is left first.
class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool u8(uint8_t& v) {
    if (b_.size() < 1) return false;
    v = static_cast<uint8_t>(b_[0]);
    b_.remove_prefix(1);
    return true;
  }
  bool u32(uint32_t& v) {
    if (b_.size() < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(b_[i])} << (8 * i);
    b_.remove_prefix(4);
    return true;
  }
  bool u64(uint64_t& v) {
    if (b_.size() < 8) return false;
    v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(b_[i])} << (8 * i);
    b_.remove_prefix(8);
    return true;
  }
  bool str8(std::string& s) {
    uint8_t n = 0;
    if (!u8(n) || b_.size() < n) return false;
    s.assign(b_.data(), n);
    b_.remove_prefix(n);
    return true;
  }
  bool str16(std::string& s) {
    uint8_t lo = 0, hi = 0;
    if (!u8(lo) || !u8(hi)) return false;
    const std::size_t n = lo | (std::size_t{hi} << 8);
    if (b_.size() < n) return false;
    s.assign(b_.data(), n);
    b_.remove_prefix(n);
    return true;
  }
  std::size_t left() const { return b_.size(); }

 private:
  std::string_view b_;
};

bool read_user(Reader& r, uint64_t& id, std::string& name) {
  return r.u64(id) && id != 0 && r.str8(name) && valid_name(name);
}

}  // namespace

bool encode_chat_event(const ChatFleetEvent& e, std::string& out) {
  out.clear();
  put_u8(out, kCodecMagic);
  put_u8(out, kCodecVersion);
  put_u8(out, static_cast<uint8_t>(e.kind));
  switch (e.kind) {
    case Kind::kMessage:
      if (!put_str8(out, e.channel)) return false;
      put_u64(out, e.user_id);
      if (!put_str8(out, e.username) || !put_str16(out, e.text)) return false;
      put_u64(out, static_cast<uint64_t>(e.sent_unix_ms));
      return true;
    case Kind::kPrivate:
      if (!put_str8(out, e.to_node)) return false;
      put_u64(out, e.to_user_id);
      put_u64(out, e.user_id);
      if (!put_str8(out, e.username) || !put_str16(out, e.text)) return false;
      put_u64(out, static_cast<uint64_t>(e.sent_unix_ms));
      return true;
    case Kind::kOnline:
      put_u64(out, e.user_id);
      return put_str8(out, e.username);
    case Kind::kOffline:
      put_u64(out, e.user_id);
      return true;
    case Kind::kJoin:
    case Kind::kLeave:
      if (!put_str8(out, e.channel)) return false;
      put_u64(out, e.user_id);
      return put_str8(out, e.username);
    case Kind::kState:
      if (e.users.size() > std::numeric_limits<uint32_t>::max()) return false;
      put_u32(out, static_cast<uint32_t>(e.users.size()));
      for (const auto& u : e.users) {
        put_u64(out, u.user_id);
        if (!put_str8(out, u.username)) return false;
        if (u.channels.size() > std::numeric_limits<uint8_t>::max()) return false;
        put_u8(out, static_cast<uint8_t>(u.channels.size()));
        for (const auto& c : u.channels) {
          if (!put_str8(out, c)) return false;
        }
      }
      return true;
    case Kind::kHello:
      return true;
  }
  return false;
}

bool decode_chat_event(std::string_view bytes, ChatFleetEvent& e) {
  Reader r(bytes);
  uint8_t magic = 0, version = 0, kind = 0;
  if (!r.u8(magic) || magic != kCodecMagic || !r.u8(version) || version != kCodecVersion ||
      !r.u8(kind)) {
    return false;
  }
  e.kind = static_cast<Kind>(kind);
  e.channel.clear();
  e.username.clear();
  e.text.clear();
  e.to_node.clear();
  e.user_id = e.to_user_id = 0;
  e.sent_unix_ms = 0;
  e.users.clear();
  uint64_t sent = 0;
  bool ok = false;
  switch (e.kind) {
    case Kind::kMessage:
      ok = r.str8(e.channel) && valid_channel(e.channel) && read_user(r, e.user_id, e.username) &&
           r.str16(e.text) && valid_text(e.text) && r.u64(sent);
      break;
    case Kind::kPrivate:
      ok = r.str8(e.to_node) && !e.to_node.empty() && r.u64(e.to_user_id) && e.to_user_id != 0 &&
           read_user(r, e.user_id, e.username) && r.str16(e.text) && valid_text(e.text) &&
           r.u64(sent);
      break;
    case Kind::kOnline:
      ok = read_user(r, e.user_id, e.username);
      break;
    case Kind::kOffline:
      ok = r.u64(e.user_id) && e.user_id != 0;
      break;
    case Kind::kJoin:
    case Kind::kLeave:
      ok = r.str8(e.channel) && valid_channel(e.channel) && read_user(r, e.user_id, e.username);
      break;
    case Kind::kState: {
      uint32_t count = 0;
      // Each user takes at least 8 + 1 + 1 + 1 bytes: a count the rest
      // cannot hold is refused before anything is reserved for it.
      if (!r.u32(count) || count > r.left() / 11) return false;
      e.users.resize(count);
      ok = true;
      for (auto& u : e.users) {
        uint8_t n = 0;
        if (!read_user(r, u.user_id, u.username) || !r.u8(n) || n > r.left() / 2) return false;
        u.channels.resize(n);
        for (auto& c : u.channels) {
          if (!r.str8(c) || !valid_channel(c)) return false;
        }
      }
      break;
    }
    case Kind::kHello:
      ok = true;
      break;
    default:
      return false;
  }
  e.sent_unix_ms = static_cast<int64_t>(sent);
  return ok && r.left() == 0;
}

}  // namespace citadel::fleet::chat
