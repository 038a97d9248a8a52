// Turns what the client library reports into citadel-cli's events: replies,
// pushes, connection and session events, each as one line for a person or
// one JSON object for a script (output.h). Pushes can be hidden, all of them
// (`watch off`) or by cmd (`mute ArenaState`).
//
// Thread: everything but failed() on the Client's io thread (the JsonCodec
// that decodes payloads and the mute table live there); failed() from any.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "client/client.h"
#include "output.h"
#include "protocol/json_codec.h"

namespace citadel::cli {

enum class ReplyStyle : uint8_t {
  kPing,  // "pong": the payload as text and hex
  kEcho,  // "echo": likewise
  kRaw,   // "frame": the reply to `send`, cmd and bytes, and its JSON if it decodes
  kApp,   // "reply": a friendly command's reply, by name, with its result and JSON
};

class EventPrinter {
 public:
  explicit EventPrinter(Output& out);

  void reply(std::string_view command, uint16_t sent_cmd, const client::Reply& reply,
             ReplyStyle style);
  void push(const protocol::FrameView& frame);
  void state(const client::StateEvent& event, std::string_view target, std::string_view address);
  void session(const client::SessionEvent& event);
  void failed(std::string_view command, std::string_view reason);

  void set_watch(bool on) { watch_ = on; }
  void set_muted(uint16_t cmd, bool muted);
  // Muted cmds, each with the number of pushes hidden so far.
  const std::map<uint16_t, uint64_t>& muted() const { return muted_; }

 private:
  // Adds "json" (decoded FlatBuffers) or, for ERROR, "code"/"name"/"text".
  // False if the payload could not be described that way.
  bool describe_payload(JsonLine& json, std::string& human, uint16_t cmd,
                        std::span<const uint8_t> payload);

  Output& out_;
  protocol::JsonCodec codec_;
  bool watch_ = true;
  std::map<uint16_t, uint64_t> muted_;
};

}  // namespace citadel::cli
