// One citadel-cli session: a Client on its own io thread, driven by the
// commands the user types, one at a time. A command that sends a request
// waits (bounded) until its reply or failure has been printed, so a script
// such as `ping` then `quit` sees the PONG before the CLI exits. Pushes and
// connection events print whenever they arrive.
//
// Thread: execute() and connect_and_wait() on the reader (main) thread; the
// Client and every callback on the io thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "client/client.h"
#include "client/io_thread.h"
#include "command_line.h"
#include "output.h"
#include "protocol/json_codec.h"

namespace citadel::cli {

class Session {
 public:
  Session(Output& out, client::ClientOptions options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs one command. Returns false when the user asked to quit.
  bool execute(const CommandLine& command);
  // Starts connecting and waits for the first outcome: connected, or the
  // first attempt failed (reconnecting then goes on in the background).
  void connect_and_wait(const HostPort& target);
  // Closes the connection and stops the io thread. Idempotent.
  void shutdown();

 private:
  enum class Kind : uint8_t { kPing, kEcho, kSend };

  void send_and_wait(Kind kind, uint16_t cmd, std::vector<uint8_t> payload);
  void print_reply_in_loop(Kind kind, uint16_t sent_cmd, const client::Reply& reply);
  void print_push_in_loop(const protocol::FrameView& frame);
  void print_state_in_loop(const client::StateEvent& event);
  // Adds "json" (decoded FlatBuffers) or, for ERROR, "code"/"name"/"text".
  void describe_payload_in_loop(JsonLine& json, std::string& human, uint16_t cmd,
                                std::span<const uint8_t> payload);
  void failed(std::string_view command, std::string_view reason);
  void help();

  Output& out_;
  client::ClientOptions options_;
  client::IoThread io_;
  std::unique_ptr<client::Client> client_;  // created, used and destroyed on io_
  std::atomic<bool> watch_{true};
  protocol::JsonCodec encode_codec_;  // reader thread
  protocol::JsonCodec decode_codec_;  // io thread

  // Connection outcomes seen so far, for connect_and_wait().
  std::mutex mutex_;
  std::condition_variable settled_cv_;
  uint64_t settled_events_ = 0;
  std::string target_;  // "host:port", for messages
  bool shut_down_ = false;
};

}  // namespace citadel::cli
