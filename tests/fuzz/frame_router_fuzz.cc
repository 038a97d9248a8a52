// libFuzzer target: FrameReader + Router with the built-in handlers, the path
// every byte from a client takes.
//
// Input layout (so the fuzzer controls the splits as well as the bytes):
//   byte 0      max payload selector: < 0x80 -> byte * 4 (0..508, small limits
//               reach the too-large path quickly); otherwise the 64 KiB default
//   byte 1      k = byte % 16: number of chunk-size bytes that follow
//   k bytes     chunk sizes, used cyclically (0 means an empty feed); k = 0
//               feeds the whole stream at once
//   rest        the byte stream a client sent
//
// Invariants checked (abort on violation):
//   * split invariance: the chunked decode yields exactly the frames and the
//     error of a plain reference decoder over the whole stream;
//   * no delivered frame exceeds the reader's max payload;
//   * the reader never holds more than one header + max payload;
//   * every frame gets exactly one reply, and every reply serialises to one
//     well-formed frame: PONG echoing a PING of <= 64 bytes, ECHO echoing an
//     ECHO, ERROR 8 for a longer PING, ERROR 3 naming any other cmd.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "fake_peer.h"
#include "fuzz_check.h"
#include "fuzz_chunks.h"
#include "protocol/frame_reader.h"
#include "protocol/wire.h"
#include "server/builtin_handlers.h"
#include "server/router.h"

namespace {

namespace wire = citadel::protocol;
using citadel::server::Handler;
using citadel::server::Router;
using Bytes = std::vector<uint8_t>;

// The peer interface handlers receive, taken from Handler so this target
// follows it wherever it lives.
template <class>
struct FirstArg;
template <class R, class A, class... Rest>
struct FirstArg<std::function<R(A, Rest...)>> {
  using type = std::remove_reference_t<A>;
};
using PeerInterface = FirstArg<Handler>::type;

// Serialises every reply exactly as a connection would queue it.
class RecordingResponder final : public citadel::testing::FakePeer {
 public:
  void send(uint16_t cmd, std::span<const uint8_t> payload) override {
    wire::append_frame(out, cmd, payload);
    ++replies;
  }
  void send_error(wire::ErrorCode code, std::string_view text) override {
    wire::append_error_frame(out, code, text);
    ++replies;
  }

  Bytes out;
  std::size_t replies = 0;
};

struct Frame {
  uint16_t cmd;
  Bytes payload;
  bool operator==(const Frame&) const = default;
};

// The contract, read straight off the page: no incremental state at all.
wire::DecodeError reference_decode(const uint8_t* p, std::size_t n, uint32_t max_payload,
                                   std::vector<Frame>& frames) {
  for (;;) {
    if (n >= 2 && wire::load_be16(p) != wire::kMagic) return wire::DecodeError::kBadMagic;
    if (n < wire::kHeaderBytes) return wire::DecodeError::kNone;
    const uint32_t len = wire::load_be32(p + 4);
    if (len > max_payload) return wire::DecodeError::kFrameTooLarge;
    if (n - wire::kHeaderBytes < len) return wire::DecodeError::kNone;
    frames.push_back(
        {wire::load_be16(p + 2), Bytes(p + wire::kHeaderBytes, p + wire::kHeaderBytes + len)});
    p += wire::kHeaderBytes + len;
    n -= wire::kHeaderBytes + len;
  }
}

const Router& router() {
  static const Router r = [] {
    Router x;
    citadel::server::register_builtin_handlers(x);
    return x;
  }();
  return r;
}

// Checks the reply bytes produced for one request frame.
void check_reply(const Frame& request, const RecordingResponder& peer) {
  FUZZ_CHECK(peer.replies == 1);
  // Decode the reply with a reader of its own: it must be exactly one frame.
  wire::FrameReader reply_reader(UINT32_MAX);
  std::vector<Frame> replies;
  const auto r = reply_reader.feed(peer.out, [&](const wire::FrameView& f) {
    replies.push_back({f.cmd, Bytes(f.payload.begin(), f.payload.end())});
    return true;
  });
  FUZZ_CHECK(r.error == wire::DecodeError::kNone);
  FUZZ_CHECK(reply_reader.buffered_bytes() == 0);
  FUZZ_CHECK(replies.size() == 1);
  const Frame& reply = replies[0];

  uint16_t code = 0;
  std::string_view text;
  switch (request.cmd) {
    case wire::cmd::kPing:
      if (request.payload.size() <= wire::kMaxPingPayloadBytes) {
        FUZZ_CHECK(reply.cmd == wire::cmd::kPong);
        FUZZ_CHECK(reply.payload == request.payload);
      } else {
        FUZZ_CHECK(reply.cmd == wire::cmd::kError);
        FUZZ_CHECK(wire::parse_error_payload(reply.payload, code, text));
        FUZZ_CHECK(code == static_cast<uint16_t>(wire::ErrorCode::kBadPayload));
      }
      break;
    case wire::cmd::kEcho:
      FUZZ_CHECK(reply.cmd == wire::cmd::kEcho);
      FUZZ_CHECK(reply.payload == request.payload);
      break;
    default: {
      FUZZ_CHECK(reply.cmd == wire::cmd::kError);
      FUZZ_CHECK(wire::parse_error_payload(reply.payload, code, text));
      FUZZ_CHECK(code == static_cast<uint16_t>(wire::ErrorCode::kUnknownCommand));
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%04x", request.cmd);
      FUZZ_CHECK(text.find(hex) != std::string_view::npos);
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const uint32_t max_payload =
      data[0] < 0x80 ? uint32_t{data[0]} * 4 : wire::kDefaultMaxPayloadBytes;
  const auto split = read_chunked_stream(data, size, 2, data[1] % 16);
  if (!split) return 0;
  const auto [chunk_sizes, k, stream, stream_size] = *split;

  std::vector<Frame> expected;
  const wire::DecodeError expected_error =
      reference_decode(stream, stream_size, max_payload, expected);

  wire::FrameReader reader(max_payload);
  std::vector<Frame> got;
  wire::DecodeError error = wire::DecodeError::kNone;
  auto on_frame = [&](const wire::FrameView& f) {
    FUZZ_CHECK(f.payload.size() <= max_payload);
    Frame frame{f.cmd, Bytes(f.payload.begin(), f.payload.end())};
    RecordingResponder peer;
    router().dispatch(peer, f);
    check_reply(frame, peer);
    got.push_back(std::move(frame));
    return true;
  };

  std::size_t at = 0;
  std::size_t i = 0;
  do {
    const std::size_t want = k == 0 ? stream_size : chunk_sizes[i++ % k];
    const std::size_t n = std::min(want, stream_size - at);
    const auto r = reader.feed(std::span<const uint8_t>(stream + at, n), on_frame);
    FUZZ_CHECK(!r.stopped);
    at += n;
    FUZZ_CHECK(reader.buffered_bytes() <= wire::kHeaderBytes + max_payload);
    if (r.error != wire::DecodeError::kNone) {
      error = r.error;
      break;  // the reader must not be fed after an error
    }
    // Between frames a reader holds no more than the bytes it has been given.
    FUZZ_CHECK(reader.buffered_bytes() <= at);
  } while (at < stream_size);

  FUZZ_CHECK(error == expected_error);
  FUZZ_CHECK(got == expected);

  // Stop-early: a callback that stops at frame `stop_at` sees exactly that many.
  if (!expected.empty()) {
    const std::size_t stop_at = 1 + data[0] % expected.size();
    wire::FrameReader stopper(max_payload);
    std::size_t seen = 0;
    bool stopped = false;
    std::size_t pos = 0;
    std::size_t j = 0;
    while (pos < stream_size && !stopped) {
      const std::size_t want = k == 0 ? stream_size : chunk_sizes[j++ % k];
      const std::size_t n = std::min(want, stream_size - pos);
      const auto r = stopper.feed(std::span<const uint8_t>(stream + pos, n),
                                  [&](const wire::FrameView&) { return ++seen < stop_at; });
      pos += n;
      stopped = r.stopped;
      if (r.error != wire::DecodeError::kNone) break;
    }
    FUZZ_CHECK(stopped);
    FUZZ_CHECK(seen == stop_at);
  }
  return 0;
}
