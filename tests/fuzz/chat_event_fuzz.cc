// libFuzzer: the decoder of chat events between nodes
// (src/fleet/chat/chat_event_codec.h). An entry on the chat stream comes
// from whatever can write to Redis, so any bytes must decode to a valid
// event or to nothing, never a crash, a hang or an allocation the bytes
// cannot justify; for every input:
//   - decode_chat_event returns (an exception escaping it aborts the target);
//   - an event it accepts has the fields its kind needs, within bounds
//     (a channel name of 1 to 32 of [A-Za-z0-9_.-], a non-empty name of at
//     most 64 bytes, user ids not 0);
//   - the encoding is canonical: an accepted event encodes back to exactly
//     the input bytes (so nothing in the input was skipped or invented).
// Seeds: tests/fuzz/make_chat_event_corpus.py (one per kind).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fleet/chat/chat_event_codec.h"
#include "fuzz_check.h"

namespace {

using citadel::services::ChatFleetEvent;
using Kind = ChatFleetEvent::Kind;
namespace chat = citadel::fleet::chat;

bool channel_ok(const std::string& c) {
  if (c.empty() || c.size() > chat::kMaxChannelBytes) return false;
  for (char ch : c) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.';
    if (!ok) return false;
  }
  return true;
}

bool name_ok(const std::string& n) {
  return !n.empty() && n.size() <= chat::kMaxUsernameBytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ChatFleetEvent e;
  if (!chat::decode_chat_event(bytes, e)) return 0;
  switch (e.kind) {
    case Kind::kMessage:
      FUZZ_CHECK(channel_ok(e.channel) && e.user_id != 0 && name_ok(e.username) && !e.text.empty());
      break;
    case Kind::kPrivate:
      FUZZ_CHECK(!e.to_node.empty() && e.to_user_id != 0 && e.user_id != 0 && name_ok(e.username) &&
                 !e.text.empty());
      break;
    case Kind::kOnline:
      FUZZ_CHECK(e.user_id != 0 && name_ok(e.username));
      break;
    case Kind::kOffline:
      FUZZ_CHECK(e.user_id != 0);
      break;
    case Kind::kJoin:
    case Kind::kLeave:
      FUZZ_CHECK(channel_ok(e.channel) && e.user_id != 0 && name_ok(e.username));
      break;
    case Kind::kState:
      // Each user took at least 11 bytes of the input.
      FUZZ_CHECK(e.users.size() * 11 <= size);
      for (const auto& u : e.users) {
        FUZZ_CHECK(u.user_id != 0 && name_ok(u.username));
        for (const auto& c : u.channels) FUZZ_CHECK(channel_ok(c));
      }
      break;
    case Kind::kHello:
      break;
    default:
      FUZZ_CHECK(!"an unknown kind was accepted");
  }
  std::string again;
  FUZZ_CHECK(chat::encode_chat_event(e, again));
  FUZZ_CHECK(again == bytes);
  return 0;
}
