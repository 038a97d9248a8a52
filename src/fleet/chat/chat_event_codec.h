// The bytes of a chat event between nodes (services/chat/chat_fanout.h), as
// the relay carries them (topic kChatTopic). Compact binary, little-endian,
// every variable field with an explicit length:
//
//   u8 magic 0xC7 | u8 version (1) | u8 kind | the kind's fields
//   str8  = u8 length, bytes      (channel, username, node id)
//   str16 = u16 length, bytes     (text)
//   kMessage  str8 channel, u64 from, str8 name, str16 text, i64 sent_ms
//   kPrivate  str8 to_node, u64 to_user, u64 from, str8 name, str16 text, i64 sent_ms
//   kOnline   u64 user, str8 name
//   kOffline  u64 user
//   kJoin, kLeave  str8 channel, u64 user, str8 name
//   kState    u32 count, then count x (u64 user, str8 name, u8 n, n x str8 channel)
//   kHello    (nothing)
//
// Why not FlatBuffers: these are a handful of flat fields, read by our own
// nodes only; a hand-rolled reader with a bounds check per field is shorter
// than a schema plus the verifier, and allocates nothing but the strings.
//
// Decoding trusts nothing (an entry in Redis may come from anything that can
// write there): an unknown magic, version or kind, a length past the end,
// trailing bytes, an empty or over-long name, a channel name outside
// [A-Za-z0-9_.-]{1,32}, text that is not UTF-8 or holds NUL, user id 0, or a
// count the bytes cannot hold: the whole entry is refused.
#pragma once

#include <string>
#include <string_view>

#include "services/chat/chat_fanout.h"

namespace citadel::fleet::chat {

inline constexpr std::string_view kChatTopic = "chat";
inline constexpr uint8_t kCodecMagic = 0xC7;
inline constexpr uint8_t kCodecVersion = 1;
inline constexpr std::size_t kMaxUsernameBytes = 64;
inline constexpr std::size_t kMaxChannelBytes = 32;

// Appends the encoding of `event` to `out` (cleared first; its capacity is
// reused). False when a field does not fit its length prefix (a name over
// 255 bytes, text over 65535): nothing is to be sent then.
bool encode_chat_event(const services::ChatFleetEvent& event, std::string& out);

// Decodes `bytes` into `out` (its strings' capacity reused). False when the
// bytes are not a valid event (see above); `out` is then unspecified.
bool decode_chat_event(std::string_view bytes, services::ChatFleetEvent& out);

}  // namespace citadel::fleet::chat
