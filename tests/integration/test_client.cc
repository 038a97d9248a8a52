#include "test_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "protocol/wire.h"
#include "support/deadline.h"

namespace citadel::test {
namespace {

using Clock = std::chrono::steady_clock;
namespace wire = citadel::protocol;

// A reply larger than this is treated as garbage rather than allocated.
constexpr uint32_t kClientMaxFrameBytes = 64 * 1024 * 1024;

}  // namespace

uint16_t Frame::error_code() const {
  return payload.size() >= 2 ? wire::load_be16(payload.data()) : 0;
}

std::string Frame::error_text() const {
  return payload.size() > 2 ? std::string(payload.begin() + 2, payload.end()) : std::string();
}

std::string Frame::describe() const {
  char head[64];
  std::snprintf(head, sizeof head, "frame{cmd=0x%04x, %zu bytes", cmd, payload.size());
  std::string s = head;
  if (cmd == wire::cmd::kError)
    s += ", error " + std::to_string(error_code()) + " '" + error_text() + "'";
  return s + "}";
}

const char* to_string(ReadStatus s) {
  switch (s) {
    case ReadStatus::kFrame:
      return "frame";
    case ReadStatus::kEof:
      return "eof";
    case ReadStatus::kReset:
      return "reset";
    case ReadStatus::kTimeout:
      return "timeout";
    case ReadStatus::kBadFrame:
      return "bad-frame";
  }
  return "?";
}

std::string ReadResult::describe() const {
  return status == ReadStatus::kFrame ? frame.describe() : std::string(to_string(status));
}

Bytes encode_frame(uint16_t cmd, std::span<const uint8_t> payload) {
  Bytes out;
  wire::append_frame(out, cmd, payload);
  return out;
}

Bytes to_bytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

Bytes encode_frame(uint16_t cmd, std::string_view payload) {
  return encode_frame(cmd, std::span<const uint8_t>(
                               reinterpret_cast<const uint8_t*>(payload.data()), payload.size()));
}

TestClient::~TestClient() {
  close();
}

TestClient::TestClient(TestClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      last_errno_(other.last_errno_),
      in_(std::move(other.in_)) {}

TestClient& TestClient::operator=(TestClient&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    last_errno_ = other.last_errno_;
    in_ = std::move(other.in_);
  }
  return *this;
}

bool TestClient::connect(uint16_t port, std::chrono::milliseconds timeout, int rcvbuf_bytes) {
  close();
  in_.clear();
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    last_errno_ = errno;
    return false;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (rcvbuf_bytes > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes, sizeof rcvbuf_bytes);

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    last_errno_ = errno;
    ::close(fd);
    return false;
  }
  pollfd p{fd, POLLOUT, 0};
  const int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
  int err = 0;
  socklen_t len = sizeof err;
  if (n <= 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    last_errno_ = n <= 0 ? ETIMEDOUT : err;
    ::close(fd);
    return false;
  }
  fd_ = fd;
  return true;
}

bool TestClient::send_raw(std::span<const uint8_t> bytes, std::chrono::milliseconds timeout) {
  if (fd_ < 0) return false;
  const auto deadline = Clock::now() + timeout;
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      last_errno_ = errno;
      return false;
    }
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) {
      last_errno_ = ETIMEDOUT;
      return false;
    }
  }
  return true;
}

bool TestClient::send_frame(uint16_t cmd, std::span<const uint8_t> payload,
                            std::chrono::milliseconds timeout) {
  return send_raw(encode_frame(cmd, payload), timeout);
}

bool TestClient::send_frame(uint16_t cmd, std::string_view payload,
                            std::chrono::milliseconds timeout) {
  return send_raw(encode_frame(cmd, payload), timeout);
}

TestClient::Fill TestClient::fill(Clock::time_point deadline) {
  for (;;) {
    uint8_t buf[64 * 1024];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      in_.insert(in_.end(), buf, buf + n);
      return Fill::kData;
    }
    if (n == 0) return Fill::kEof;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      last_errno_ = errno;
      return Fill::kError;
    }
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, remaining_ms(deadline));
    if (r == 0) return Fill::kTimeout;
    if (r < 0 && errno != EINTR) {
      last_errno_ = errno;
      return Fill::kError;
    }
  }
}

ReadResult TestClient::read_frame(std::chrono::milliseconds timeout) {
  ReadResult result;
  if (fd_ < 0) {
    result.status = ReadStatus::kReset;
    return result;
  }
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (in_.size() >= 2 && wire::load_be16(in_.data()) != wire::kMagic) {
      result.status = ReadStatus::kBadFrame;
      return result;
    }
    if (in_.size() >= wire::kHeaderBytes) {
      const uint32_t len = wire::load_be32(in_.data() + 4);
      if (len > kClientMaxFrameBytes) {
        result.status = ReadStatus::kBadFrame;
        return result;
      }
      if (in_.size() >= wire::kHeaderBytes + len) {
        result.status = ReadStatus::kFrame;
        result.frame.cmd = wire::load_be16(in_.data() + 2);
        result.frame.payload.assign(in_.begin() + wire::kHeaderBytes,
                                    in_.begin() + wire::kHeaderBytes + len);
        in_.erase(in_.begin(), in_.begin() + wire::kHeaderBytes + len);
        return result;
      }
    }
    switch (fill(deadline)) {
      case Fill::kData:
        break;
      case Fill::kEof:
        result.status = ReadStatus::kEof;
        return result;
      case Fill::kError:
        result.status = ReadStatus::kReset;
        return result;
      case Fill::kTimeout:
        result.status = ReadStatus::kTimeout;
        return result;
    }
  }
}

bool TestClient::wait_closed(std::chrono::milliseconds timeout, std::vector<Frame>* frames) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    ReadResult r = read_frame(left.count() > 0 ? left : 0ms);
    switch (r.status) {
      case ReadStatus::kFrame:
        if (frames) frames->push_back(std::move(r.frame));
        break;
      case ReadStatus::kEof:
      case ReadStatus::kReset:
        return true;
      case ReadStatus::kTimeout:
      case ReadStatus::kBadFrame:
        return false;
    }
  }
}

std::optional<Bytes> TestClient::read_until_closed(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return std::move(in_);
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    switch (fill(deadline)) {
      case Fill::kData:
        break;
      case Fill::kEof:
      case Fill::kError:
        return std::move(in_);
      case Fill::kTimeout:
        return std::nullopt;
    }
  }
}

bool TestClient::ping(std::string_view payload, std::chrono::milliseconds timeout) {
  if (!send_frame(wire::cmd::kPing, payload, timeout)) return false;
  const ReadResult r = read_frame(timeout);
  return r.status == ReadStatus::kFrame && r.frame.cmd == wire::cmd::kPong &&
         r.frame.payload == to_bytes(payload);
}

void TestClient::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

void TestClient::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

void TestClient::reset() {
  if (fd_ >= 0) {
    const linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  close();
}

bool fresh_connection_pings(uint16_t port, std::chrono::milliseconds timeout) {
  TestClient c;
  return c.connect(port, timeout) && c.ping("fresh", timeout);
}

}  // namespace citadel::test
