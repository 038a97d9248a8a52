// libFuzzer: the C++ client library's decoders of server frames
// (src/client/storage_messages.h, leaderboard_messages.h, auth_messages.h).
// A reply comes from the network, so any bytes must decode to a value or to
// nullopt, never crash or read outside the payload (ASan, UBSan); for every
// input:
//   - a decoded reply holds no more objects, versions or records than the
//     payload could describe (each needs at least a 4-byte offset);
//   - the request_id the Client matches replies by (read_reply_request_id)
//     is read from exactly the payloads that decode, and is the same id;
//   - a result code's name is "" or one of the schema's names, for any code;
//   - a Reconnect push decodes or not, and the address the client would
//     move to parses as an endpoint or not, never past the payload's bytes.
// The first byte picks the decoder; the rest is the payload.
#include <cstddef>
#include <cstdint>
#include <span>

#include "client/auth_messages.h"
#include "client/leaderboard_messages.h"
#include "client/storage_messages.h"
#include "client/transport/endpoint.h"
#include "fuzz_check.h"
#include "protocol/commands.h"

namespace {

namespace client = citadel::client;
namespace cmd = citadel::protocol::cmd;

void storage_reply(std::span<const uint8_t> payload) {
  const auto reply = client::decode_storage_reply(payload);
  const auto id = client::read_reply_request_id(cmd::kStorageReply, payload);
  FUZZ_CHECK(reply.has_value() == id.has_value());
  if (!reply) return;
  FUZZ_CHECK(*id == reply->request_id);
  FUZZ_CHECK(reply->objects.size() <= payload.size() / 4);
  FUZZ_CHECK(reply->versions.size() <= payload.size() / 8);
  (void)client::storage_result_name(reply->result);
}

void leaderboard_reply(std::span<const uint8_t> payload) {
  const auto reply = client::decode_leaderboard_reply(payload);
  const auto id = client::read_reply_request_id(cmd::kLeaderboardReply, payload);
  FUZZ_CHECK(reply.has_value() == id.has_value());
  if (!reply) return;
  FUZZ_CHECK(*id == reply->request_id);
  FUZZ_CHECK(reply->records.size() <= payload.size() / 4);
  (void)client::leaderboard_result_name(reply->result);
}

void auth_reply(std::span<const uint8_t> payload) {
  const auto reply = client::decode_auth_reply(payload);
  const auto id = client::read_reply_request_id(cmd::kAuthReply, payload);
  FUZZ_CHECK(reply.has_value() == id.has_value());
  if (reply) FUZZ_CHECK(*id == reply->request_id);
}

void reconnect(std::span<const uint8_t> payload) {
  const auto notice = client::decode_reconnect(payload);
  if (!notice) return;
  // Each string lies inside the payload (two may share bytes: a
  // FlatBuffer's offsets can point both at one string, so their sum may not).
  FUZZ_CHECK(notice->address.size() <= payload.size());
  FUZZ_CHECK(notice->message.size() <= payload.size());
  // What Client does with it (client.cc, handle_reconnect_notice).
  if (const auto to =
          client::transport::parse_endpoint(notice->address, client::transport::Transport::kTcp)) {
    FUZZ_CHECK(!to->host.empty() && to->port != 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::span<const uint8_t> payload(data + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
      storage_reply(payload);
      break;
    case 1:
      leaderboard_reply(payload);
      break;
    case 2:
      auth_reply(payload);
      break;
    case 3: {
      // Result names for any code: a name or "".
      const uint16_t code = size >= 3 ? static_cast<uint16_t>(data[1] | (data[2] << 8)) : 0;
      const auto s = client::storage_result_name(code);
      const auto l = client::leaderboard_result_name(code);
      FUZZ_CHECK(s.empty() == (code > client::storage_result::kInternalError));
      FUZZ_CHECK(l.empty() == (code > client::leaderboard_result::kInternalError));
      break;
    }
    case 4:
      reconnect(payload);
      break;
  }
  return 0;
}
