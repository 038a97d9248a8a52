// libFuzzer target: the WebSocket codec (src/net/websocket), everything a
// browser's bytes meet before they become Citadel frames: the handshake
// parser, then the frame parser.
//
// Input layout (so the fuzzer controls the limits and the splits as well as
// the bytes):
//   byte 0      bits 0-6: message limit: 0x7F -> the default (one Citadel
//               frame, 65,544 bytes), otherwise value * 4 (0..504 bytes, so
//               the 1009 path is reached quickly);
//               bit 7: the stream starts with a handshake, and the frames
//               start after the bytes it consumed (if it was accepted)
//   byte 1      bits 0-3: k, the number of chunk-size bytes that follow;
//               bit 4: an Origin allow list; bit 5: path "/ws" instead of "/";
//               bits 6-7: request limit 256 / 512 / 1024 / 8192 bytes
//               (static files are always served under "/demo/": index.html
//               and app.js, so plain GETs and HEADs there meet the site)
//   k bytes     chunk sizes, used cyclically (0 means an empty feed); k = 0
//               (or all zero) feeds the whole stream at once
//   rest        the bytes a client sent
//
// Invariants checked (abort on violation):
//   handshake: the same state, status, response and consumed count fed at
//     once and in chunks; a finished parser consumes nothing more; a 101
//     carries a 28-character accept key; an error has one of the documented
//     statuses, Connection: close and a matching Content-Length; no request
//     beyond the size limit is read; a static answer has one of its statuses,
//     Connection: close, nosniff, and a body only for a 200 to a GET, whose
//     length its Content-Length gives;
//   frames: the same events fed at once, fed in chunks, and from a plain
//     reference decoder over the whole stream; no event after Close or Fail;
//     every message within the limit, every control payload within 125
//     bytes, every Close code valid on the wire (or 1005) with a UTF-8
//     reason, every Fail one of 1002, 1003, 1007, 1009; the parser's buffer
//     never beyond the limit; a pong or close answer always fits its frame.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "fuzz_chunks.h"
#include "net/http/static_site.h"
#include "net/websocket/frame_parser.h"
#include "net/websocket/frame_writer.h"
#include "net/websocket/handshake.h"
#include "net/websocket/masking.h"
#include "protocol/utf8.h"

namespace {

namespace ws = citadel::net::websocket;
using Bytes = std::vector<uint8_t>;

// Feeds `size` bytes in the fuzz-chosen chunk sizes, calling feed(ptr, n)
// for each piece until it returns false.
template <class Feed>
void feed_in_chunks(std::size_t size, const uint8_t* chunk_sizes, std::size_t k, Feed&& feed) {
  std::size_t at = 0;
  std::size_t i = 0;
  do {
    const std::size_t want = k == 0 ? size : chunk_sizes[i++ % k];
    const std::size_t n = std::min(want, size - at);
    if (!feed(at, n)) return;
    at += n;
  } while (at < size);
}

// --- handshake -------------------------------------------------------------------

struct HandshakeOutcome {
  ws::HandshakeParser::State state;
  int status;
  std::string response;  // without its Date line (the two runs may straddle a second)
  std::size_t consumed;
  std::size_t body_bytes;  // a static file's shared body; 0 when none
  bool operator==(const HandshakeOutcome&) const = default;
};

// The static site every input meets under /demo/.
const citadel::net::http::StaticSiteStore& static_site() {
  static citadel::net::http::StaticSiteStore store;
  static const bool loaded = [] {
    std::vector<citadel::net::http::StaticFile> files;
    files.push_back({"index.html", {'<', 'p', '>'}});
    files.push_back({"app.js", {'1', ';'}});
    store.set(citadel::net::http::StaticSite::make("/demo/", std::move(files)).site);
    return true;
  }();
  FUZZ_CHECK(loaded);
  return store;
}

std::string without_date(std::string r) {
  const std::size_t at = r.find("\r\nDate: ");
  if (at != std::string::npos) r.erase(at + 2, r.find("\r\n", at + 2) - at);
  return r;
}

void check_response(const HandshakeOutcome& o, const ws::HandshakeConfig& config,
                    std::size_t stream_size) {
  using State = ws::HandshakeParser::State;
  FUZZ_CHECK(o.consumed <= config.max_request_bytes);
  if (o.state == State::kReading) {
    FUZZ_CHECK(o.response.empty() && o.status == 0);
    FUZZ_CHECK(o.consumed == stream_size);  // everything fed is still part of the request
    FUZZ_CHECK(o.consumed < config.max_request_bytes);
    return;
  }
  const std::string_view r = o.response;
  if (o.state == State::kServed) {
    FUZZ_CHECK(o.status == 200 || o.status == 301 || o.status == 304 || o.status == 404 ||
               o.status == 405);
    FUZZ_CHECK(r.starts_with("HTTP/1.1 " + std::to_string(o.status) + " "));
    FUZZ_CHECK(r.find("\r\nConnection: close\r\n") != std::string_view::npos);
    FUZZ_CHECK(r.find("\r\nX-Content-Type-Options: nosniff\r\n") != std::string_view::npos);
    FUZZ_CHECK(o.body_bytes == 0 || o.status == 200);
    if (o.body_bytes > 0) {
      FUZZ_CHECK(r.ends_with("\r\n\r\n"));
      FUZZ_CHECK(r.find("\r\nContent-Length: " + std::to_string(o.body_bytes) + "\r\n") !=
                 std::string_view::npos);
    }
    return;
  }
  if (o.state == State::kAccepted) {
    FUZZ_CHECK(o.status == 101);
    FUZZ_CHECK(r.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
    const std::string_view accept = "\r\nSec-WebSocket-Accept: ";
    const std::size_t at = r.find(accept);
    FUZZ_CHECK(at != std::string_view::npos);
    FUZZ_CHECK(r.substr(at + accept.size()) ==
               std::string(r.substr(at + accept.size(), 28)) + "\r\n\r\n");
    return;
  }
  FUZZ_CHECK(o.status == 400 || o.status == 403 || o.status == 404 || o.status == 405 ||
             o.status == 426 || o.status == 431 || o.status == 505);
  FUZZ_CHECK(r.starts_with("HTTP/1.1 " + std::to_string(o.status) + " "));
  FUZZ_CHECK(r.find("\r\nConnection: close\r\n") != std::string_view::npos);
  const std::size_t body_at = r.find("\r\n\r\n");
  FUZZ_CHECK(body_at != std::string_view::npos);
  const std::size_t body_size = r.size() - body_at - 4;
  FUZZ_CHECK(body_size > 0);
  FUZZ_CHECK(r.find("\r\nContent-Length: " + std::to_string(body_size) + "\r\n") !=
             std::string_view::npos);
}

HandshakeOutcome run_handshake(const ws::HandshakeConfig& config, const uint8_t* stream,
                               std::size_t size, const uint8_t* chunk_sizes, std::size_t k) {
  ws::HandshakeParser parser(config);
  std::size_t consumed = 0;
  feed_in_chunks(size, chunk_sizes, k, [&](std::size_t at, std::size_t n) {
    const auto result = parser.feed({stream + at, n});
    FUZZ_CHECK(result.consumed_bytes <= n);
    FUZZ_CHECK(result.state == parser.state());
    consumed += result.consumed_bytes;
    if (result.state == ws::HandshakeParser::State::kReading) {
      FUZZ_CHECK(result.consumed_bytes == n);
      return true;
    }
    // Finished: a further feed consumes nothing and changes nothing.
    const std::string response = parser.response();
    const auto again = parser.feed({stream + at, n});
    FUZZ_CHECK(again.consumed_bytes == 0 && again.state == result.state);
    FUZZ_CHECK(parser.response() == response);
    return false;
  });
  FUZZ_CHECK(consumed == parser.request_bytes());
  return {parser.state(), parser.status_code(), without_date(parser.response()), consumed,
          parser.response_body() ? parser.response_body()->size() : 0};
}

// --- frames ----------------------------------------------------------------------

struct Event {
  enum Kind { kBinary, kPing, kPong, kClose, kFail } kind;
  Bytes bytes{};
  uint16_t code = 0;
  std::string reason{};  // Close only: a Fail's text is for people, not compared
  bool operator==(const Event&) const = default;
};

class CheckingRecorder final : public ws::FrameEventHandler {
 public:
  explicit CheckingRecorder(std::size_t limit) : limit_(limit) {}

  bool on_frame_event(const ws::FrameEvent& event) override {
    FUZZ_CHECK(!ended_);  // nothing after Close or Fail
    auto own = [](std::span<const uint8_t> s) { return Bytes(s.begin(), s.end()); };
    if (const auto* m = std::get_if<ws::BinaryMessage>(&event)) {
      FUZZ_CHECK(m->bytes.size() <= limit_);
      events.push_back({Event::kBinary, own(m->bytes)});
    } else if (const auto* p = std::get_if<ws::Ping>(&event)) {
      FUZZ_CHECK(p->payload.size() <= ws::kMaxControlPayloadBytes);
      // The answer the caller writes always fits.
      Bytes pong(ws::pong_frame_bytes(p->payload));
      FUZZ_CHECK(ws::write_pong_frame(p->payload, pong) == pong.size());
      events.push_back({Event::kPing, own(p->payload)});
    } else if (const auto* p = std::get_if<ws::Pong>(&event)) {
      FUZZ_CHECK(p->payload.size() <= ws::kMaxControlPayloadBytes);
      events.push_back({Event::kPong, own(p->payload)});
    } else if (const auto* c = std::get_if<ws::Close>(&event)) {
      FUZZ_CHECK(c->code == ws::close_code::kNoStatus || ws::is_valid_wire_close_code(c->code));
      FUZZ_CHECK(c->reason.size() <= ws::kMaxCloseReasonBytes);
      FUZZ_CHECK(citadel::protocol::is_valid_utf8(c->reason));
      Bytes answer(ws::close_frame_bytes(c->code, c->reason));
      FUZZ_CHECK(ws::write_close_frame(c->code, c->reason, answer) == answer.size());
      events.push_back({Event::kClose, {}, c->code, std::string(c->reason)});
      ended_ = true;
    } else if (const auto* f = std::get_if<ws::Fail>(&event)) {
      FUZZ_CHECK(f->close_code == 1002 || f->close_code == 1003 || f->close_code == 1007 ||
                 f->close_code == 1009);
      FUZZ_CHECK(!f->reason.empty() && f->reason.size() <= ws::kMaxCloseReasonBytes);
      events.push_back({Event::kFail, {}, f->close_code, {}});
      ended_ = true;
    }
    return true;
  }

  std::vector<Event> events;

 private:
  std::size_t limit_;
  bool ended_ = false;
};

std::vector<Event> run_frames(Bytes stream, std::size_t limit, const uint8_t* chunk_sizes,
                              std::size_t k) {
  ws::FrameParser parser({.max_message_bytes = limit, .retained_buffer_bytes = 256});
  CheckingRecorder recorder(limit);
  feed_in_chunks(stream.size(), chunk_sizes, k, [&](std::size_t at, std::size_t n) {
    const auto state = parser.feed({stream.data() + at, n}, recorder);
    FUZZ_CHECK(parser.capacity_bytes() <= limit);
    FUZZ_CHECK(state != ws::FrameParser::State::kStopped);  // the recorder never stops it
    return true;  // keep feeding after the end: the parser must ignore it
  });
  return recorder.events;
}

// RFC 6455 section 5 read straight off the page, over the whole stream at
// once: no incremental state. Stops at the first incomplete frame.
std::vector<Event> reference_decode(const Bytes& s, std::size_t limit) {
  std::vector<Event> events;
  auto fail = [&](uint16_t code) {
    events.push_back({Event::kFail, {}, code, {}});
    return events;
  };
  std::size_t pos = 0;
  bool in_message = false;
  Bytes message;
  for (;;) {
    if (s.size() - pos < 2) return events;
    const uint8_t b0 = s[pos], b1 = s[pos + 1];
    const bool fin = b0 & 0x80;
    const uint8_t op = b0 & 0x0F;
    const bool control = op >= 0x8;
    const uint8_t len7 = b1 & 0x7F;
    if ((b0 & 0x70) != 0) return fail(1002);
    if (!(op <= 0x2 || (op >= 0x8 && op <= 0xA))) return fail(1002);
    if ((b1 & 0x80) == 0) return fail(1002);
    if (control && (!fin || len7 > 125)) return fail(1002);
    if (op == 0x0 && !in_message) return fail(1002);
    if ((op == 0x1 || op == 0x2) && in_message) return fail(1002);
    const std::size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    const std::size_t header = 2 + ext + 4;
    if (s.size() - pos < header) return events;
    uint64_t len = len7;
    if (ext > 0) {
      len = 0;
      for (std::size_t i = 0; i < ext; ++i) len = (len << 8) | s[pos + 2 + i];
    }
    if (len >> 63) return fail(1002);
    if (op == 0x1) return fail(1003);
    if (!control && len > limit - message.size()) return fail(1009);
    if (s.size() - pos - header < len) return events;
    ws::MaskKey key;
    std::copy_n(s.begin() + static_cast<std::ptrdiff_t>(pos + 2 + ext), 4, key.begin());
    Bytes payload(s.begin() + static_cast<std::ptrdiff_t>(pos + header),
                  s.begin() + static_cast<std::ptrdiff_t>(pos + header + len));
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] ^= key[i % 4];
    pos += header + len;
    if (op == 0x9) {
      events.push_back({Event::kPing, payload});
    } else if (op == 0xA) {
      events.push_back({Event::kPong, payload});
    } else if (op == 0x8) {
      if (payload.empty()) {
        events.push_back({Event::kClose, {}, 1005, {}});
        return events;
      }
      if (payload.size() == 1) return fail(1002);
      const auto code = static_cast<uint16_t>(payload[0] << 8 | payload[1]);
      const bool valid_code = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                              (code >= 3000 && code <= 4999);
      if (!valid_code) return fail(1002);
      const std::string reason(payload.begin() + 2, payload.end());
      if (!citadel::protocol::is_valid_utf8(reason)) return fail(1007);
      events.push_back({Event::kClose, {}, code, reason});
      return events;
    } else {
      message.insert(message.end(), payload.begin(), payload.end());
      in_message = !fin;
      if (fin) {
        events.push_back({Event::kBinary, message});
        message.clear();
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t limit_selector = data[0] & 0x7F;
  const std::size_t limit =
      limit_selector == 0x7F ? ws::FrameParserConfig{}.max_message_bytes : limit_selector * 4;
  const bool starts_with_handshake = (data[0] & 0x80) != 0;
  ws::HandshakeConfig config;
  if (data[1] & 0x10)
    config.allowed_origins = {"https://game.example.com", "http://localhost:8080"};
  if (data[1] & 0x20) config.path = "/ws";
  static constexpr std::size_t kRequestLimits[] = {256, 512, 1024, 8192};
  config.max_request_bytes = kRequestLimits[data[1] >> 6];
  config.max_header_count = 16;
  config.static_site = &static_site();
  FUZZ_CHECK(!ws::handshake_config_problem(config));

  const auto split = read_chunked_stream(data, size, 2, data[1] & 0x0F);
  if (!split) return 0;
  const auto [chunk_sizes, k, stream, stream_size] = *split;

  // The handshake parser sees every input, for coverage; its answer decides
  // where the frames start only when the input says it starts with one.
  const HandshakeOutcome whole = run_handshake(config, stream, stream_size, chunk_sizes, 0);
  const HandshakeOutcome chunked = run_handshake(config, stream, stream_size, chunk_sizes, k);
  FUZZ_CHECK(whole == chunked);
  check_response(whole, config, stream_size);

  std::size_t frames_at = 0;
  if (starts_with_handshake) {
    if (whole.state != ws::HandshakeParser::State::kAccepted) return 0;
    frames_at = whole.consumed;
  }
  const Bytes frames(stream + frames_at, stream + stream_size);
  const std::vector<Event> expected = reference_decode(frames, limit);
  FUZZ_CHECK(run_frames(frames, limit, chunk_sizes, 0) == expected);
  FUZZ_CHECK(run_frames(frames, limit, chunk_sizes, k) == expected);
  return 0;
}
