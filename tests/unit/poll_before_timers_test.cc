// EventLoop::poll_again_before_timers: input that arrives while a turn
// handles its events is read before that turn's due timers (a room's tick)
// run, so it makes the tick instead of waiting a whole tick period. Driven
// by hand (attach_for_testing): socket A's handler makes socket B readable
// in the middle of the turn, as a client's input landing then would.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "net/event_loop.h"
#include "net/unique_fd.h"

namespace citadel::net {
namespace {

using namespace std::chrono_literals;

struct SocketPair {
  UniqueFd ours, theirs;
  SocketPair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    ours = UniqueFd(fds[0]);
    theirs = UniqueFd(fds[1]);
  }
};

// Reads what its socket holds and notes it in `log`; then runs `then`.
class Reader final : public IoHandler {
 public:
  Reader(int fd, std::string name, std::vector<std::string>& log)
      : fd_(fd), name_(std::move(name)), log_(log) {}
  std::function<void()> then;
  void handle_events_in_loop(uint32_t) override {
    char buf[64];
    while (::read(fd_, buf, sizeof buf) > 0) {
    }
    log_.push_back(name_);
    if (then) then();
  }

 private:
  int fd_;
  std::string name_;
  std::vector<std::string>& log_;
};

void put_byte(int fd) {
  ASSERT_EQ(::write(fd, "x", 1), 1);
}

class PollBeforeTimers : public ::testing::Test {
 protected:
  void SetUp() override {
    loop_.attach_for_testing();
    loop_.add_fd_in_loop(a_.ours.get(), EPOLLIN | EPOLLET, &reader_a_);
    loop_.add_fd_in_loop(b_.ours.get(), EPOLLIN | EPOLLET, &reader_b_);
    // A's input, when handled, makes B readable: B's bytes land mid-turn.
    reader_a_.then = [this] { put_byte(b_.theirs.get()); };
  }
  void TearDown() override {
    loop_.remove_fd_in_loop(a_.ours.get());
    loop_.remove_fd_in_loop(b_.ours.get());
    loop_.detach_for_testing();
  }

  EventLoop loop_{0, ConnectionOptions{}};
  std::vector<std::string> log_;
  SocketPair a_, b_;
  Reader reader_a_{a_.ours.get(), "a", log_};
  Reader reader_b_{b_.ours.get(), "b", log_};
};

TEST_F(PollBeforeTimers, InputArrivingDuringTheTurnIsReadBeforeADueTimer) {
  loop_.run_at_in_loop(EventLoop::Clock::now(), [this] { log_.push_back("tick"); });
  put_byte(a_.theirs.get());
  loop_.run_turn_for_testing(1s);
  EXPECT_EQ(log_, (std::vector<std::string>{"a", "b", "tick"}));
  EXPECT_EQ(loop_.stats().events_before_timers.get(), 1u);
}

TEST_F(PollBeforeTimers, WithoutADueTimerTheTurnDoesNotPollAgain) {
  // A timer far off: B's bytes wait for the next turn, as before.
  loop_.run_at_in_loop(EventLoop::Clock::now() + 1h, [this] { log_.push_back("tick"); });
  put_byte(a_.theirs.get());
  loop_.run_turn_for_testing(1s);
  EXPECT_EQ(log_, (std::vector<std::string>{"a"}));
  loop_.run_turn_for_testing(1s);
  EXPECT_EQ(log_, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(loop_.stats().events_before_timers.get(), 0u);
}

TEST_F(PollBeforeTimers, AFloodCannotHoldTheTimerBack) {
  // Every read of A or B makes the other readable again: input without end.
  // The timer still runs in this turn, after a bounded number of polls.
  reader_b_.then = [this] { put_byte(a_.theirs.get()); };
  loop_.run_at_in_loop(EventLoop::Clock::now(), [this] { log_.push_back("tick"); });
  put_byte(a_.theirs.get());
  loop_.run_turn_for_testing(1s);
  ASSERT_FALSE(log_.empty());
  EXPECT_EQ(log_.back(), "tick");
  EXPECT_LE(log_.size(), 8u);
}

}  // namespace
}  // namespace citadel::net
