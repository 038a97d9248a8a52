// The text of a bench chat message carries what a receiver needs to time it:
// "cb <nonce> <seq> <send_ns> xxx...". `nonce` (hex) is unique per bench run,
// so messages of other clients (or of another bench run) in the same channel
// are told apart and ignored; `seq` numbers the run's messages from 0;
// `send_ns` is the sender's steady_clock reading, which every thread of the
// process shares, so a receipt's latency is one subtraction. Padding with 'x'
// brings the text to a chosen length, so the push frame's size can be matched
// to the fan-out yardstick's message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace citadel::bench {

struct ChatTag {
  uint64_t seq = 0;
  int64_t send_ns = 0;
};

// The longest tag (all fields at full width) fits in this many bytes.
inline constexpr std::size_t kMaxChatTagBytes = 64;

// The text for one message, padded with 'x' to `text_bytes` (never shorter
// than the tag itself).
std::string format_chat_text(uint64_t nonce, const ChatTag& tag, std::size_t text_bytes);

// The tag in `text`, if it is a message of the run `nonce`.
std::optional<ChatTag> parse_chat_text(std::string_view text, uint64_t nonce);

}  // namespace citadel::bench
