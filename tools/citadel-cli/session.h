// One citadel-cli session: a Client on its own io thread, driven by the
// commands the user types, one at a time. A command that sends a request
// waits (bounded) until its reply or failure has been printed, so a script
// such as `ping` then `quit` sees the PONG before the CLI exits. Pushes,
// connection and session events print whenever they arrive.
//
// Thread: execute() and connect_and_wait() on the reader (main) thread; the
// Client, the EventPrinter and every callback on the io thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "app_commands.h"
#include "client/client.h"
#include "client/io_thread.h"
#include "client/transport/endpoint.h"
#include "command_line.h"
#include "event_printer.h"
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
  void connect_and_wait(const client::transport::Endpoint& target);
  // Closes the connection and stops the io thread. Idempotent.
  void shutdown();

 private:
  void send_raw(const CommandLine& command);
  void send_app(const CommandLine& command, const AppRequest& request);
  // Sends and waits until the reply (or failure) is printed. A reply_key
  // matches the reply by its request_id (app commands).
  void send_and_wait(std::string command, ReplyStyle style, uint16_t cmd,
                     std::vector<uint8_t> payload, std::optional<uint64_t> reply_key);
  void send_one_way(const std::string& command, uint16_t cmd, std::vector<uint8_t> payload,
                    const std::string& detail);
  void resume_and_wait();
  void mute(const CommandLine& command, bool muted);
  void show_session();
  void note_settled();
  void help();

  Output& out_;
  client::ClientOptions options_;
  client::IoThread io_;
  std::unique_ptr<client::Client> client_;  // created, used and destroyed on io_
  std::unique_ptr<EventPrinter> printer_;   // io thread, but for failed()
  protocol::JsonCodec encode_codec_;        // reader thread
  AppCounters counters_;                    // reader thread

  // Connection outcomes seen so far, for connect_and_wait().
  std::mutex mutex_;
  std::condition_variable settled_cv_;
  uint64_t settled_events_ = 0;
  std::string target_;  // "host:port", for messages
  bool shut_down_ = false;
};

}  // namespace citadel::cli
