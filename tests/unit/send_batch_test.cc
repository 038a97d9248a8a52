// SendBatch over real socket pairs: every send of a submission has finished
// when send() returns, each reports its own result, and one failing send
// (full, closed or bad socket) neither stops nor spoils the others.
// Where io_uring is refused they skip, unless CITADEL_REQUIRE_IO_URING=1
// (scripts/test.sh, where the kernel allows a ring): then they fail.
#include "net/send_batch.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "../support/io_uring_required.h"
#include "net/unique_fd.h"

namespace citadel::net {
namespace {

struct Pair {
  UniqueFd ours, theirs;
};

Pair make_pair() {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void fill(SendRequest& req, std::string& text) {
  req.iov[0] = {text.data(), text.size()};
  req.msg.msg_iovlen = 1;
  req.offered = text.size();
}

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

class SendBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!batch_.available())
      CITADEL_SKIP_OR_FAIL_WITHOUT_IO_URING("io_uring refused by this kernel");
  }
  SendBatch batch_{8};
};

TEST_F(SendBatchTest, EverySendHasFinishedWhenSendReturns) {
  std::vector<Pair> pairs;
  std::vector<std::string> texts;
  std::vector<int> fds;
  for (int i = 0; i < 5; ++i) {
    pairs.push_back(make_pair());
    texts.push_back("message " + std::to_string(i) +
                    std::string(static_cast<std::size_t>(i) * 100, 'x'));
  }
  for (unsigned i = 0; i < 5; ++i) {
    fill(batch_.request(i), texts[i]);
    fds.push_back(pairs[i].ours.get());
  }
  std::vector<int> results(batch_.capacity(), 0);
  batch_.send(fds, results);
  for (unsigned i = 0; i < 5; ++i) {
    EXPECT_EQ(results[i], static_cast<int>(texts[i].size())) << i;
    EXPECT_EQ(read_all(pairs[i].theirs.get()), texts[i]) << i;
  }
}

TEST_F(SendBatchTest, GatherOfSeveralSegmentsKeepsTheirOrder) {
  Pair p = make_pair();
  std::string a = "head-", b = "middle-", c = "tail";
  SendRequest& req = batch_.request(0);
  req.iov[0] = {a.data(), a.size()};
  req.iov[1] = {b.data(), b.size()};
  req.iov[2] = {c.data(), c.size()};
  req.msg.msg_iovlen = 3;
  std::vector<int> results(1);
  const int fd = p.ours.get();
  batch_.send(std::span(&fd, 1), results);
  EXPECT_EQ(results[0], static_cast<int>(a.size() + b.size() + c.size()));
  EXPECT_EQ(read_all(p.theirs.get()), "head-middle-tail");
}

// Small output in pieces is copied into one buffer (kSendStageBytes); more
// than that goes out as the iovecs themselves. Both keep every byte in order.
TEST_F(SendBatchTest, GatherAboveTheStageSizeKeepsItsOrderToo) {
  Pair small = make_pair(), large = make_pair();
  std::string a(kSendStageBytes / 2, 'a'), b(kSendStageBytes / 2, 'b');
  std::string c(kSendStageBytes / 2, 'c'), d(kSendStageBytes / 2, 'd'), e(1, 'e');
  SendRequest& at_limit = batch_.request(0);
  at_limit.iov[0] = {a.data(), a.size()};
  at_limit.iov[1] = {b.data(), b.size()};
  at_limit.msg.msg_iovlen = 2;
  SendRequest& above = batch_.request(1);
  above.iov[0] = {c.data(), c.size()};
  above.iov[1] = {d.data(), d.size()};
  above.iov[2] = {e.data(), e.size()};
  above.msg.msg_iovlen = 3;
  std::vector<int> results(2);
  const int fds[] = {small.ours.get(), large.ours.get()};
  batch_.send(fds, results);
  EXPECT_EQ(results[0], static_cast<int>(kSendStageBytes));
  EXPECT_EQ(results[1], static_cast<int>(kSendStageBytes + 1));
  EXPECT_EQ(read_all(small.theirs.get()), a + b);
  EXPECT_EQ(read_all(large.theirs.get()), c + d + e);
}

TEST_F(SendBatchTest, FullClosedAndBadSocketsFailAloneWithTheirOwnErrors) {
  Pair full = make_pair(), closed = make_pair(), good = make_pair();
  // Fill `full` until the kernel refuses more.
  std::string chunk(64 * 1024, 'f');
  while (::send(full.ours.get(), chunk.data(), chunk.size(), MSG_DONTWAIT) > 0) {
  }
  ASSERT_EQ(errno, EAGAIN);
  closed.theirs.reset();
  std::string t0 = "to a full socket", t1 = "to a closed peer", t2 = "to nowhere",
              t3 = "still sent";
  fill(batch_.request(0), t0);
  fill(batch_.request(1), t1);
  fill(batch_.request(2), t2);
  fill(batch_.request(3), t3);
  const int fds[] = {full.ours.get(), closed.ours.get(), 1'000'000, good.ours.get()};
  std::vector<int> results(4);
  batch_.send(fds, results);  // no SIGPIPE either: the test would die of it
  EXPECT_EQ(results[0], -EAGAIN);
  EXPECT_EQ(results[1], -EPIPE);
  EXPECT_EQ(results[2], -EBADF);
  EXPECT_EQ(results[3], static_cast<int>(t3.size()));
  EXPECT_EQ(read_all(good.theirs.get()), t3);
  EXPECT_TRUE(batch_.available());
}

TEST_F(SendBatchTest, TheRingIsReusedAcrossManySubmissions) {
  Pair p = make_pair();
  std::string expected, received;
  for (int round = 0; round < 1000; ++round) {
    std::string text = std::to_string(round) + ";";
    fill(batch_.request(0), text);
    std::vector<int> results(1);
    const int fd = p.ours.get();
    batch_.send(std::span(&fd, 1), results);
    ASSERT_EQ(results[0], static_cast<int>(text.size())) << round;
    expected += text;
    received += read_all(p.theirs.get());  // each small send holds an skb: keep the buffer free
  }
  EXPECT_EQ(received, expected);
}

TEST(SendBatchSendAll, SkipsWhatPrepareRefusesAndSubmitsCapacityAtATime) {
  SendBatch batch(2);
  if (!batch.available()) CITADEL_SKIP_OR_FAIL_WITHOUT_IO_URING("io_uring refused by this kernel");
  std::vector<Pair> pairs;
  std::vector<std::string> texts;
  for (int i = 0; i < 5; ++i) {
    pairs.push_back(make_pair());
    texts.push_back("item " + std::to_string(i));
  }
  std::vector<int> items = {0, 1, 2, 3, 4};
  std::vector<int> completed;
  const unsigned submissions = batch.send_all(
      items,
      [&](int i, SendRequest& req) {
        if (i == 2) return -1;  // nothing to send for this one
        fill(req, texts[static_cast<std::size_t>(i)]);
        return pairs[static_cast<std::size_t>(i)].ours.get();
      },
      [&](int i, const SendRequest& req, int result) {
        EXPECT_EQ(result, static_cast<int>(req.offered)) << i;
        completed.push_back(i);
      });
  EXPECT_EQ(submissions, 2u);  // four sends, two a submission
  EXPECT_EQ(completed, (std::vector<int>{0, 1, 3, 4}));
  for (int i : {0, 1, 3, 4}) {
    EXPECT_EQ(read_all(pairs[static_cast<std::size_t>(i)].theirs.get()),
              texts[static_cast<std::size_t>(i)]);
  }
  EXPECT_EQ(read_all(pairs[2].theirs.get()), "");
}

}  // namespace
}  // namespace citadel::net
