// The Client's leaderboard calls: LeaderboardSubmit, Top, Around, Records,
// Mine and Delete sent with a request_id the library chooses, the
// LeaderboardReply matched by it and decoded into a CallOutcome.
#include <utility>

#include "client/client_impl.h"
#include "client/leaderboard_messages.h"
#include "protocol/commands.h"

namespace citadel::client {

namespace proto = citadel::protocol;

namespace {

// The reply callback that decodes a LeaderboardReply for `callback`.
ReplyCallback on_leaderboard_reply(LeaderboardCallback callback) {
  if (!callback) return {};
  return [callback = std::move(callback)](const Reply& r) {
    CallOutcome<LeaderboardReplyFields> o;
    o.rtt = r.rtt;
    std::optional<LeaderboardReplyFields> reply;
    if (!r.ok()) {
      o.error = call_error_of(r);
    } else if (reply = decode_leaderboard_reply(r.payload); !reply) {
      o.error = malformed_reply();
    } else if (!reply->ok()) {
      o.error =
          refusal(reply->result, leaderboard_result_name(reply->result), std::move(reply->message));
    } else {
      o.value = std::move(reply);
    }
    callback(o);
  };
}

}  // namespace

RequestId Client::leaderboard_submit(const LeaderboardSubmitRequest& request,
                                     LeaderboardCallback callback) {
  return impl_->keyed_request(
      proto::cmd::kLeaderboardSubmit,
      [&](uint32_t request_id) { return encode_leaderboard_submit(request_id, request); },
      proto::cmd::kLeaderboardReply, on_leaderboard_reply(std::move(callback)));
}

RequestId Client::leaderboard_top(const LeaderboardTopRequest& request,
                                  LeaderboardCallback callback) {
  return impl_->keyed_request(
      proto::cmd::kLeaderboardTop,
      [&](uint32_t request_id) { return encode_leaderboard_top(request_id, request); },
      proto::cmd::kLeaderboardReply, on_leaderboard_reply(std::move(callback)));
}

RequestId Client::leaderboard_around(const LeaderboardAroundRequest& request,
                                     LeaderboardCallback callback) {
  return impl_->keyed_request(
      proto::cmd::kLeaderboardAround,
      [&](uint32_t request_id) { return encode_leaderboard_around(request_id, request); },
      proto::cmd::kLeaderboardReply, on_leaderboard_reply(std::move(callback)));
}

RequestId Client::leaderboard_records(const LeaderboardRecordsRequest& request,
                                      LeaderboardCallback callback) {
  return impl_->keyed_request(
      proto::cmd::kLeaderboardRecords,
      [&](uint32_t request_id) { return encode_leaderboard_records(request_id, request); },
      proto::cmd::kLeaderboardReply, on_leaderboard_reply(std::move(callback)));
}

RequestId Client::leaderboard_mine(const LeaderboardMineRequest& request,
                                   LeaderboardCallback callback) {
  return impl_->keyed_request(
      proto::cmd::kLeaderboardMine,
      [&](uint32_t request_id) { return encode_leaderboard_mine(request_id, request); },
      proto::cmd::kLeaderboardReply, on_leaderboard_reply(std::move(callback)));
}

RequestId Client::leaderboard_delete(std::string_view board_id, LeaderboardCallback callback) {
  return impl_->keyed_request(
      proto::cmd::kLeaderboardDelete,
      [&](uint32_t request_id) { return encode_leaderboard_delete(request_id, board_id); },
      proto::cmd::kLeaderboardReply, on_leaderboard_reply(std::move(callback)));
}

}  // namespace citadel::client
