#include "chat_text.h"

#include <charconv>

#include <fmt/format.h>

namespace citadel::bench {
namespace {

// Parses one space-terminated number at the front of `s` and moves past it
// and its space. The whole field must be the number.
template <class T>
bool take_field(std::string_view& s, T& out, int base = 10) {
  const std::size_t space = s.find(' ');
  const std::string_view field = s.substr(0, space);
  if (field.empty()) return false;
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), out, base);
  if (ec != std::errc() || end != field.data() + field.size()) return false;
  s.remove_prefix(space == std::string_view::npos ? s.size() : space + 1);
  return true;
}

}  // namespace

std::string format_chat_text(uint64_t nonce, const ChatTag& tag, std::size_t text_bytes) {
  std::string text = fmt::format("cb {:x} {} {} ", nonce, tag.seq, tag.send_ns);
  if (text.size() < text_bytes) text.append(text_bytes - text.size(), 'x');
  return text;
}

std::optional<ChatTag> parse_chat_text(std::string_view text, uint64_t nonce) {
  if (!text.starts_with("cb ")) return std::nullopt;
  text.remove_prefix(3);
  uint64_t got_nonce = 0;
  ChatTag tag;
  if (!take_field(text, got_nonce, 16) || got_nonce != nonce) return std::nullopt;
  if (!take_field(text, tag.seq) || !take_field(text, tag.send_ns)) return std::nullopt;
  return tag;
}

}  // namespace citadel::bench
