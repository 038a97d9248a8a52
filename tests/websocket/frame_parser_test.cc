// FrameParser, organised by the Autobahn testsuite's server case groups
// (https://github.com/crossbario/autobahn-testsuite, "fuzzingclient"): what
// each group sends, and what a server that speaks binary only must do.
// parse_every_way() feeds each stream at once, byte by byte and split at
// every position, and checks that all give the same events.
#include <gtest/gtest.h>

#include "client_frames.h"
#include "net/websocket/frame_parser.h"

namespace citadel::net::websocket::testing {
namespace {

using Events = std::vector<Recorded>;
constexpr uint16_t kProtocolError = close_code::kProtocolError;

// --- 1. Framing ----------------------------------------------------------------

class BinaryLength : public ::testing::TestWithParam<std::size_t> {};

// Autobahn 1.2.1-1.2.8: binary messages of each length-encoding boundary.
TEST_P(BinaryLength, DeliveredWholeAtOnceAndByteByByte) {
  const Bytes payload = repeated(GetParam(), 0x10);
  const Bytes stream = binary(payload);
  EXPECT_EQ(parse(stream), Events{message(payload)});
  EXPECT_EQ(parse(stream, 1), Events{message(payload)});
  EXPECT_EQ(parse(stream, 997), Events{message(payload)});  // 1.2.8's chop size
}

INSTANTIATE_TEST_SUITE_P(Framing, BinaryLength,
                         ::testing::Values(0, 1, 125, 126, 127, 128, 65535, 65536));

class TextLength : public ::testing::TestWithParam<std::size_t> {};

// Autobahn 1.1.1-1.1.8 send text; Citadel speaks binary only, so each is
// answered with close 1003 as soon as its header is in, payload unread.
TEST_P(TextLength, RefusedWith1003) {
  const std::string payload(GetParam(), '*');
  const Bytes stream = text(payload);
  EXPECT_EQ(parse(stream), Events{fail_event(close_code::kUnsupportedData)});
  EXPECT_EQ(parse(stream, 1), Events{fail_event(close_code::kUnsupportedData)});
}

INSTANTIATE_TEST_SUITE_P(Framing, TextLength,
                         ::testing::Values(0, 125, 126, 127, 128, 65535, 65536));

TEST(Framing, TextRefusedFromItsHeaderAlone) {
  Bytes header = text(std::string(300, 'x'));
  header.resize(2 + 2 + 4);  // 16-bit length and mask key, no payload
  EXPECT_EQ(parse(header), Events{fail_event(close_code::kUnsupportedData)});
}

TEST(Framing, SplitAnywhereGivesTheSameMessages) {
  const Bytes stream = concat({binary(repeated(3)), binary({}), binary(repeated(200)),
                               ping(bytes_of("p")), binary(repeated(126, 9))});
  EXPECT_EQ(parse_every_way(stream),
            (Events{message(repeated(3)), message({}), message(repeated(200)),
                    ping_event(bytes_of("p")), message(repeated(126, 9))}));
}

TEST(Framing, LongerLengthEncodingsThanNeededAreAccepted) {
  const Bytes payload = repeated(5);
  const Bytes stream = concat({encode({.payload = payload, .length_bits = 16}),
                               encode({.payload = payload, .length_bits = 64})});
  EXPECT_EQ(parse_every_way(stream), (Events{message(payload), message(payload)}));
}

TEST(Framing, UnmaskedClientFrameFails1002) {
  EXPECT_EQ(parse_every_way(encode({.payload = repeated(4), .masked = false})),
            Events{fail_event(kProtocolError)});
}

TEST(Framing, SixtyFourBitLengthWithTopBitSetFails1002) {
  const Bytes stream =
      encode({.payload = {}, .length_bits = 64, .declared_length = uint64_t{1} << 63});
  EXPECT_EQ(parse_every_way(stream), Events{fail_event(kProtocolError)});
}

TEST(Framing, WholeFrameInTheChunkIsUnmaskedInPlaceAndNotCopied) {
  Bytes stream = concat({binary(repeated(1000)), binary(repeated(10))});
  FrameParser parser;
  Recorder recorder;
  recorder.fed_begin = stream.data();
  recorder.fed_end = stream.data() + stream.size();
  parser.feed(stream, recorder);
  ASSERT_EQ(recorder.events, (Events{message(repeated(1000)), message(repeated(10))}));
  EXPECT_EQ(recorder.delivered_in_place, (std::vector<bool>{true, true}));
  EXPECT_EQ(parser.capacity_bytes(), 0u) << "the message buffer was never used";
}

TEST(Framing, FrameSplitAcrossFeedsIsAssembledInTheParsersBuffer) {
  Bytes stream = binary(repeated(1000));
  FrameParser parser;
  Recorder recorder;
  recorder.fed_begin = stream.data();
  recorder.fed_end = stream.data() + stream.size();
  parser.feed(std::span<uint8_t>(stream).first(500), recorder);
  parser.feed(std::span<uint8_t>(stream).subspan(500), recorder);
  ASSERT_EQ(recorder.events, Events{message(repeated(1000))});
  EXPECT_EQ(recorder.delivered_in_place, std::vector<bool>{false});
}

TEST(Framing, MessageBufferIsReusedWithoutGrowingInTheSteadyState) {
  FrameParser parser;
  Recorder recorder;
  std::size_t capacity_after_first = 0;
  for (int round = 0; round < 50; ++round) {
    Bytes stream = concat({binary(repeated(300), false), continuation(repeated(300), true)});
    parser.feed(std::span<uint8_t>(stream).first(100), recorder);
    parser.feed(std::span<uint8_t>(stream).subspan(100), recorder);
    if (round == 0) capacity_after_first = parser.capacity_bytes();
    EXPECT_EQ(parser.capacity_bytes(), capacity_after_first) << "round " << round;
  }
  EXPECT_GT(capacity_after_first, 0u);
  EXPECT_EQ(recorder.events.size(), 50u);
}

TEST(Framing, BufferAboveTheRetainedSizeIsReleasedAfterItsMessage) {
  FrameParser parser({.max_message_bytes = 1 << 20, .retained_buffer_bytes = 4096});
  Recorder recorder;
  Bytes stream = binary(repeated(20000));
  parser.feed(std::span<uint8_t>(stream).first(10), recorder);
  EXPECT_GE(parser.capacity_bytes(), 20000u) << "reserved once for the whole frame";
  parser.feed(std::span<uint8_t>(stream).subspan(10), recorder);
  EXPECT_EQ(recorder.events, Events{message(repeated(20000))});
  EXPECT_EQ(parser.capacity_bytes(), 0u);
}

TEST(Framing, HandlerReturningFalseStopsTheParser) {
  Bytes stream = concat({binary(repeated(1)), binary(repeated(2)), binary(repeated(3))});
  FrameParser parser;
  Recorder recorder;
  recorder.stop_after = 0;
  EXPECT_EQ(parser.feed(stream, recorder), FrameParser::State::kStopped);
  EXPECT_EQ(recorder.events, Events{message(repeated(1))});
  Bytes more = binary(repeated(4));
  parser.feed(more, recorder);
  EXPECT_EQ(recorder.events.size(), 1u);
}

// --- 2. Pings and pongs ----------------------------------------------------------

TEST(PingPong, PingWithoutPayload) {  // 2.1
  EXPECT_EQ(parse_every_way(ping({})), Events{ping_event({})});
}

TEST(PingPong, PingWithTextAndBinaryPayloads) {  // 2.2, 2.3
  const Bytes binary_payload{0x00, 0xFF, 0xFE, 0xFD, 0xFC, 0xFB, 0x00, 0xFF};
  EXPECT_EQ(parse_every_way(concat({ping(bytes_of("Hello, world!")), ping(binary_payload)})),
            (Events{ping_event(bytes_of("Hello, world!")), ping_event(binary_payload)}));
}

TEST(PingPong, PingWith125BytesIsDelivered) {  // 2.4, 2.6 (byte by byte inside)
  EXPECT_EQ(parse_every_way(ping(repeated(125))), Events{ping_event(repeated(125))});
}

TEST(PingPong, PingWith126BytesFails1002) {  // 2.5
  EXPECT_EQ(parse_every_way(ping(repeated(126))), Events{fail_event(kProtocolError)});
}

TEST(PingPong, ControlLengthOver125InAnExtendedFieldFails1002) {
  // 2.5 with the length as a 16-bit field: refused from the first two bytes.
  EXPECT_EQ(parse(encode({.opcode = opcode::kPing, .payload = repeated(10), .length_bits = 16})),
            Events{fail_event(kProtocolError)});
}

TEST(PingPong, UnsolicitedPongsAreDelivered) {  // 2.7, 2.8, 2.9
  const Bytes stream = concat({pong({}), pong(bytes_of("unsolicited")), ping(bytes_of("x"))});
  EXPECT_EQ(parse_every_way(stream), (Events{pong_event({}), pong_event(bytes_of("unsolicited")),
                                             ping_event(bytes_of("x"))}));
}

TEST(PingPong, TenPingsInOrder) {  // 2.10, 2.11
  Bytes stream;
  Events expected;
  for (int i = 0; i < 10; ++i) {
    const Bytes payload = bytes_of("payload-" + std::to_string(i));
    stream = concat({stream, ping(payload)});
    expected.push_back(ping_event(payload));
  }
  EXPECT_EQ(parse_every_way(stream), expected);
}

// --- 3. Reserved bits ------------------------------------------------------------

class ReservedBits : public ::testing::TestWithParam<int> {};

// 3.1-3.7: any of RSV1-3 without a negotiated extension fails 1002; what came
// before is delivered, nothing after.
TEST_P(ReservedBits, Fail1002OnEveryOpcode) {
  const uint8_t rsv = static_cast<uint8_t>(GetParam());
  for (uint8_t op : {opcode::kText, opcode::kBinary, opcode::kPing, opcode::kClose}) {
    const Bytes stream =
        concat({binary(repeated(3)), encode({.opcode = op, .rsv = rsv}), ping(bytes_of("after"))});
    EXPECT_EQ(parse_every_way(stream), (Events{message(repeated(3)), fail_event(kProtocolError)}))
        << "rsv " << int(rsv) << " opcode " << int(op);
  }
}

INSTANTIATE_TEST_SUITE_P(ReservedBits, ReservedBits, ::testing::Range(1, 8));

TEST(ReservedBits, BeatTheTextRefusal) {
  // Framing is judged first: a text frame with RSV1 is a protocol error.
  EXPECT_EQ(parse(encode({.opcode = opcode::kText, .rsv = 4})), Events{fail_event(kProtocolError)});
}

// --- 4. Opcodes ------------------------------------------------------------------

class ReservedOpcode : public ::testing::TestWithParam<int> {};

// 4.1.1-4.1.5 (3-7, data) and 4.2.1-4.2.5 (0xB-0xF, control).
TEST_P(ReservedOpcode, Fail1002) {
  const auto op = static_cast<uint8_t>(GetParam());
  const Bytes stream =
      concat({binary(repeated(2)), encode({.opcode = op, .payload = repeated(4)}), ping({})});
  EXPECT_EQ(parse_every_way(stream), (Events{message(repeated(2)), fail_event(kProtocolError)}));
}

INSTANTIATE_TEST_SUITE_P(Opcodes, ReservedOpcode,
                         ::testing::Values(0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF));

// --- 5. Fragmentation ------------------------------------------------------------

TEST(Fragmentation, FragmentedPingAndPongFail1002) {  // 5.1, 5.2
  for (uint8_t op : {opcode::kPing, opcode::kPong}) {
    const Bytes stream = concat({encode({.opcode = op, .payload = bytes_of("frag"), .fin = false}),
                                 continuation(bytes_of("ment"), true)});
    EXPECT_EQ(parse_every_way(stream), Events{fail_event(kProtocolError)});
  }
}

TEST(Fragmentation, TwoFragmentsMakeOneMessage) {  // 5.3-5.5 (with binary)
  const Bytes stream =
      concat({binary(bytes_of("frag"), false), continuation(bytes_of("ment"), true)});
  EXPECT_EQ(parse_every_way(stream), Events{message(bytes_of("fragment"))});
}

TEST(Fragmentation, EmptyFragmentsAreFine) {
  const Bytes stream = concat({binary({}, false), continuation({}, false), continuation({}, true)});
  EXPECT_EQ(parse_every_way(stream), Events{message({})});
}

TEST(Fragmentation, ControlFramesBetweenFragmentsComeFirst) {  // 5.6-5.8, 5.19, 5.20
  const Bytes stream =
      concat({binary(bytes_of("fr"), false), continuation(bytes_of("ag"), false),
              ping(bytes_of("ping 1")), continuation(bytes_of("me"), false), pong(bytes_of("pong")),
              ping(bytes_of("ping 2")), continuation(bytes_of("nt"), true)});
  EXPECT_EQ(parse_every_way(stream),
            (Events{ping_event(bytes_of("ping 1")), pong_event(bytes_of("pong")),
                    ping_event(bytes_of("ping 2")), message(bytes_of("fragment"))}));
}

TEST(Fragmentation, CloseInsideAFragmentedMessageEndsIt) {  // 7.1.5
  const Bytes stream = concat(
      {binary(bytes_of("frag"), false), close_frame(1000), continuation(bytes_of("ment"), true)});
  EXPECT_EQ(parse_every_way(stream), Events{close_event(1000)});
}

TEST(Fragmentation, ContinuationWithNothingToContinueFails1002) {  // 5.9-5.14
  for (bool fin : {true, false}) {
    EXPECT_EQ(parse_every_way(continuation(bytes_of("x"), fin)),
              Events{fail_event(kProtocolError)});
  }
}

TEST(Fragmentation, ContinuationAfterAFinishedMessageFails1002) {  // 5.15-5.17
  const Bytes stream = concat({binary(bytes_of("a"), false), continuation(bytes_of("b"), true),
                               continuation(bytes_of("c"), false), binary(bytes_of("d"))});
  EXPECT_EQ(parse_every_way(stream), (Events{message(bytes_of("ab")), fail_event(kProtocolError)}));
}

TEST(Fragmentation, NewDataFrameBeforeTheMessageEndsFails1002) {  // 5.18
  const Bytes stream = concat({binary(bytes_of("a"), false), binary(bytes_of("b"))});
  EXPECT_EQ(parse_every_way(stream), Events{fail_event(kProtocolError)});
  // A text frame there breaks framing too: 1002, not 1003.
  EXPECT_EQ(parse(concat({binary(bytes_of("a"), false), text("b")})),
            Events{fail_event(kProtocolError)});
}

TEST(Fragmentation, FragmentedTextIsRefusedAtItsFirstFrame) {
  EXPECT_EQ(parse(concat({text("frag", false), continuation(bytes_of("ment"), true)})),
            Events{fail_event(close_code::kUnsupportedData)});
}

TEST(Fragmentation, ManySmallFragmentsAssembleInOrder) {  // 9.5/9.6-like, small
  Bytes stream;
  const Bytes payload = repeated(1000);
  for (std::size_t at = 0; at < payload.size(); at += 64) {
    const Bytes piece(payload.begin() + at, payload.begin() + std::min(at + 64, payload.size()));
    const bool first = at == 0, last = at + 64 >= payload.size();
    stream = concat({stream, first ? binary(piece, last) : continuation(piece, last)});
  }
  EXPECT_EQ(parse_every_way(stream), Events{message(payload)});
}

// --- 6. UTF-8 --------------------------------------------------------------------

// Text messages are refused whatever they hold (6.1-6.23 send valid and
// invalid UTF-8 text): 1003, never 1007, since Citadel does not read them.
TEST(Utf8, TextIsRefusedWith1003WhetherValidOrNot) {
  for (std::string_view payload :
       {std::string_view(""), std::string_view("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"),
        std::string_view("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64"),
        std::string_view("\xc0\xaf")}) {
    EXPECT_EQ(parse_every_way(text(payload)), Events{fail_event(close_code::kUnsupportedData)});
  }
}

// Close reasons must be UTF-8 (RFC 6455 section 5.5.1). The sequences are
// Autobahn's 6.x cases (from Markus Kuhn's UTF-8 decoder stress test).
struct Utf8Case {
  const char* name;
  std::string_view bytes;
  bool valid;
};

class CloseReasonUtf8 : public ::testing::TestWithParam<Utf8Case> {};

TEST_P(CloseReasonUtf8, ValidIsDeliveredInvalidFails1007) {
  const Utf8Case& c = GetParam();
  const Events expected{c.valid ? close_event(1000, c.bytes)
                                : fail_event(close_code::kInvalidPayload)};
  EXPECT_EQ(parse_every_way(close_frame(1000, c.bytes)), expected);
}

INSTANTIATE_TEST_SUITE_P(
    Utf8, CloseReasonUtf8,
    ::testing::Values(
        Utf8Case{"ascii", "normal closure", true},
        Utf8Case{"kosme", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", true},  // 6.2
        Utf8Case{"first_2_byte", "\xc2\x80", true},                               // 6.6.x
        Utf8Case{"first_3_byte", "\xe0\xa0\x80", true},
        Utf8Case{"first_4_byte", "\xf0\x90\x80\x80", true}, Utf8Case{"last_1_byte", "\x7f", true},
        Utf8Case{"last_2_byte", "\xdf\xbf", true}, Utf8Case{"last_3_byte", "\xef\xbf\xbf", true},
        Utf8Case{"max_code_point", "\xf4\x8f\xbf\xbf", true},
        Utf8Case{"above_max", "\xf4\x90\x80\x80", false},  // 6.7-6.8
        Utf8Case{"lone_continuation", "\x80", false},      // 6.9
        Utf8Case{"truncated_2", "\xc2", false},            // 6.12
        Utf8Case{"truncated_3", "\xe0\xa0", false}, Utf8Case{"truncated_4", "\xf0\x90\x80", false},
        Utf8Case{"five_byte_form", "\xf8\x88\x80\x80\x80", false},  // 6.3.x
        Utf8Case{"impossible_fe", "\xfe", false},                   // 6.17
        Utf8Case{"impossible_ff", "\xff", false},
        Utf8Case{"overlong_slash_2", "\xc0\xaf", false},  // 6.18
        Utf8Case{"overlong_slash_3", "\xe0\x80\xaf", false},
        Utf8Case{"overlong_slash_4", "\xf0\x80\x80\xaf", false},
        Utf8Case{"overlong_nul", "\xc0\x80", false},
        Utf8Case{"surrogate_high", "\xed\xa0\x80", false},  // 6.20
        Utf8Case{"surrogate_low", "\xed\xbf\xbf", false},
        Utf8Case{"surrogate_pair", "\xed\xa0\x80\xed\xb0\x80", false},  // 6.21
        Utf8Case{"noncharacter_fffe", "\xef\xbf\xbe", true},            // 6.22: valid UTF-8
        Utf8Case{"valid_then_invalid",
                 "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"
                 "edited",
                 false}),
    [](const ::testing::TestParamInfo<Utf8Case>& info) { return std::string(info.param.name); });

// --- 7. Close handling -----------------------------------------------------------

TEST(CloseHandling, NothingIsParsedAfterAClose) {  // 7.1.1-7.1.4
  const Bytes stream = concat({binary(bytes_of("hello")), close_frame(1000), close_frame(1001),
                               ping(bytes_of("late")), binary(bytes_of("late"))});
  EXPECT_EQ(parse_every_way(stream), (Events{message(bytes_of("hello")), close_event(1000)}));
}

TEST(CloseHandling, ClosedStateIsReported) {
  Bytes stream = close_frame(1000, "bye");
  FrameParser parser;
  Recorder recorder;
  EXPECT_EQ(parser.feed(stream, recorder), FrameParser::State::kClosed);
  EXPECT_EQ(parser.state(), FrameParser::State::kClosed);
}

TEST(CloseHandling, EmptyPayloadReports1005) {  // 7.3.1
  EXPECT_EQ(parse_every_way(close_frame_raw({})), Events{close_event(close_code::kNoStatus)});
}

TEST(CloseHandling, OneBytePayloadFails1002) {  // 7.3.2
  EXPECT_EQ(parse_every_way(close_frame_raw({0x03})), Events{fail_event(kProtocolError)});
}

TEST(CloseHandling, CodeAndReason) {  // 7.3.3, 7.3.4
  EXPECT_EQ(parse_every_way(close_frame(1000)), Events{close_event(1000)});
  EXPECT_EQ(parse_every_way(close_frame(1001, "going away")),
            Events{close_event(1001, "going away")});
}

TEST(CloseHandling, ReasonOf123BytesIsTheMost) {  // 7.3.5, 7.3.6
  const std::string longest(123, 'r');
  EXPECT_EQ(parse_every_way(close_frame(1000, longest)), Events{close_event(1000, longest)});
  EXPECT_EQ(parse_every_way(close_frame(1000, longest + "r")), Events{fail_event(kProtocolError)});
}

TEST(CloseHandling, InvalidUtf8ReasonFails1007) {  // 7.5.1
  EXPECT_EQ(parse_every_way(
                close_frame(1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80")),
            Events{fail_event(close_code::kInvalidPayload)});
}

class ValidCloseCode : public ::testing::TestWithParam<int> {};

TEST_P(ValidCloseCode, IsDelivered) {  // 7.7.x
  const auto code = static_cast<uint16_t>(GetParam());
  EXPECT_EQ(parse_every_way(close_frame(code, "ok")), Events{close_event(code, "ok")});
}

INSTANTIATE_TEST_SUITE_P(CloseHandling, ValidCloseCode,
                         ::testing::Values(1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011,
                                           1012, 1013, 1014, 3000, 3999, 4000, 4999));

class InvalidCloseCode : public ::testing::TestWithParam<int> {};

TEST_P(InvalidCloseCode, Fails1002) {  // 7.9.x and the other unassigned ranges
  const auto code = static_cast<uint16_t>(GetParam());
  EXPECT_EQ(parse_every_way(close_frame(code)), Events{fail_event(kProtocolError)});
}

INSTANTIATE_TEST_SUITE_P(CloseHandling, InvalidCloseCode,
                         ::testing::Values(0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999,
                                           5000, 65535));

TEST(CloseHandling, IsValidWireCloseCodeMatchesTheRanges) {
  int valid = 0;
  for (uint32_t code = 0; code <= 0xFFFF; ++code) {
    if (is_valid_wire_close_code(static_cast<uint16_t>(code))) ++valid;
  }
  EXPECT_EQ(valid, 4 + 8 + 2000);  // 1000-1003, 1007-1014, 3000-4999
}

// --- 9. Limits -------------------------------------------------------------------

constexpr std::size_t kCitadelLimit = protocol::kHeaderBytes + protocol::kDefaultMaxPayloadBytes;

TEST(Limits, DefaultIsOneCitadelFrame) {
  EXPECT_EQ(FrameParserConfig{}.max_message_bytes, 65544u);
}

TEST(Limits, MessageAtTheLimitIsDelivered) {  // 9.1/9.2 scaled to Citadel
  const Bytes payload = repeated(kCitadelLimit);
  EXPECT_EQ(parse(binary(payload)), Events{message(payload)});
  EXPECT_EQ(parse(binary(payload), 1), Events{message(payload)});
  EXPECT_EQ(parse(binary(payload), 4096), Events{message(payload)});
}

TEST(Limits, OneByteOverFails1009FromTheHeaderAlone) {
  Bytes header = binary(repeated(kCitadelLimit + 1));
  header.resize(2 + 8 + 4);
  EXPECT_EQ(parse(header), Events{fail_event(close_code::kMessageTooBig)});
}

TEST(Limits, HugeDeclaredLengthFails1009WithoutBuffering) {
  const Bytes stream = encode({.payload = {}, .declared_length = uint64_t{1} << 40});
  FrameParser parser;
  Recorder recorder;
  Bytes copy = stream;
  parser.feed(copy, recorder);
  EXPECT_EQ(recorder.events, Events{fail_event(close_code::kMessageTooBig)});
  EXPECT_EQ(parser.capacity_bytes(), 0u);
}

TEST(Limits, FragmentsAddUpToTheLimit) {
  const FrameParserConfig config{.max_message_bytes = 100};
  EXPECT_EQ(parse_every_way(concat({binary(repeated(60), false), continuation(repeated(40), true)}),
                            config),
            Events{message(concat({repeated(60), repeated(40)}))});
  EXPECT_EQ(parse_every_way(concat({binary(repeated(60), false), continuation(repeated(41), true)}),
                            config),
            Events{fail_event(close_code::kMessageTooBig)});
}

TEST(Limits, ControlFramesDoNotCountTowardsTheMessage) {
  const FrameParserConfig config{.max_message_bytes = 10};
  const Bytes stream =
      concat({binary(repeated(5), false), ping(repeated(100)), continuation(repeated(5), true)});
  EXPECT_EQ(parse_every_way(stream, config),
            (Events{ping_event(repeated(100)), message(concat({repeated(5), repeated(5)}))}));
}

class ChoppedMessage : public ::testing::TestWithParam<std::size_t> {};

// 9.3/9.4 send one message in frames of 64 bytes to 4 MiB; here the Citadel
// limit in fragments of each size, fed in reads of 4 KiB.
TEST_P(ChoppedMessage, AssemblesTheSameMessage) {
  const std::size_t fragment = GetParam();
  const Bytes payload = repeated(kCitadelLimit, 7);
  Bytes stream;
  for (std::size_t at = 0; at < payload.size(); at += fragment) {
    const std::size_t end = std::min(at + fragment, payload.size());
    const Bytes piece(payload.begin() + at, payload.begin() + end);
    const bool last = end == payload.size();
    const Bytes frame = at == 0 ? binary(piece, last) : continuation(piece, last);
    stream.insert(stream.end(), frame.begin(), frame.end());
  }
  EXPECT_EQ(parse(stream), Events{message(payload)});
  EXPECT_EQ(parse(stream, 4096), Events{message(payload)});
}

INSTANTIATE_TEST_SUITE_P(Limits, ChoppedMessage,
                         ::testing::Values(64, 256, 1024, 4096, 16384, 65536));

}  // namespace
}  // namespace citadel::net::websocket::testing
