// Test helpers: build the frames a client sends (masked, any header bits, any
// length encoding), feed a stream to a FrameParser split in different ways,
// and record its events as values that compare and print.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "net/websocket/frame_parser.h"

namespace citadel::net::websocket::testing {

using Bytes = std::vector<uint8_t>;

Bytes bytes_of(std::string_view s);
Bytes repeated(std::size_t n, uint8_t first = 0);  // n bytes counting up from first

struct ClientFrame {
  uint8_t opcode = opcode::kBinary;
  Bytes payload{};
  bool fin = true;
  uint8_t rsv = 0;  // 0-7: RSV1 is 4, RSV2 2, RSV3 1
  bool masked = true;
  MaskKey key = {0x37, 0xFA, 0x21, 0x3D};
  // Length encoding: 7 (in the second byte, payload < 126), 16 or 64 bits;
  // nullopt picks the shortest, as a conforming client does.
  std::optional<int> length_bits{};
  // Declared length when it must differ from payload.size().
  std::optional<uint64_t> declared_length{};
};

Bytes encode(const ClientFrame& frame);
Bytes binary(const Bytes& payload, bool fin = true);
Bytes text(std::string_view payload, bool fin = true);
Bytes continuation(const Bytes& payload, bool fin);
Bytes ping(const Bytes& payload);
Bytes pong(const Bytes& payload);
Bytes close_frame(uint16_t code, std::string_view reason = {});
Bytes close_frame_raw(const Bytes& payload);  // any payload, e.g. 1 byte
Bytes concat(std::initializer_list<Bytes> parts);

// One event, owning its bytes.
struct Recorded {
  enum class Kind { kBinary, kPing, kPong, kClose, kFail };
  Kind kind;
  Bytes bytes{};         // message or control payload
  uint16_t code = 0;     // Close: the peer's code; Fail: the close code to send
  std::string reason{};  // Close: the peer's reason; Fail: ours
  bool operator==(const Recorded&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Recorded& r);

Recorded message(const Bytes& bytes);
Recorded ping_event(const Bytes& payload);
Recorded pong_event(const Bytes& payload);
Recorded close_event(uint16_t code, std::string_view reason = {});
// Fail with a close code; the reason text is for people and is not compared.
Recorded fail_event(uint16_t close_code);

class Recorder final : public FrameEventHandler {
 public:
  bool on_frame_event(const FrameEvent& event) override;

  std::vector<Recorded> events;
  // Whether each BinaryMessage pointed into the fed buffer (zero copy).
  std::vector<bool> delivered_in_place;
  // The buffer being fed, to tell in-place deliveries from buffered ones.
  const uint8_t* fed_begin = nullptr;
  const uint8_t* fed_end = nullptr;
  int stop_after = -1;  // return false from this event on (index), -1: never
};

// Feeds stream in pieces of chunk bytes (0: all at once) to a fresh parser.
std::vector<Recorded> parse(const Bytes& stream, std::size_t chunk = 0,
                            FrameParserConfig config = {});

// Parses stream at once, byte by byte, and split in two at every position
// (streams up to 300 bytes) or at a few positions (longer ones); fails the
// test unless every way gives the same events, and returns them.
std::vector<Recorded> parse_every_way(const Bytes& stream, FrameParserConfig config = {});

}  // namespace citadel::net::websocket::testing
