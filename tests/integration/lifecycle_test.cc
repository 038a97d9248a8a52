// Shutdown: SIGTERM/SIGINT stop accepting, send each open connection its
// queued output and then ERROR 7, close, and exit 0 within drain_timeout_ms.
#include <csignal>
#include <string>

#include "fixture.h"

namespace citadel::test {
namespace {

using Lifecycle = ServerTest;

// After shutdown began, a new connection must not be served: either it is
// refused, or it never gets a PONG.
testing::AssertionResult NotServed(uint16_t port) {
  TestClient c;
  if (!c.connect(port, 2s)) return testing::AssertionSuccess();
  if (!c.send_frame(wire::cmd::kPing, "late", 2s)) return testing::AssertionSuccess();
  const ReadResult r = c.read_frame(3s);
  if (r.status == ReadStatus::kFrame && r.frame.cmd == wire::cmd::kPong) {
    return testing::AssertionFailure() << "a connection made after SIGTERM got a PONG";
  }
  return testing::AssertionSuccess();
}

void expect_drains_and_exits_zero(ServerProcess& server, uint16_t port, int sig,
                                  const char* sig_name) {
  std::vector<TestClient> clients;
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back();
    ASSERT_TRUE(clients.back().connect(port));
    ASSERT_TRUE(Pings(clients.back(), std::to_string(i)));
  }
  const auto t0 = Clock::now();
  ASSERT_EQ(::kill(server.pid(), sig), 0);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(GetsErrorThenClose(clients[static_cast<std::size_t>(i)],
                                   wire::ErrorCode::kShuttingDown, 5s))
        << "client " << i << " after " << sig_name;
    clients[static_cast<std::size_t>(i)].close();  // as a real client does on EOF
  }
  EXPECT_TRUE(NotServed(port));
  const auto status = server.wait_exit(5s);
  ASSERT_TRUE(status.has_value()) << "still running " << ms_since(t0) << " ms after " << sig_name;
  EXPECT_TRUE(status->exited && status->code == 0) << status->describe();
  // drain_timeout_ms is 2000 in these tests (slack for a loaded machine).
  EXPECT_LE(ms_since(t0), 2000 + 1000) << "exit took longer than drain_timeout_ms";
}

TEST_F(Lifecycle, SigtermSendsError7ToEachClientThenClosesAndExitsZero) {
  START_SERVER("shutdown:\n  drain_timeout_ms: 2000\n");
  expect_drains_and_exits_zero(*server_, port_, SIGTERM, "SIGTERM");
}

TEST_F(Lifecycle, SigintSendsError7ToEachClientThenClosesAndExitsZero) {
  START_SERVER("shutdown:\n  drain_timeout_ms: 2000\n");
  expect_drains_and_exits_zero(*server_, port_, SIGINT, "SIGINT");
}

TEST_F(Lifecycle, SigtermWithNoClientsExitsZeroAndLogsCounters) {
  START_SERVER();
  ASSERT_TRUE(fresh_connection_pings(port_));
  const auto status = stop_server(SIGTERM, 10s);
  ASSERT_TRUE(status.has_value()) << "server did not exit after SIGTERM";
  EXPECT_TRUE(status->exited && status->code == 0) << status->describe();
  const std::string out = server_->output();
  EXPECT_NE(out.find("slow_consumer_disconnects=0"), std::string::npos);
  EXPECT_NE(out.find("protocol_errors=0"), std::string::npos);
}

TEST_F(Lifecycle, SigtermSendsQueuedRepliesBeforeError7) {
  START_SERVER("shutdown:\n  drain_timeout_ms: 2000\n");
  TestClient c = connect_client();
  constexpr int kCount = 200;
  Bytes batch;
  for (int i = 0; i < kCount; ++i) {
    const Bytes f = encode_frame(wire::cmd::kEcho, pattern_bytes(1024, static_cast<uint32_t>(i)));
    batch.insert(batch.end(), f.begin(), f.end());
  }
  ASSERT_TRUE(c.send_raw(batch));
  // The first reply shows the server is working through the batch.
  ASSERT_TRUE(GetsFrame(c, wire::cmd::kEcho, pattern_bytes(1024, 0)));
  ASSERT_EQ(::kill(server_->pid(), SIGTERM), 0);

  // Whatever the server had taken in by then comes back, in order, and then
  // exactly one ERROR 7 closes the stream.
  std::vector<Frame> frames;
  ASSERT_TRUE(c.wait_closed(5s, &frames)) << "not closed after SIGTERM";
  c.close();
  ASSERT_FALSE(frames.empty()) << "closed without ERROR 7";
  const Frame& last = frames.back();
  EXPECT_EQ(last.cmd, wire::cmd::kError) << last.describe();
  EXPECT_EQ(last.error_code(), code_of(wire::ErrorCode::kShuttingDown)) << last.describe();
  for (std::size_t i = 0; i + 1 < frames.size(); ++i) {
    ASSERT_EQ(frames[i].cmd, wire::cmd::kEcho)
        << "frame " << i << " before ERROR 7: " << frames[i].describe();
    ASSERT_EQ(frames[i].payload, pattern_bytes(1024, static_cast<uint32_t>(i + 1)))
        << "reply " << i + 1 << " out of order or corrupted";
  }
  std::cout << "replies delivered after SIGTERM before ERROR 7: " << frames.size() - 1 << "\n";
  const auto status = server_->wait_exit(5s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->exited && status->code == 0) << status->describe();
}

TEST_F(Lifecycle, SigtermExitsWithinDrainTimeoutWhenAClientNeverReads) {
  START_SERVER("shutdown:\n  drain_timeout_ms: 500\n");
  // A client with a tiny receive window that asks for ~640 KiB of echoes and
  // reads none of it: its output cannot drain.
  TestClient stuck = connect_client(/*rcvbuf_bytes=*/4096);
  const Bytes request = encode_frame(wire::cmd::kEcho, pattern_bytes(16 * 1024, 1));
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(stuck.send_raw(request, 5s)) << "request " << i;
  TestClient reader = connect_client();
  ASSERT_TRUE(Pings(reader));

  const auto t0 = Clock::now();
  ASSERT_EQ(::kill(server_->pid(), SIGTERM), 0);
  EXPECT_TRUE(GetsErrorThenClose(reader, wire::ErrorCode::kShuttingDown, 3s));
  reader.close();
  const auto status = server_->wait_exit(5s);
  ASSERT_TRUE(status.has_value()) << "still running 5 s after SIGTERM (drain_timeout_ms 500)";
  EXPECT_TRUE(status->exited && status->code == 0) << status->describe();
  EXPECT_LE(ms_since(t0), 500 + 1500) << "exit took much longer than drain_timeout_ms";
}

}  // namespace
}  // namespace citadel::test
