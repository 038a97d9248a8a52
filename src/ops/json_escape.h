// JSON string literals from arbitrary bytes, in one place for everything that
// writes JSON by hand: the JSON log lines and the admin endpoints
// (ops/logging.h) and citadel-cli's --json output. Any input gives valid
// JSON: bytes that are not valid UTF-8 become U+FFFD instead of being copied
// (a log line or an event must never be unparseable because of what a peer sent).
#pragma once

#include <cstddef>
#include <string_view>

namespace citadel::ops {

// Length of the valid UTF-8 sequence starting at text[i] (1 to 4), or 0 if
// the bytes there are not one: a bad lead byte, a missing continuation, an
// overlong form, a surrogate, or a code point above U+10FFFF.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);

// Appends `text` to `out` as a JSON string literal: quoted; quotes,
// backslashes and control characters (and DEL) escaped; each byte that is
// not part of valid UTF-8 replaced by \ufffd. Out is any byte container with
// push_back(char) and append(const char* first, const char* last), e.g.
// std::string or fmt::memory_buffer (a template, so neither pays a copy).
template <class Out>
void append_json_quoted(Out& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto put = [&out](std::string_view s) { out.append(s.data(), s.data() + s.size()); };
  out.push_back('"');
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      put("\\n");
    } else if (c == '\r') {
      put("\\r");
    } else if (c == '\t') {
      put("\\t");
    } else if (c < 0x20 || c == 0x7F) {
      const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      put({escaped, sizeof escaped});
    } else if (c >= 0x80) {
      const std::size_t n = utf8_sequence_length(text, i);
      if (n == 0) {
        put("\\ufffd");
        ++i;
      } else {
        put(text.substr(i, n));
        i += n;
      }
      continue;
    } else {
      out.push_back(static_cast<char>(c));
    }
    ++i;
  }
  out.push_back('"');
}

}  // namespace citadel::ops
