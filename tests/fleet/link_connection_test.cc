// A node link over real loopback sockets (src/fleet/link/link_connection.h):
// two EventLoops on their own threads, one dialling, one accepting through
// a LinkListener. What it must do: carry frames both ways, write a turn's
// Delivers of one shared frame as one link frame naming every id, keep an
// idle link alive with heartbeats, and close (telling its owner once, with
// why) a link whose peer is silent, refuses the connection, sends bytes
// that are not link frames, or does not read what it is sent.
#include "fleet/link/link_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "fleet/link/link_listener.h"
#include "fleet/link/link_messages.h"
#include "protocol/wire.h"

namespace citadel::fleet::link {
namespace {

using namespace std::chrono_literals;

// Runs f on the loop's thread and waits for it.
template <class F>
auto run_on(net::EventLoop& loop, F f) {
  std::packaged_task<decltype(f())()> task(std::move(f));
  auto done = task.get_future();
  loop.post([&task] { task(); });
  return done.get();
}

// What one side of a link saw, for the test thread to wait on.
class Recorder final : public LinkConnection::Handler {
 public:
  void on_link_open(LinkConnection&) override {
    std::lock_guard lock(mutex_);
    opened_ = true;
    changed_.notify_all();
  }
  void on_link_frame(LinkConnection&, uint16_t cmd, std::span<const uint8_t> payload) override {
    std::lock_guard lock(mutex_);
    frames_.emplace_back(cmd, std::vector<uint8_t>(payload.begin(), payload.end()));
    changed_.notify_all();
  }
  void on_link_closed(LinkConnection&, std::string_view why) override {
    std::lock_guard lock(mutex_);
    ++closes_;
    closed_ = std::string(why);
    changed_.notify_all();
  }
  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = 5000ms) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return pred(*this); });
  }
  bool opened() const { return opened_; }
  const std::optional<std::string>& closed() const { return closed_; }
  int closes() const { return closes_; }
  const std::vector<std::pair<uint16_t, std::vector<uint8_t>>>& frames() const { return frames_; }
  std::vector<std::pair<uint16_t, std::vector<uint8_t>>> frames_copy() {
    std::lock_guard lock(mutex_);
    return frames_;
  }
  std::optional<std::string> closed_copy() {
    std::lock_guard lock(mutex_);
    return closed_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool opened_ = false;
  int closes_ = 0;
  std::optional<std::string> closed_;
  std::vector<std::pair<uint16_t, std::vector<uint8_t>>> frames_;
};

LinkConnection::Options fast_options() {
  LinkConnection::Options o;
  o.heartbeat = 40ms;
  o.dead_after = 300ms;
  o.connect_timeout = 2000ms;
  return o;
}

// A plain blocking listener on loopback that the test drives by hand: a
// peer that says nothing, or says garbage, or never reads.
class RawPeer {
 public:
  RawPeer() {
    listen_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_.get(), reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
    EXPECT_EQ(::listen(listen_.get(), 4), 0);
    socklen_t len = sizeof sin;
    ::getsockname(listen_.get(), reinterpret_cast<sockaddr*>(&sin), &len);
    port_ = ntohs(sin.sin_port);
  }
  uint16_t port() const { return port_; }
  int accept() {
    conn_.reset(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    return conn_.get();
  }
  // Keeps the kernel's receive buffer small, so a peer that does not read
  // fills it soon.
  void shrink_receive_buffer() {
    int small = 4096;
    ::setsockopt(listen_.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  }

 private:
  net::UniqueFd listen_;
  net::UniqueFd conn_;
  uint16_t port_ = 0;
};

class LinkConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_.start();
    b_.start();
  }
  void TearDown() override {
    for (auto* link : {&server_, &client_}) {
      if (*link) run_on((*link)->loop(), [l = *link] { l->close_in_loop("test over"); });
    }
    if (listener_) run_on(a_, [this] { listener_->stop_in_loop(); });
    a_.stop_and_join();
    b_.stop_and_join();
  }

  // A listener on loop a whose accepted socket becomes server_, and a dial
  // from loop b (client_); waits until both are open.
  void connect_pair(LinkConnection::Options options = fast_options()) {
    listener_ = std::make_unique<LinkListener>(
        a_, "127.0.0.1", 0, [this, options](net::UniqueFd fd, std::string) {
          server_ = std::make_shared<LinkConnection>(a_, server_seen_, options);
          server_->adopt_in_loop(std::move(fd));
        });
    run_on(a_, [this] { listener_->start_in_loop(); });
    dial(listener_->port(), options);
    ASSERT_TRUE(server_seen_.wait([](auto& r) { return r.opened(); }));
    ASSERT_TRUE(client_seen_.wait([](auto& r) { return r.opened(); }));
  }
  void dial(uint16_t port, LinkConnection::Options options = fast_options()) {
    client_ = std::make_shared<LinkConnection>(b_, client_seen_, options);
    run_on(b_, [this, port] { client_->connect_in_loop("127.0.0.1", port); });
  }

  net::EventLoop a_{0, net::ConnectionOptions{}};
  net::EventLoop b_{1, net::ConnectionOptions{}};
  std::unique_ptr<LinkListener> listener_;
  std::shared_ptr<LinkConnection> server_, client_;
  Recorder server_seen_, client_seen_;
};

TEST_F(LinkConnectionTest, CarriesFramesBothWays) {
  connect_pair();
  run_on(b_, [this] {
    std::vector<uint8_t> out;
    append_hello(out, "test", "gw-1");
    append_player_frame(out, 5, 0x0310, std::vector<uint8_t>{1, 2});
    client_->send_in_loop(out);
  });
  ASSERT_TRUE(server_seen_.wait([](auto& r) { return r.frames().size() >= 2; }));
  auto frames = server_seen_.frames_copy();
  EXPECT_EQ(frames[0].first, lcmd::kHello);
  ASSERT_EQ(frames[1].first, lcmd::kPlayerFrame);
  auto f = decode_player_frame(frames[1].second);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->conn, 5u);
  EXPECT_EQ(f->payload.size(), 2u);

  run_on(a_, [this] {
    std::vector<uint8_t> out;
    append_welcome(out, "game-1");
    server_->send_in_loop(out);
  });
  ASSERT_TRUE(client_seen_.wait([](auto& r) { return !r.frames().empty(); }));
  EXPECT_EQ(client_seen_.frames_copy()[0].first, lcmd::kWelcome);
}

TEST_F(LinkConnectionTest, OneTurnsDeliversOfOneFrameGoOutAsOneLinkFrame) {
  connect_pair();
  std::vector<uint8_t> state_frame, other_frame;
  protocol::append_frame(state_frame, 0x0311, std::vector<uint8_t>{7, 7, 7});
  protocol::append_frame(other_frame, 0x0303, std::vector<uint8_t>{1});
  auto state = std::make_shared<const std::vector<uint8_t>>(state_frame);
  auto other = std::make_shared<const std::vector<uint8_t>>(other_frame);
  const uint64_t coalesced = run_on(a_, [&] {
    for (uint64_t id : {11, 12, 13}) server_->deliver_in_loop(id, state);
    server_->deliver_in_loop(14, other);
    server_->deliver_in_loop(15, state);
    return server_->counters().delivers_coalesced;
  });
  EXPECT_EQ(coalesced, 2u);
  ASSERT_TRUE(client_seen_.wait([](auto& r) { return r.frames().size() >= 3; }));
  auto frames = client_seen_.frames_copy();
  ASSERT_EQ(frames.size(), 3u);
  std::vector<std::vector<uint64_t>> ids;
  std::vector<std::vector<uint8_t>> bytes;
  for (auto& [cmd, payload] : frames) {
    ASSERT_EQ(cmd, lcmd::kDeliver);
    auto d = decode_deliver(payload);
    ASSERT_TRUE(d);
    ids.emplace_back();
    for (std::size_t i = 0; i < d->count; ++i) ids.back().push_back(d->id(i));
    bytes.emplace_back(d->frames.begin(), d->frames.end());
  }
  EXPECT_EQ(ids[0], (std::vector<uint64_t>{11, 12, 13}));
  EXPECT_EQ(bytes[0], state_frame);
  EXPECT_EQ(ids[1], (std::vector<uint64_t>{14}));
  EXPECT_EQ(bytes[1], other_frame);
  EXPECT_EQ(ids[2], (std::vector<uint64_t>{15}));
  // All of it in one write: the turn's output is gathered.
  EXPECT_EQ(run_on(a_, [this] { return server_->counters().writes; }), 1u);
}

// A peer whose every frame is answered with a Deliver of one shared frame,
// left pending until the end of the turn (coalescing).
class DeliverOnFrame final : public LinkConnection::Handler {
 public:
  explicit DeliverOnFrame(Recorder& seen) : seen_(seen) {}
  void on_link_open(LinkConnection& l) override { seen_.on_link_open(l); }
  void on_link_frame(LinkConnection& l, uint16_t cmd, std::span<const uint8_t> payload) override {
    l.deliver_in_loop(7, frame_);
    seen_.on_link_frame(l, cmd, payload);
  }
  void on_link_closed(LinkConnection& l, std::string_view why) override {
    seen_.on_link_closed(l, why);
  }

 private:
  Recorder& seen_;
  net::SharedBytes frame_ = [] {
    std::vector<uint8_t> f;
    protocol::append_frame(f, 0x0311, std::vector<uint8_t>(40, 7));
    return std::make_shared<const std::vector<uint8_t>>(std::move(f));
  }();
};

// Found by the failover benchmark: a Heartbeat read in the same turn as a
// frame whose handler left a Deliver pending made the HeartbeatAck's bytes
// be overwritten by the Deliver's head (one scratch buffer for both): the
// peer saw a corrupt stream ("bad magic") and dropped the link.
TEST_F(LinkConnectionTest, AHeartbeatInTheTurnOfAPendingDeliverIsAnsweredIntact) {
  DeliverOnFrame deliverer(server_seen_);
  listener_ = std::make_unique<LinkListener>(
      a_, "127.0.0.1", 0, [this, &deliverer](net::UniqueFd fd, std::string) {
        LinkConnection::Options o = fast_options();
        o.heartbeat = 10s;  // only the test's own heartbeats
        server_ = std::make_shared<LinkConnection>(a_, deliverer, o);
        server_->adopt_in_loop(std::move(fd));
      });
  run_on(a_, [this] { listener_->start_in_loop(); });
  LinkConnection::Options o = fast_options();
  o.heartbeat = 10s;
  dial(listener_->port(), o);
  ASSERT_TRUE(server_seen_.wait([](auto& r) { return r.opened(); }));
  ASSERT_TRUE(client_seen_.wait([](auto& r) { return r.opened(); }));
  // A frame and a Heartbeat in one write: the server reads both in one turn.
  for (int round = 0; round < 20; ++round) {
    run_on(b_, [this] {
      std::vector<uint8_t> bytes;
      append_session_ended(bytes, 42);
      append_heartbeat(bytes, lcmd::kHeartbeat, 99);
      client_->send_in_loop(bytes);
    });
  }
  ASSERT_TRUE(client_seen_.wait([](auto& r) { return r.frames().size() >= 20; }))
      << client_seen_.closed_copy().value_or("open");
  EXPECT_FALSE(client_seen_.closed_copy()) << *client_seen_.closed_copy();
  EXPECT_FALSE(server_seen_.closed_copy()) << *server_seen_.closed_copy();
  for (const auto& [cmd, payload] : client_seen_.frames_copy()) EXPECT_EQ(cmd, lcmd::kDeliver);
  // The deliverer goes with this scope: the server link closes first.
  run_on(a_, [this] { server_->close_in_loop("test over"); });
  server_.reset();
}

TEST_F(LinkConnectionTest, HeartbeatsKeepAnIdleLinkOpenPastTheDeadline) {
  connect_pair();
  // Wait for heartbeats answered over more than twice dead_after (300 ms),
  // counted by the frames each side read: the link must still be open.
  const auto enough = [this] {
    return run_on(b_, [this] { return client_->counters().frames_in; }) >= 16;
  };
  for (int i = 0; i < 200 && !enough(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(enough());
  EXPECT_TRUE(run_on(b_, [this] { return client_->open(); }));
  EXPECT_TRUE(run_on(a_, [this] { return server_->open(); }));
  EXPECT_GT(run_on(b_, [this] { return client_->last_rtt(); }).count(), 0);
  EXPECT_FALSE(client_seen_.closed_copy().has_value());
}

TEST_F(LinkConnectionTest, ASilentPeerIsDeclaredDead) {
  RawPeer peer;
  dial(peer.port());
  ASSERT_GE(peer.accept(), 0);  // accepted, then never a byte back
  ASSERT_TRUE(client_seen_.wait([](auto& r) { return r.closed().has_value(); }));
  EXPECT_NE(client_seen_.closed_copy()->find("peer silent"), std::string::npos)
      << *client_seen_.closed_copy();
  EXPECT_TRUE(client_seen_.opened());
  EXPECT_EQ(client_seen_.closes(), 1);
}

TEST_F(LinkConnectionTest, ARefusedDialIsReportedOnce) {
  uint16_t port = 0;
  {
    RawPeer gone;  // bound, then closed: nothing listens there any more
    port = gone.port();
  }
  dial(port);
  ASSERT_TRUE(client_seen_.wait([](auto& r) { return r.closed().has_value(); }));
  EXPECT_NE(client_seen_.closed_copy()->find("connect"), std::string::npos)
      << *client_seen_.closed_copy();
  EXPECT_FALSE(client_seen_.opened());
  EXPECT_EQ(client_seen_.closes(), 1);
}

TEST_F(LinkConnectionTest, BytesThatAreNotLinkFramesCloseTheLink) {
  RawPeer peer;
  dial(peer.port());
  const int fd = peer.accept();
  ASSERT_GE(fd, 0);
  const char garbage[] = "GET / HTTP/1.1\r\n\r\n";
  ASSERT_GT(::send(fd, garbage, sizeof garbage - 1, MSG_NOSIGNAL), 0);
  ASSERT_TRUE(client_seen_.wait([](auto& r) { return r.closed().has_value(); }));
  EXPECT_NE(client_seen_.closed_copy()->find("bad magic"), std::string::npos)
      << *client_seen_.closed_copy();
}

TEST_F(LinkConnectionTest, APeerThatDoesNotReadIsCutOffAtTheQueueLimit) {
  RawPeer peer;
  peer.shrink_receive_buffer();
  auto options = fast_options();
  options.max_output_bytes = 256 * 1024;
  options.dead_after = 60'000ms;  // the peer's silence must not be what closes it
  dial(peer.port(), options);
  ASSERT_GE(peer.accept(), 0);
  ASSERT_TRUE(client_seen_.wait([](auto& r) { return r.opened(); }));
  // 64 KiB frames, one per loop turn, until the link gives up: at most
  // 64 MiB, far more than loopback's buffers hold.
  std::vector<uint8_t> big;
  append_player_frame(big, 1, 0x0310, std::vector<uint8_t>(64 * 1024, 0xAB));
  for (int i = 0; i < 1024 && !client_seen_.closed_copy(); ++i) {
    run_on(b_, [&] { client_->send_in_loop(big); });
  }
  ASSERT_TRUE(client_seen_.wait([](auto& r) { return r.closed().has_value(); }));
  EXPECT_NE(client_seen_.closed_copy()->find("does not read"), std::string::npos)
      << *client_seen_.closed_copy();
}

}  // namespace
}  // namespace citadel::fleet::link
