// citadel-cli's input parsing and JSON output, without a server.
#include <gtest/gtest.h>

#include "command_line.h"
#include "ops/json_escape.h"
#include "output.h"

namespace citadel::cli {
namespace {

TEST(CliParse, SplitsCommandAndRest) {
  const CommandLine c = split_command("  PING   hello there \r");
  EXPECT_EQ(c.name, "ping");
  EXPECT_EQ(c.rest, "hello there");
  EXPECT_TRUE(split_command("   ").name.empty());
  EXPECT_TRUE(split_command("# a comment in a script").name.empty());
  EXPECT_EQ(split_command("quit").rest, "");
}

TEST(CliParse, HostPort) {
  const auto a = parse_host_port("127.0.0.1:7777");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 7777);
  const auto b = parse_host_port("[::1]:80");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(parse_host_port("localhost:65535")->port, 65535);
  EXPECT_FALSE(parse_host_port("127.0.0.1"));
  EXPECT_FALSE(parse_host_port("127.0.0.1:0"));
  EXPECT_FALSE(parse_host_port("127.0.0.1:65536"));
  EXPECT_FALSE(parse_host_port("127.0.0.1:77x"));
  EXPECT_FALSE(parse_host_port(":7777"));
}

TEST(CliParse, CmdInHexOrDecimal) {
  EXPECT_EQ(parse_cmd("0x0100"), 0x0100);
  EXPECT_EQ(parse_cmd("0X00ff"), 0x00FF);
  EXPECT_EQ(parse_cmd("256"), 256);
  EXPECT_EQ(parse_cmd("65535"), 65535);
  EXPECT_FALSE(parse_cmd("65536"));
  EXPECT_FALSE(parse_cmd("0x"));
  EXPECT_FALSE(parse_cmd("0x1g"));
  EXPECT_FALSE(parse_cmd("-1"));
  EXPECT_FALSE(parse_cmd(""));
}

TEST(CliParse, HexPayloads) {
  EXPECT_EQ(parse_hex("deadBEEF"), (std::vector<uint8_t>{0xde, 0xad, 0xbe, 0xef}));
  EXPECT_EQ(parse_hex("de ad  be ef"), (std::vector<uint8_t>{0xde, 0xad, 0xbe, 0xef}));
  EXPECT_EQ(parse_hex(""), std::vector<uint8_t>{});
  EXPECT_FALSE(parse_hex("abc"));   // odd digit count
  EXPECT_FALSE(parse_hex("a bc"));  // a byte split by a space
  EXPECT_FALSE(parse_hex("zz"));
  EXPECT_EQ(to_hex(std::vector<uint8_t>{0x00, 0x7f, 0xff}), "007fff");
}

TEST(CliParse, ReplyCmdForKnownRequests) {
  EXPECT_EQ(reply_cmd_for(0x0001), 0x0002);
  EXPECT_EQ(reply_cmd_for(0x0003), 0x0003);
  EXPECT_EQ(reply_cmd_for(0x0100), 0x0104);
  EXPECT_EQ(reply_cmd_for(0x0203), 0x0207);
  EXPECT_FALSE(reply_cmd_for(0x7777));
}

TEST(CliOutput, JsonLinesAreEscapedAndValidUtf8) {
  JsonLine line("error");
  line.num("code", 3).str("text", "say \"hi\"\\\n\x01").boolean("ok", false);
  EXPECT_EQ(line.text(), R"({"event":"error","code":3,"text":"say \"hi\"\\\n\u0001","ok":false})");
  std::string out;
  ops::append_json_quoted(out, "caf\xc3\xa9 \xff");
  EXPECT_EQ(out, "\"caf\xc3\xa9 \\ufffd\"");
  out.clear();
  ops::append_json_quoted(out, "\xed\xa0\x80");  // an encoded surrogate is not valid UTF-8
  EXPECT_EQ(out, "\"\\ufffd\\ufffd\\ufffd\"");
}

}  // namespace
}  // namespace citadel::cli
