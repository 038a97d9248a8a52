// The docs' example room type, registered like a game would and played over
// real sockets.
#include "example/counter_room.h"

#include "room_fixture.h"

namespace citadel {
namespace {

using R = msg::RoomResult;

test::Bytes add(int32_t amount) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(example::CreateAdd(fbb, amount));
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

class ExampleRoomTest : public RoomTest {
 protected:
  static int64_t read_total(test::TestClient& c) {
    const auto frame = read_until(c, example::kTotal);
    const auto* total = protocol::verified_root<example::Total>(frame.payload);
    return total ? total->value() : -1;
  }
};

TEST_F(ExampleRoomTest, PlayersAddToOneTotalAndEveryoneSeesIt) {
  extra_room_types_.push_back(example::counter_room_type());
  start();
  Player a = login("counter-a"), b = login("counter-b");
  ASSERT_EQ(request(a, cmd::kRoomJoin, join_msg("counter")).result, R::Ok);
  EXPECT_EQ(read_total(a.client), 0);  // the snapshot on joining
  ASSERT_EQ(request(b, cmd::kRoomJoin, join_msg("counter")).result, R::Ok);
  EXPECT_EQ(read_total(b.client), 0);
  ASSERT_TRUE(a.client.send_frame(example::kAdd, add(5)));
  ASSERT_TRUE(b.client.send_frame(example::kAdd, add(99)));  // out of range: ERROR 8
  EXPECT_EQ(read_total(a.client), 5);
  // b gets its ERROR and the total of 5, in either order (the tick and
  // b's input are independent).
  bool refused = false;
  int64_t total = -1;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while ((!refused || total != 5) && std::chrono::steady_clock::now() < deadline) {
    const auto r = b.client.read_frame(5s);
    ASSERT_EQ(r.status, test::ReadStatus::kFrame) << r.describe();
    if (r.frame.cmd == protocol::cmd::kError) {
      EXPECT_EQ(r.frame.error_code(), static_cast<uint16_t>(protocol::ErrorCode::kBadPayload));
      EXPECT_NE(r.frame.error_text().find("amount: 1 to 10"), std::string::npos)
          << r.frame.error_text();
      refused = true;
    } else if (r.frame.cmd == example::kTotal) {
      const auto* t = protocol::verified_root<example::Total>(r.frame.payload);
      ASSERT_NE(t, nullptr);
      total = t->value();
    }
  }
  EXPECT_TRUE(refused);
  EXPECT_EQ(total, 5);
}

}  // namespace
}  // namespace citadel
