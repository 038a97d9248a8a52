// FrameReader: cutting a byte stream into frames however the stream is split,
// and rejecting bad headers as early as the bytes allow, before any payload
// memory is committed.
#include "protocol/frame_reader.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace citadel::protocol {
namespace {

using Bytes = std::vector<uint8_t>;

struct Frame {
  uint16_t cmd;
  Bytes payload;
  bool operator==(const Frame&) const = default;
};

void PrintTo(const Frame& f, std::ostream* os) {
  *os << "{cmd=" << f.cmd << ", " << f.payload.size() << " bytes}";
}

Bytes frame_bytes(uint16_t cmd, const Bytes& payload) {
  Bytes out;
  append_frame(out, cmd, payload);
  return out;
}

Bytes payload_of(std::size_t n, uint8_t seed = 0) {
  Bytes p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(seed + i * 31 + (i >> 8));
  return p;
}

// Feeds `bytes` in pieces and collects every frame; stops at the first error.
struct Decoded {
  std::vector<Frame> frames;
  DecodeError error = DecodeError::kNone;
};

Decoded feed_all(FrameReader& reader, const Bytes& bytes, const std::vector<std::size_t>& cuts) {
  Decoded d;
  std::size_t at = 0;
  auto feed_piece = [&](std::size_t end) {
    auto r =
        reader.feed(std::span<const uint8_t>(bytes.data() + at, end - at), [&](const FrameView& f) {
          d.frames.push_back({f.cmd, Bytes(f.payload.begin(), f.payload.end())});
          return true;
        });
    at = end;
    return r;
  };
  for (std::size_t cut : cuts) {
    auto r = feed_piece(cut);
    if (r.error != DecodeError::kNone) {
      d.error = r.error;
      return d;
    }
  }
  d.error = feed_piece(bytes.size()).error;
  return d;
}

// A stream of three frames of different shapes, used by the split tests.
struct Stream {
  Bytes bytes;
  std::vector<Frame> frames;
};

Stream three_frame_stream() {
  Stream s;
  s.frames = {{cmd::kPing, payload_of(5, 1)}, {cmd::kEcho, {}}, {0x0100, payload_of(300, 7)}};
  for (const auto& f : s.frames) {
    auto b = frame_bytes(f.cmd, f.payload);
    s.bytes.insert(s.bytes.end(), b.begin(), b.end());
  }
  return s;
}

TEST(FrameReader, DeliversOneWholeFrame) {
  FrameReader reader;
  const Bytes payload{'a', 'b', 'c'};
  auto d = feed_all(reader, frame_bytes(cmd::kEcho, payload), {});
  EXPECT_EQ(d.error, DecodeError::kNone);
  ASSERT_EQ(d.frames.size(), 1u);
  EXPECT_EQ(d.frames[0], (Frame{cmd::kEcho, payload}));
  EXPECT_EQ(reader.buffered_bytes(), 0u);
}

TEST(FrameReader, WholeFramesAreViewsIntoTheCallersBuffer) {
  FrameReader reader;
  const Bytes bytes = frame_bytes(cmd::kEcho, payload_of(100));
  bool inside = false;
  reader.feed(bytes, [&](const FrameView& f) {
    inside = f.payload.data() == bytes.data() + kHeaderBytes;
    return true;
  });
  EXPECT_TRUE(inside) << "a whole frame should not be copied";
}

TEST(FrameReader, DeliversManyFramesFromOneFeedInOrder) {
  FrameReader reader;
  Bytes bytes;
  std::vector<Frame> expected;
  for (uint16_t i = 0; i < 500; ++i) {
    Frame f{static_cast<uint16_t>(0x0100 + i), payload_of(i % 17, static_cast<uint8_t>(i))};
    auto b = frame_bytes(f.cmd, f.payload);
    bytes.insert(bytes.end(), b.begin(), b.end());
    expected.push_back(std::move(f));
  }
  auto d = feed_all(reader, bytes, {});
  EXPECT_EQ(d.error, DecodeError::kNone);
  EXPECT_EQ(d.frames, expected);
  EXPECT_EQ(reader.buffered_bytes(), 0u);
}

TEST(FrameReader, ReassemblesStreamSplitAtEveryByteOffset) {
  const Stream s = three_frame_stream();
  for (std::size_t cut = 0; cut <= s.bytes.size(); ++cut) {
    FrameReader reader;
    auto d = feed_all(reader, s.bytes, {cut});
    EXPECT_EQ(d.error, DecodeError::kNone) << "cut at " << cut;
    EXPECT_EQ(d.frames, s.frames) << "cut at " << cut;
    EXPECT_EQ(reader.buffered_bytes(), 0u) << "cut at " << cut;
  }
}

TEST(FrameReader, ReassemblesStreamSplitAtEveryPairOfOffsets) {
  // Two cuts cover a frame whose header and payload arrive in three pieces.
  const Stream s = three_frame_stream();
  const std::size_t n = 2 * kHeaderBytes + 5 + kHeaderBytes;  // through the third header
  for (std::size_t a = 0; a <= n; ++a) {
    for (std::size_t b = a; b <= n; ++b) {
      FrameReader reader;
      auto d = feed_all(reader, s.bytes, {a, b});
      ASSERT_EQ(d.frames, s.frames) << "cuts at " << a << ", " << b;
    }
  }
}

TEST(FrameReader, ReassemblesStreamFedOneByteAtATime) {
  const Stream s = three_frame_stream();
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < s.bytes.size(); ++i) cuts.push_back(i);
  FrameReader reader;
  auto d = feed_all(reader, s.bytes, cuts);
  EXPECT_EQ(d.error, DecodeError::kNone);
  EXPECT_EQ(d.frames, s.frames);
}

TEST(FrameReader, HeaderDribbledByteByByteThenPayloadInOnePiece) {
  const Bytes payload = payload_of(40);
  const Bytes bytes = frame_bytes(cmd::kEcho, payload);
  FrameReader reader;
  std::vector<Frame> got;
  auto on_frame = [&](const FrameView& f) {
    got.push_back({f.cmd, Bytes(f.payload.begin(), f.payload.end())});
    return true;
  };
  for (std::size_t i = 0; i < kHeaderBytes; ++i) {
    auto r = reader.feed(std::span<const uint8_t>(&bytes[i], 1), on_frame);
    ASSERT_EQ(r.error, DecodeError::kNone) << "after header byte " << i;
    EXPECT_EQ(reader.buffered_bytes(), i + 1);
    EXPECT_TRUE(got.empty());
  }
  reader.feed(std::span<const uint8_t>(bytes).subspan(kHeaderBytes), on_frame);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], (Frame{cmd::kEcho, payload}));
  EXPECT_EQ(reader.buffered_bytes(), 0u);
}

TEST(FrameReader, IncompleteTailIsBufferedUntilCompleted) {
  const Bytes bytes = frame_bytes(cmd::kEcho, payload_of(20));
  FrameReader reader;
  int frames = 0;
  auto count = [&](const FrameView&) {
    ++frames;
    return true;
  };
  reader.feed(std::span<const uint8_t>(bytes).first(13), count);
  EXPECT_EQ(frames, 0);
  EXPECT_EQ(reader.buffered_bytes(), 13u);
  reader.feed(std::span<const uint8_t>(bytes).subspan(13), count);
  EXPECT_EQ(frames, 1);
  EXPECT_EQ(reader.buffered_bytes(), 0u);
}

TEST(FrameReader, ZeroLengthPayloadIsAFrameEverywhere) {
  // Alone, between frames, last in a feed, and completed by a later feed.
  const Bytes empty = frame_bytes(cmd::kPing, {});
  ASSERT_EQ(empty.size(), kHeaderBytes);
  Bytes bytes = empty;
  auto mid = frame_bytes(cmd::kEcho, {1, 2});
  bytes.insert(bytes.end(), mid.begin(), mid.end());
  bytes.insert(bytes.end(), empty.begin(), empty.end());
  const std::vector<Frame> expected{{cmd::kPing, {}}, {cmd::kEcho, {1, 2}}, {cmd::kPing, {}}};

  FrameReader whole;
  EXPECT_EQ(feed_all(whole, bytes, {}).frames, expected);
  FrameReader split_in_last_header;
  EXPECT_EQ(feed_all(split_in_last_header, bytes, {bytes.size() - 3}).frames, expected);
}

TEST(FrameReader, MaxSizePayloadIsAccepted) {
  const Bytes payload = payload_of(kDefaultMaxPayloadBytes);
  const Bytes bytes = frame_bytes(cmd::kEcho, payload);
  FrameReader one_feed;
  auto d = feed_all(one_feed, bytes, {});
  EXPECT_EQ(d.error, DecodeError::kNone);
  ASSERT_EQ(d.frames.size(), 1u);
  EXPECT_EQ(d.frames[0].payload, payload);

  FrameReader split;  // header, then the payload in three pieces
  d = feed_all(split, bytes, {kHeaderBytes, 1000, 40000});
  EXPECT_EQ(d.error, DecodeError::kNone);
  ASSERT_EQ(d.frames.size(), 1u);
  EXPECT_EQ(d.frames[0].payload, payload);
}

TEST(FrameReader, ConfiguredMaxIsTheLimitNotTheDefault) {
  FrameReader reader(1024);
  EXPECT_EQ(reader.max_payload_bytes(), 1024u);
  auto ok = feed_all(reader, frame_bytes(cmd::kEcho, payload_of(1024)), {});
  EXPECT_EQ(ok.error, DecodeError::kNone);
  EXPECT_EQ(ok.frames.size(), 1u);
  FrameReader reader2(1024);
  EXPECT_EQ(feed_all(reader2, frame_bytes(cmd::kEcho, payload_of(1025)), {}).error,
            DecodeError::kFrameTooLarge);
}

TEST(FrameReader, MaxPlusOneRejectedFromHeaderAloneBeforeBufferingPayload) {
  // Only the header is sent: the reader must not wait for (or reserve) the payload.
  uint8_t header[kHeaderBytes];
  write_header(header, cmd::kEcho, kDefaultMaxPayloadBytes + 1);
  FrameReader reader;
  bool called = false;
  auto r = reader.feed(header, [&](const FrameView&) {
    called = true;
    return true;
  });
  EXPECT_EQ(r.error, DecodeError::kFrameTooLarge);
  EXPECT_FALSE(called);
  EXPECT_LT(reader.capacity_bytes(), std::size_t{kDefaultMaxPayloadBytes});
}

TEST(FrameReader, MaxPlusOneRejectedWhenHeaderDribbledBeforeBufferingPayload) {
  uint8_t header[kHeaderBytes];
  write_header(header, cmd::kEcho, kDefaultMaxPayloadBytes + 1);
  FrameReader reader;
  auto never = [](const FrameView&) {
    ADD_FAILURE() << "no frame expected";
    return true;
  };
  for (std::size_t i = 0; i + 1 < kHeaderBytes; ++i) {
    ASSERT_EQ(reader.feed(std::span<const uint8_t>(&header[i], 1), never).error,
              DecodeError::kNone);
  }
  EXPECT_EQ(reader.feed(std::span<const uint8_t>(&header[kHeaderBytes - 1], 1), never).error,
            DecodeError::kFrameTooLarge);
  EXPECT_LE(reader.buffered_bytes(), kHeaderBytes);
  EXPECT_LT(reader.capacity_bytes(), std::size_t{kDefaultMaxPayloadBytes});
}

TEST(FrameReader, FourGiBDeclaredLengthCostsNothing) {
  Bytes bytes(kHeaderBytes + 100, 0x55);
  write_header(bytes.data(), cmd::kEcho, 0xffffffffu);
  FrameReader reader;
  auto d = feed_all(reader, bytes, {});
  EXPECT_EQ(d.error, DecodeError::kFrameTooLarge);
  EXPECT_LT(reader.capacity_bytes(), 4096u);
}

TEST(FrameReader, FramesBeforeAnOversizedOneAreDelivered) {
  Bytes bytes = frame_bytes(cmd::kPing, {9});
  Bytes big(kHeaderBytes);
  write_header(big.data(), cmd::kEcho, 2000);
  bytes.insert(bytes.end(), big.begin(), big.end());
  FrameReader reader(1000);
  auto d = feed_all(reader, bytes, {});
  EXPECT_EQ(d.error, DecodeError::kFrameTooLarge);
  EXPECT_EQ(d.frames, (std::vector<Frame>{{cmd::kPing, {9}}}));
}

TEST(FrameReader, BadMagicDetectedAfterTwoBytesInOneFeed) {
  const uint8_t two[] = {'X', 'Y'};
  FrameReader reader;
  EXPECT_EQ(reader.feed(two, [](const FrameView&) { return true; }).error, DecodeError::kBadMagic);
}

TEST(FrameReader, BadMagicDetectedOnTheSecondDribbledByte) {
  FrameReader reader;
  auto never = [](const FrameView&) {
    ADD_FAILURE() << "no frame expected";
    return true;
  };
  const uint8_t first = 'C';  // right first byte, wrong second
  const uint8_t second = 'X';
  EXPECT_EQ(reader.feed(std::span<const uint8_t>(&first, 1), never).error, DecodeError::kNone);
  EXPECT_EQ(reader.feed(std::span<const uint8_t>(&second, 1), never).error, DecodeError::kBadMagic);
}

TEST(FrameReader, SingleByteIsNotEnoughToJudgeMagic) {
  const uint8_t one = 'Z';
  FrameReader reader;
  EXPECT_EQ(
      reader.feed(std::span<const uint8_t>(&one, 1), [](const FrameView&) { return true; }).error,
      DecodeError::kNone);
}

TEST(FrameReader, BadMagicAfterValidFramesInSameFeedDeliversTheValidOnes) {
  Bytes bytes = frame_bytes(cmd::kPing, {1});
  auto second = frame_bytes(cmd::kEcho, {2});
  bytes.insert(bytes.end(), second.begin(), second.end());
  bytes.push_back('G');
  bytes.push_back('E');  // "GET / HTTP/1.1" is the classic wrong-protocol client
  FrameReader reader;
  auto d = feed_all(reader, bytes, {});
  EXPECT_EQ(d.error, DecodeError::kBadMagic);
  EXPECT_EQ(d.frames, (std::vector<Frame>{{cmd::kPing, {1}}, {cmd::kEcho, {2}}}));
}

TEST(FrameReader, BadMagicInTheMiddleOfASplitStream) {
  Bytes bytes = frame_bytes(cmd::kPing, {1});
  bytes.push_back(0x00);
  bytes.push_back(0x00);
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    FrameReader reader;
    auto d = feed_all(reader, bytes, {cut});
    EXPECT_EQ(d.error, DecodeError::kBadMagic) << "cut at " << cut;
    EXPECT_EQ(d.frames.size(), 1u) << "cut at " << cut;
  }
}

TEST(FrameReader, CallbackReturningFalseStopsDecoding) {
  const Stream s = three_frame_stream();
  FrameReader reader;
  int calls = 0;
  auto r = reader.feed(s.bytes, [&](const FrameView&) { return ++calls < 2; });
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.error, DecodeError::kNone);
  EXPECT_EQ(calls, 2);
}

TEST(FrameReader, CallbackReturningFalseStopsWhileCompletingASplitFrame) {
  // The first frame is completed from the buffered tail; stopping there must
  // not deliver the whole frames that follow in the same feed.
  const Stream s = three_frame_stream();
  FrameReader reader;
  int calls = 0;
  auto stop_at_first = [&](const FrameView&) {
    ++calls;
    return false;
  };
  auto r1 = reader.feed(std::span<const uint8_t>(s.bytes).first(4), stop_at_first);
  EXPECT_FALSE(r1.stopped);
  auto r2 = reader.feed(std::span<const uint8_t>(s.bytes).subspan(4), stop_at_first);
  EXPECT_TRUE(r2.stopped);
  EXPECT_EQ(calls, 1);
}

TEST(FrameReader, CapacityReleasedAfterABigSplitFrame) {
  // One 64 KiB frame that had to be buffered must not pin 64 KiB on a
  // connection that then goes quiet.
  const Bytes bytes = frame_bytes(cmd::kEcho, payload_of(kDefaultMaxPayloadBytes));
  FrameReader reader;
  auto d = feed_all(reader, bytes, {100});
  ASSERT_EQ(d.frames.size(), 1u);
  EXPECT_EQ(reader.buffered_bytes(), 0u);
  EXPECT_LE(reader.capacity_bytes(), 512u);

  // And the reader still works afterwards.
  d = feed_all(reader, frame_bytes(cmd::kPing, {1, 2, 3}), {5});
  EXPECT_EQ(d.frames, (std::vector<Frame>{{cmd::kPing, {1, 2, 3}}}));
}

TEST(FrameReader, SmallSplitFramesDoNotGrowCapacity) {
  FrameReader reader;
  const Bytes bytes = frame_bytes(cmd::kEcho, payload_of(50));
  for (int i = 0; i < 100; ++i) {
    auto d = feed_all(reader, bytes, {3, 20});
    ASSERT_EQ(d.frames.size(), 1u);
  }
  EXPECT_LE(reader.capacity_bytes(), 512u);
}

TEST(FrameReader, EmptyFeedIsHarmless) {
  FrameReader reader;
  auto r = reader.feed({}, [](const FrameView&) {
    ADD_FAILURE();
    return true;
  });
  EXPECT_EQ(r.error, DecodeError::kNone);
  EXPECT_FALSE(r.stopped);
  const Bytes bytes = frame_bytes(cmd::kPing, {});
  reader.feed(std::span<const uint8_t>(bytes).first(3), [](const FrameView&) { return true; });
  r = reader.feed({}, [](const FrameView&) {
    ADD_FAILURE();
    return true;
  });
  EXPECT_EQ(r.error, DecodeError::kNone);
  EXPECT_EQ(reader.buffered_bytes(), 3u);
}

}  // namespace
}  // namespace citadel::protocol
