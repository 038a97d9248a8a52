// OutputQueue: ordering of inline and shared segments, gather/consume across
// partial writes, and that memory is released or compacted (the bounds that
// keep idle and slow connections cheap).
#include "net/output_queue.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace citadel::net {
namespace {

void append(OutputQueue& q, std::string_view s) {
  std::memcpy(q.append_inline(s.size()), s.data(), s.size());
}

SharedBytes shared(std::string_view s) {
  return std::make_shared<const std::vector<uint8_t>>(s.begin(), s.end());
}

// Drains the queue `chunk` bytes at a time, as a socket taking partial writes would.
std::string drain(OutputQueue& q, std::size_t chunk) {
  std::string out;
  while (!q.empty()) {
    iovec iov[8];
    const int n = q.gather(iov, 8);
    std::size_t taken = 0;
    for (int i = 0; i < n && taken < chunk; ++i) {
      const std::size_t take = std::min(chunk - taken, iov[i].iov_len);
      out.append(static_cast<const char*>(iov[i].iov_base), take);
      taken += take;
    }
    q.consume(taken);
  }
  return out;
}

TEST(OutputQueue, ConsecutiveInlineFramesShareOneIovec) {
  OutputQueue q;
  append(q, "abc");
  append(q, "def");
  iovec iov[4];
  ASSERT_EQ(q.gather(iov, 4), 1);
  EXPECT_EQ(iov[0].iov_len, 6u);
  EXPECT_EQ(q.bytes(), 6u);
}

TEST(OutputQueue, KeepsOrderAcrossInlineAndSharedSegments) {
  OutputQueue q;
  append(q, "one,");
  q.append_shared(shared("two,"));
  append(q, "three,");
  q.append_shared(shared("four"));
  iovec iov[8];
  EXPECT_EQ(q.gather(iov, 8), 4);
  EXPECT_EQ(drain(q, 1000), "one,two,three,four");
}

TEST(OutputQueue, PartialWritesOfEverySizeDeliverEveryByteOnce) {
  for (std::size_t chunk = 1; chunk <= 9; ++chunk) {
    OutputQueue q;
    append(q, "hello ");
    q.append_shared(shared("shared "));
    append(q, "world");
    EXPECT_EQ(drain(q, chunk), "hello shared world") << "chunk " << chunk;
    EXPECT_TRUE(q.empty());
  }
}

TEST(OutputQueue, GatherRespectsTheIovecLimit) {
  OutputQueue q;
  for (int i = 0; i < 10; ++i) q.append_shared(shared("x"));
  iovec iov[3];
  EXPECT_EQ(q.gather(iov, 3), 3);
}

TEST(OutputQueue, EmptySharedBufferIsIgnored) {
  OutputQueue q;
  q.append_shared(nullptr);
  q.append_shared(shared(""));
  EXPECT_TRUE(q.empty());
}

TEST(OutputQueue, LargeBurstReleasesItsMemoryOnceDrained) {
  OutputQueue q;
  std::memset(q.append_inline(256 * 1024), 'x', 256 * 1024);
  EXPECT_GE(q.capacity_bytes(), 256u * 1024);
  drain(q, 64 * 1024);
  EXPECT_LT(q.capacity_bytes(), 8u * 1024) << "a drained burst must not pin its buffer";
}

TEST(OutputQueue, SteadyStreamThatNeverDrainsStaysBounded) {
  // A reader that always leaves a little unread: the queue never empties, so
  // without compaction the written prefix would accumulate forever.
  OutputQueue q;
  std::string expected, got;
  for (int i = 0; i < 20000; ++i) {
    const std::string frame = "frame-" + std::to_string(i) + ";";
    append(q, frame);
    expected += frame;
    if (q.bytes() > 100) {
      iovec iov[4];
      const int n = q.gather(iov, 4);
      ASSERT_GE(n, 1);
      const std::size_t take = iov[0].iov_len - 50;  // leave 50 bytes queued
      got.append(static_cast<const char*>(iov[0].iov_base), take);
      q.consume(take);
    }
  }
  got += drain(q, 1 << 20);
  EXPECT_EQ(got, expected);
  EXPECT_LT(q.capacity_bytes(), 64u * 1024) << "written bytes must be compacted away";
}

}  // namespace
}  // namespace citadel::net
