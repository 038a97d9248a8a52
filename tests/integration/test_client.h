// A blocking TCP test client speaking the frame layer, for black-box tests.
// Every wait has a timeout (poll), so a misbehaving server fails a test
// instead of hanging it. Loopback only: connects to 127.0.0.1.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace citadel::test {

using namespace std::chrono_literals;
using Bytes = std::vector<uint8_t>;

struct Frame {
  uint16_t cmd = 0;
  Bytes payload;
  // For ERROR frames: the code (0 if the payload is too short) and the text.
  uint16_t error_code() const;
  std::string error_text() const;
  std::string describe() const;
};

// Outcome of waiting for one frame.
enum class ReadStatus {
  kFrame,    // a whole frame arrived
  kEof,      // orderly close by the server (FIN)
  kReset,    // connection reset (RST) or another socket error
  kTimeout,  // nothing (complete) within the timeout
  kBadFrame  // server sent bytes that are not a frame (bad magic / absurd length)
};
const char* to_string(ReadStatus s);

struct ReadResult {
  ReadStatus status = ReadStatus::kTimeout;
  Frame frame;  // valid when status == kFrame
  std::string describe() const;
};

// Encodes one frame (header + payload).
Bytes encode_frame(uint16_t cmd, std::span<const uint8_t> payload);
Bytes encode_frame(uint16_t cmd, std::string_view payload);
Bytes to_bytes(std::string_view s);

class TestClient {
 public:
  TestClient() = default;
  ~TestClient();
  TestClient(TestClient&& other) noexcept;
  TestClient& operator=(TestClient&& other) noexcept;
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  // Connects to 127.0.0.1:port (blocking, bounded). TCP_NODELAY is set so
  // each send() leaves as its own segment. `rcvbuf_bytes` > 0 shrinks the
  // receive buffer before connecting (to make a slow consumer quickly).
  bool connect(uint16_t port, std::chrono::milliseconds timeout = 5s, int rcvbuf_bytes = 0);
  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Writes all bytes (bounded). False on a socket error or timeout; `error`
  // then holds errno (EPIPE/ECONNRESET once the server has closed).
  bool send_raw(std::span<const uint8_t> bytes, std::chrono::milliseconds timeout = 5s);
  bool send_frame(uint16_t cmd, std::span<const uint8_t> payload,
                  std::chrono::milliseconds timeout = 5s);
  bool send_frame(uint16_t cmd, std::string_view payload, std::chrono::milliseconds timeout = 5s);
  int last_errno() const { return last_errno_; }

  // Waits for one whole frame. Bytes of a partial frame are kept for the next call.
  ReadResult read_frame(std::chrono::milliseconds timeout = 5s);
  // Reads and discards until the server closes (EOF or reset). Frames seen on
  // the way are returned through `frames` if given. False on timeout.
  bool wait_closed(std::chrono::milliseconds timeout = 5s, std::vector<Frame>* frames = nullptr);
  // Reads raw bytes, framed or not (an HTTP reply to an upgrade), until the
  // server closes: everything received, or nullopt on timeout.
  std::optional<Bytes> read_until_closed(std::chrono::milliseconds timeout = 5s);

  // Sends PING(payload) and expects PONG(payload) back.
  bool ping(std::string_view payload = "ping", std::chrono::milliseconds timeout = 5s);

  void shutdown_write();
  void close();
  // Closes with SO_LINGER 0, so the server sees a reset instead of a FIN.
  void reset();

 private:
  // Appends what the socket has to in_, waiting for it up to the deadline.
  enum class Fill { kData, kEof, kError, kTimeout };
  Fill fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  int last_errno_ = 0;
  Bytes in_;  // received, not yet returned as a frame
};

// "Is the server still serving?": a new connection gets PONG for its PING.
bool fresh_connection_pings(uint16_t port, std::chrono::milliseconds timeout = 5s);

}  // namespace citadel::test
