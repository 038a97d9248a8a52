#include "client/leaderboard_messages.h"

#include <flatbuffers/flatbuffers.h>

#include "client/flatbuffers_io.h"
#include "protocol/leaderboard_generated.h"
#include "protocol/verified_payload.h"

namespace citadel::client {

namespace proto = citadel::protocol;
namespace msg = citadel::msg;

namespace {

using fb_io::copy;
using fb_io::finish;
using fb_io::string;

std::optional<std::string> copy_optional(const flatbuffers::String* s) {
  if (s == nullptr) return std::nullopt;
  return std::string(s->string_view());
}

flatbuffers::Offset<flatbuffers::String> optional_string(flatbuffers::FlatBufferBuilder& b,
                                                         const std::optional<std::string>& s) {
  return s ? string(b, *s) : flatbuffers::Offset<flatbuffers::String>();
}

msg::LeaderboardPeriod wire(LeaderboardPeriod p) {
  return static_cast<msg::LeaderboardPeriod>(p);
}

LeaderboardRecord record_of(const msg::LeaderboardRecord& r) {
  LeaderboardRecord out;
  out.rank = r.rank();
  out.user_id = r.user_id();
  out.username = copy(r.username());
  out.score = r.score();
  out.subscore = r.subscore();
  out.num_submissions = r.num_submissions();
  out.metadata = copy(r.metadata());
  out.create_unix_ms = r.create_unix_ms();
  out.update_unix_ms = r.update_unix_ms();
  return out;
}

}  // namespace

std::string_view leaderboard_result_name(uint16_t result) {
  if (result > static_cast<uint16_t>(msg::LeaderboardResult::MAX)) return {};
  return msg::EnumNameLeaderboardResult(static_cast<msg::LeaderboardResult>(result));
}

std::optional<LeaderboardReplyFields> decode_leaderboard_reply(std::span<const uint8_t> payload) {
  const msg::LeaderboardReply* r = proto::verified_root<msg::LeaderboardReply>(payload);
  if (r == nullptr) return std::nullopt;
  LeaderboardReplyFields f;
  f.request_id = r->request_id();
  f.result = static_cast<uint16_t>(r->result());
  f.message = copy(r->message());
  f.board_id = copy(r->board_id());
  if (const auto* records = r->records()) {
    f.records.reserve(records->size());
    for (const msg::LeaderboardRecord* rec : *records) {
      if (rec != nullptr) f.records.push_back(record_of(*rec));
    }
  }
  f.next_cursor = copy_optional(r->next_cursor());
  f.prev_cursor = copy_optional(r->prev_cursor());
  f.total = r->total();
  // A period this library does not know is reported as it came; the
  // numbers are protocol.
  f.period = static_cast<LeaderboardPeriod>(r->period());
  f.period_start_unix_ms = r->period_start_unix_ms();
  f.period_end_unix_ms = r->period_end_unix_ms();
  f.taken = r->taken();
  return f;
}

std::vector<uint8_t> encode_leaderboard_submit(uint32_t request_id,
                                               const LeaderboardSubmitRequest& request) {
  flatbuffers::FlatBufferBuilder b(128);
  const auto board = string(b, request.board_id);
  const auto metadata = optional_string(b, request.metadata);
  b.Finish(msg::CreateLeaderboardSubmit(b, request_id, board, request.score, request.subscore,
                                        metadata));
  return finish(b);
}

std::vector<uint8_t> encode_leaderboard_top(uint32_t request_id,
                                            const LeaderboardTopRequest& request) {
  flatbuffers::FlatBufferBuilder b(128);
  const auto board = string(b, request.board_id);
  const auto cursor = optional_string(b, request.cursor);
  b.Finish(
      msg::CreateLeaderboardTop(b, request_id, board, request.limit, cursor, wire(request.period)));
  return finish(b);
}

std::vector<uint8_t> encode_leaderboard_around(uint32_t request_id,
                                               const LeaderboardAroundRequest& request) {
  flatbuffers::FlatBufferBuilder b(64);
  const auto board = string(b, request.board_id);
  b.Finish(msg::CreateLeaderboardAround(b, request_id, board, request.limit, wire(request.period)));
  return finish(b);
}

std::vector<uint8_t> encode_leaderboard_records(uint32_t request_id,
                                                const LeaderboardRecordsRequest& request) {
  flatbuffers::FlatBufferBuilder b(64 + 8 * request.user_ids.size());
  const auto board = string(b, request.board_id);
  const auto ids = b.CreateVector(request.user_ids);
  b.Finish(msg::CreateLeaderboardRecords(b, request_id, board, ids, wire(request.period)));
  return finish(b);
}

std::vector<uint8_t> encode_leaderboard_mine(uint32_t request_id,
                                             const LeaderboardMineRequest& request) {
  flatbuffers::FlatBufferBuilder b(64);
  const auto board = string(b, request.board_id);
  b.Finish(msg::CreateLeaderboardMine(b, request_id, board, wire(request.period)));
  return finish(b);
}

std::vector<uint8_t> encode_leaderboard_delete(uint32_t request_id, std::string_view board_id) {
  flatbuffers::FlatBufferBuilder b(64);
  const auto board = string(b, board_id);
  b.Finish(msg::CreateLeaderboardDelete(b, request_id, board));
  return finish(b);
}

}  // namespace citadel::client
