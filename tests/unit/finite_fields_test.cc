// protocol::first_non_finite_field: every float and double in a verified
// message, at any depth, is checked; tables without floats are not walked.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "protocol/arena_generated.h"
#include "protocol/auth_generated.h"
#include "protocol/finite_fields.h"
#include "protocol/lockstep_generated.h"

namespace citadel::protocol {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<uint8_t> arena_input(float dx, float dy) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(msg::CreateArenaInput(fbb, 1, dx, dy));
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

TEST(FiniteFields, FindsNaNAndInfinitiesInTopLevelFieldsByName) {
  EXPECT_EQ(first_non_finite_field<msg::ArenaInput>(arena_input(0.5f, -1)), "");
  EXPECT_EQ(first_non_finite_field<msg::ArenaInput>(arena_input(kNaN, 0)), "dx");
  EXPECT_EQ(first_non_finite_field<msg::ArenaInput>(arena_input(0, -kInf)), "dy");
  EXPECT_EQ(first_non_finite_field<msg::ArenaInput>(arena_input(kInf, kNaN)), "dx");  // the first
  // Extremes that are finite pass.
  EXPECT_EQ(first_non_finite_field<msg::ArenaInput>(arena_input(
                std::numeric_limits<float>::max(), std::numeric_limits<float>::denorm_min())),
            "");
}

TEST(FiniteFields, FindsThemInsideStructsInVectorsWithThePath) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<msg::ArenaPlayer> players{{1, 10, 20, 0}, {2, 30, kNaN, 0}};
  fbb.Finish(msg::CreateArenaState(fbb, 7, true, fbb.CreateVectorOfStructs(players)));
  const std::span<const uint8_t> bytes(fbb.GetBufferPointer(), fbb.GetSize());
  EXPECT_EQ(first_non_finite_field<msg::ArenaState>(bytes), "players[1].y");
}

TEST(FiniteFields, KnowsWhichTablesHoldFloatsAnywhere) {
  EXPECT_TRUE(has_float_fields(msg::ArenaInput::MiniReflectTypeTable()));
  EXPECT_TRUE(has_float_fields(msg::ArenaState::MiniReflectTypeTable()));  // via ArenaPlayer
  EXPECT_FALSE(has_float_fields(msg::LockstepFrame::MiniReflectTypeTable()));
  EXPECT_FALSE(has_float_fields(msg::GuestLogin::MiniReflectTypeTable()));
}

}  // namespace
}  // namespace citadel::protocol
