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
  ASSERT_TRUE(b.client.send_frame(example::kAdd, add(99)));  // out of range: ignored
  EXPECT_EQ(read_total(a.client), 5);
  EXPECT_EQ(read_total(b.client), 5);
}

}  // namespace
}  // namespace citadel
