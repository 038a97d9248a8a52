// Shared fixture and assertions for the black-box tests: every test starts its
// own server (fresh process, port 0) and dumps the server's output if it fails.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "protocol/wire.h"
#include "server_process.h"
#include "test_client.h"

namespace citadel::test {

namespace wire = citadel::protocol;

// An application cmd no handler is registered for (0x0100.. are taken by
// login and chat; see src/protocol/commands.h).
inline constexpr uint16_t kUnassignedCmd = 0x7F00;

inline long long ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t)
      .count();
}

// Sets an environment variable for the servers a test starts (they inherit
// it) until the end of the scope.
class ScopedVariable {
 public:
  ScopedVariable(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedVariable() { ::unsetenv(name_); }
  ScopedVariable(const ScopedVariable&) = delete;
  ScopedVariable& operator=(const ScopedVariable&) = delete;

 private:
  const char* name_;
};

inline uint16_t code_of(wire::ErrorCode c) {
  return static_cast<uint16_t>(c);
}

// The next frame is ERROR(code), and then the server closes the connection
// without sending anything else.
inline testing::AssertionResult GetsErrorThenClose(TestClient& c, wire::ErrorCode code,
                                                   std::chrono::milliseconds timeout = 5s) {
  const ReadResult r = c.read_frame(timeout);
  if (r.status != ReadStatus::kFrame || r.frame.cmd != wire::cmd::kError ||
      r.frame.error_code() != code_of(code)) {
    return testing::AssertionFailure() << "expected ERROR " << code_of(code) << " ("
                                       << wire::to_string(code) << "), got " << r.describe();
  }
  std::vector<Frame> after;
  if (!c.wait_closed(timeout, &after)) {
    return testing::AssertionFailure()
           << "got ERROR " << code_of(code) << " but the connection was not closed within "
           << timeout.count() << " ms";
  }
  if (!after.empty()) {
    return testing::AssertionFailure()
           << "frames after ERROR " << code_of(code) << ": " << after.front().describe();
  }
  return testing::AssertionSuccess();
}

// The next frame is ERROR(code); the connection stays open.
inline testing::AssertionResult GetsError(TestClient& c, wire::ErrorCode code,
                                          std::chrono::milliseconds timeout = 5s) {
  const ReadResult r = c.read_frame(timeout);
  if (r.status != ReadStatus::kFrame || r.frame.cmd != wire::cmd::kError ||
      r.frame.error_code() != code_of(code)) {
    return testing::AssertionFailure() << "expected ERROR " << code_of(code) << " ("
                                       << wire::to_string(code) << "), got " << r.describe();
  }
  return testing::AssertionSuccess();
}

// The next frame is `cmd` with exactly `payload`.
inline testing::AssertionResult GetsFrame(TestClient& c, uint16_t cmd, const Bytes& payload,
                                          std::chrono::milliseconds timeout = 5s) {
  const ReadResult r = c.read_frame(timeout);
  if (r.status != ReadStatus::kFrame) {
    return testing::AssertionFailure() << "expected cmd " << cmd << ", got " << r.describe();
  }
  if (r.frame.cmd != cmd || r.frame.payload != payload) {
    return testing::AssertionFailure()
           << "expected cmd " << cmd << " with " << payload.size() << " bytes, got " << r.describe()
           << (r.frame.cmd == cmd ? " (payload differs)" : "");
  }
  return testing::AssertionSuccess();
}

inline testing::AssertionResult Pings(TestClient& c, std::string_view payload = "ping",
                                      std::chrono::milliseconds timeout = 5s) {
  if (!c.send_frame(wire::cmd::kPing, payload, timeout)) {
    return testing::AssertionFailure() << "send PING failed, errno " << c.last_errno();
  }
  return GetsFrame(c, wire::cmd::kPong, to_bytes(payload), timeout);
}

inline Bytes pattern_bytes(std::size_t n, uint32_t seed) {
  Bytes b(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& v : b) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    v = static_cast<uint8_t>(x);
  }
  return b;
}

class ServerTest : public testing::Test {
 protected:
  // Starts a server with this config and extra flags. Use via START_SERVER so
  // a failure to start ends the test.
  void start_server(std::string config_yaml = "", std::vector<std::string> extra_args = {}) {
    ServerOptions o;
    o.config_yaml = std::move(config_yaml);
    o.extra_args = std::move(extra_args);
    server_ = std::make_unique<ServerProcess>(std::move(o));
    std::string why;
    ASSERT_TRUE(server_->start(&why)) << why;
    port_ = server_->port();
  }

  TestClient connect_client(int rcvbuf_bytes = 0) {
    TestClient c;
    EXPECT_TRUE(c.connect(port_, 5s, rcvbuf_bytes))
        << "connect to 127.0.0.1:" << port_ << " failed, errno " << c.last_errno();
    return c;
  }

  // SIGTERM and the exit status (bounded).
  std::optional<ExitStatus> stop_server(int sig = SIGTERM,
                                        std::chrono::milliseconds timeout = 10s) {
    return server_->stop(sig, timeout);
  }

  void TearDown() override {
    if (server_ && HasFailure()) {
      const std::string out = server_->output();
      constexpr std::size_t kMaxDump = 8000;
      std::cout << "---- server output (" << out.size() << " bytes"
                << (out.size() > kMaxDump ? ", last 8000" : "") << ") ----\n"
                << (out.size() > kMaxDump ? out.substr(out.size() - kMaxDump) : out)
                << "\n---- end of server output ----\n";
    }
    server_.reset();  // SIGKILL by PID if still running
  }

  std::unique_ptr<ServerProcess> server_;
  uint16_t port_ = 0;
};

#define START_SERVER(...) ASSERT_NO_FATAL_FAILURE(start_server(__VA_ARGS__))

}  // namespace citadel::test
