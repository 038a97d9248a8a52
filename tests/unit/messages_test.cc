// Application messages: every cmd has a schema table, JSON round-trips, and
// no payload reaches a handler unverified (garbage, truncation, misalignment).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/auth_generated.h"
#include "protocol/commands.h"
#include "protocol/json_codec.h"
#include "protocol/verified_payload.h"
#include "protocol/wire.h"

namespace citadel::protocol {
namespace {

TEST(Messages, EveryCommandHasATableTheCodecKnows) {
  JsonCodec codec;
  for (const auto& type : message_types()) {
    std::vector<uint8_t> bytes;
    std::string error;
    EXPECT_TRUE(codec.to_binary(type.cmd, "{}", bytes, error)) << type.table << ": " << error;
    std::string json;  // and back: the codec can verify every table too
    EXPECT_TRUE(codec.to_json(type.cmd, bytes, json, error)) << type.table << ": " << error;
    EXPECT_GE(type.cmd, cmd::kFirstApplication);
    EXPECT_EQ(find_message_type(type.cmd), &type);
    EXPECT_EQ(find_message_type(type.table), &type);
  }
}

TEST(Messages, JsonRoundTripsThroughTheBinaryForm) {
  JsonCodec codec;
  std::vector<uint8_t> bytes;
  std::string error;
  ASSERT_TRUE(codec.to_binary(cmd::kGuestLogin, R"({"request_id": 7, "device_id": "dev-123"})",
                              bytes, error))
      << error;
  const auto* login = verified_root<msg::GuestLogin>(bytes);
  ASSERT_NE(login, nullptr);
  EXPECT_EQ(login->request_id(), 7u);
  EXPECT_EQ(login->device_id()->str(), "dev-123");
  std::string json;
  ASSERT_TRUE(codec.to_json(cmd::kGuestLogin, bytes, json, error)) << error;
  EXPECT_NE(json.find("\"device_id\": \"dev-123\""), std::string::npos) << json;
}

TEST(Messages, BadJsonIsRefusedWithTheParsersReason) {
  JsonCodec codec;
  std::vector<uint8_t> bytes;
  std::string error;
  EXPECT_FALSE(codec.to_binary(cmd::kGuestLogin, R"({"no_such_field": 1})", bytes, error));
  EXPECT_NE(error.find("no_such_field"), std::string::npos) << error;
  EXPECT_FALSE(codec.to_binary(0x7777, "{}", bytes, error));
}

TEST(Messages, GarbageAndTruncatedPayloadsFailVerification) {
  JsonCodec codec;
  std::vector<uint8_t> bytes;
  std::string error;
  ASSERT_TRUE(codec.to_binary(cmd::kLogin, R"({"username": "alice", "password": "secret-pw"})",
                              bytes, error));
  // Cutting only trailing alignment padding leaves a valid buffer; any other
  // cut must be refused. Either way nothing is read from outside the bytes.
  int refused = 0;
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    const std::span<const uint8_t> truncated(bytes.data(), cut);
    if (const auto* login = verified_root<msg::Login>(truncated)) {
      EXPECT_EQ(login->username()->str(), "alice") << "cut at " << cut;
      EXPECT_EQ(login->password()->str(), "secret-pw") << "cut at " << cut;
    } else {
      ++refused;
    }
  }
  EXPECT_GE(refused, static_cast<int>(bytes.size()) - 4);
  const std::vector<uint8_t> garbage = {0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(verified_root<msg::Login>(garbage), nullptr);
  std::string json;
  EXPECT_FALSE(codec.to_json(cmd::kLogin, garbage, json, error));
  EXPECT_NE(error.find("verification"), std::string::npos);
}

TEST(Messages, MisalignedPayloadIsStillReadCorrectly) {
  // Frames sit at any offset in a read buffer.
  JsonCodec codec;
  std::vector<uint8_t> bytes;
  std::string error;
  ASSERT_TRUE(codec.to_binary(cmd::kResume, R"({"token": "t", "last_push_id": 123456789012})",
                              bytes, error));
  std::vector<uint8_t> shifted(bytes.size() + 3);
  std::copy(bytes.begin(), bytes.end(), shifted.begin() + 3);
  const auto* resume =
      verified_root<msg::Resume>(std::span<const uint8_t>(shifted.data() + 3, bytes.size()));
  ASSERT_NE(resume, nullptr);
  EXPECT_EQ(resume->last_push_id(), 123456789012u);
}

}  // namespace
}  // namespace citadel::protocol
