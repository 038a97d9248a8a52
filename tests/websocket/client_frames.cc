#include "client_frames.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iomanip>

#include "net/websocket/masking.h"

namespace citadel::net::websocket::testing {

Bytes bytes_of(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

Bytes repeated(std::size_t n, uint8_t first) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(first + i);
  return out;
}

Bytes encode(const ClientFrame& frame) {
  const uint64_t length = frame.declared_length.value_or(frame.payload.size());
  const int bits = frame.length_bits.value_or(length < 126 ? 7 : length <= 0xFFFF ? 16 : 64);
  Bytes out;
  out.push_back(static_cast<uint8_t>((frame.fin ? 0x80 : 0) | ((frame.rsv & 7) << 4) |
                                     (frame.opcode & 0x0F)));
  const uint8_t mask_bit = frame.masked ? 0x80 : 0;
  if (bits == 7) {
    out.push_back(static_cast<uint8_t>(mask_bit | length));
  } else {
    out.push_back(static_cast<uint8_t>(mask_bit | (bits == 16 ? 126 : 127)));
    for (int shift = bits - 8; shift >= 0; shift -= 8) {
      out.push_back(static_cast<uint8_t>(length >> shift));
    }
  }
  const std::size_t payload_at = out.size() + (frame.masked ? 4 : 0);
  if (frame.masked) out.insert(out.end(), frame.key.begin(), frame.key.end());
  out.insert(out.end(), frame.payload.begin(), frame.payload.end());
  if (frame.masked) {
    apply_mask(out.data() + payload_at, out.data() + payload_at, frame.payload.size(), frame.key,
               0);
  }
  return out;
}

Bytes binary(const Bytes& payload, bool fin) {
  return encode({.opcode = opcode::kBinary, .payload = payload, .fin = fin});
}
Bytes text(std::string_view payload, bool fin) {
  return encode({.opcode = opcode::kText, .payload = bytes_of(payload), .fin = fin});
}
Bytes continuation(const Bytes& payload, bool fin) {
  return encode({.opcode = opcode::kContinuation, .payload = payload, .fin = fin});
}
Bytes ping(const Bytes& payload) {
  return encode({.opcode = opcode::kPing, .payload = payload});
}
Bytes pong(const Bytes& payload) {
  return encode({.opcode = opcode::kPong, .payload = payload});
}
Bytes close_frame(uint16_t code, std::string_view reason) {
  Bytes payload{static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)};
  payload.insert(payload.end(), reason.begin(), reason.end());
  return close_frame_raw(payload);
}
Bytes close_frame_raw(const Bytes& payload) {
  return encode({.opcode = opcode::kClose, .payload = payload});
}
Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

std::ostream& operator<<(std::ostream& os, const Recorded& r) {
  static constexpr const char* kNames[] = {"Binary", "Ping", "Pong", "Close", "Fail"};
  os << kNames[static_cast<int>(r.kind)] << "(";
  if (r.kind == Recorded::Kind::kClose || r.kind == Recorded::Kind::kFail) {
    os << r.code << ", \"" << r.reason << "\"";
  } else {
    os << r.bytes.size() << " bytes:";
    for (std::size_t i = 0; i < std::min<std::size_t>(r.bytes.size(), 16); ++i) {
      os << " " << std::hex << std::setw(2) << std::setfill('0') << int(r.bytes[i]) << std::dec;
    }
    if (r.bytes.size() > 16) os << " ...";
  }
  return os << ")";
}

Recorded message(const Bytes& bytes) {
  return {Recorded::Kind::kBinary, bytes};
}
Recorded ping_event(const Bytes& payload) {
  return {Recorded::Kind::kPing, payload};
}
Recorded pong_event(const Bytes& payload) {
  return {Recorded::Kind::kPong, payload};
}
Recorded close_event(uint16_t code, std::string_view reason) {
  return {Recorded::Kind::kClose, {}, code, std::string(reason)};
}
Recorded fail_event(uint16_t close_code) {
  return {Recorded::Kind::kFail, {}, close_code, {}};
}

bool Recorder::on_frame_event(const FrameEvent& event) {
  auto own = [](std::span<const uint8_t> s) { return Bytes(s.begin(), s.end()); };
  if (const auto* m = std::get_if<BinaryMessage>(&event)) {
    events.push_back(message(own(m->bytes)));
    delivered_in_place.push_back(!m->bytes.empty() && m->bytes.data() >= fed_begin &&
                                 m->bytes.data() < fed_end);
  } else if (const auto* p = std::get_if<Ping>(&event)) {
    events.push_back(ping_event(own(p->payload)));
  } else if (const auto* p = std::get_if<Pong>(&event)) {
    events.push_back(pong_event(own(p->payload)));
  } else if (const auto* c = std::get_if<Close>(&event)) {
    events.push_back(close_event(c->code, c->reason));
  } else if (const auto* f = std::get_if<Fail>(&event)) {
    // Reason texts are not compared, but every Fail must carry one.
    EXPECT_FALSE(f->reason.empty());
    events.push_back(fail_event(f->close_code));
  }
  return stop_after < 0 || static_cast<int>(events.size()) <= stop_after;
}

namespace {

std::vector<Recorded> parse_in_pieces(const Bytes& stream, const std::vector<std::size_t>& cuts,
                                      const FrameParserConfig& config) {
  Bytes copy = stream;  // the parser unmasks in place
  FrameParser parser(config);
  Recorder recorder;
  std::size_t begin = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t end = i < cuts.size() ? cuts[i] : copy.size();
    recorder.fed_begin = copy.data() + begin;
    recorder.fed_end = copy.data() + end;
    parser.feed(std::span<uint8_t>(copy.data() + begin, end - begin), recorder);
    begin = end;
  }
  return recorder.events;
}

}  // namespace

std::vector<Recorded> parse(const Bytes& stream, std::size_t chunk, FrameParserConfig config) {
  std::vector<std::size_t> cuts;
  if (chunk > 0) {
    for (std::size_t at = chunk; at < stream.size(); at += chunk) cuts.push_back(at);
  }
  return parse_in_pieces(stream, cuts, config);
}

std::vector<Recorded> parse_every_way(const Bytes& stream, FrameParserConfig config) {
  const std::vector<Recorded> whole = parse(stream, 0, config);
  EXPECT_EQ(parse(stream, 1, config), whole) << "byte by byte";
  EXPECT_EQ(parse(stream, 7, config), whole) << "in 7-byte pieces";
  std::vector<std::size_t> positions;
  if (stream.size() <= 300) {
    for (std::size_t at = 1; at < stream.size(); ++at) positions.push_back(at);
  } else {
    for (std::size_t at :
         {std::size_t{1}, std::size_t{2}, std::size_t{13}, stream.size() / 2, stream.size() - 1}) {
      positions.push_back(at);
    }
  }
  for (std::size_t at : positions) {
    EXPECT_EQ(parse_in_pieces(stream, {at}, config), whole) << "split at byte " << at;
  }
  return whole;
}

}  // namespace citadel::net::websocket::testing
