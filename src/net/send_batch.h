// Sends the output of many connections with one io_uring_enter(2) instead of
// one sendmsg(2) each. A room tick or a chat broadcast queues output on dozens
// to thousands of sockets in one loop turn; on this kind of machine the
// syscall entry and exit are a large share of a small send's cost, so one
// submission carrying every send is cheaper than as many syscalls.
//
// Each send carries MSG_DONTWAIT, which makes io_uring attempt it inline
// during the submission and complete it at once, with -EAGAIN if the socket
// is full, instead of parking it until the socket drains. So when send()
// returns, every send has finished: the iovecs may point into buffers the
// caller changes right after, exactly as with a plain sendmsg.
//
// Where the kernel refuses io_uring (old kernel, seccomp, the
// kernel.io_uring_disabled sysctl) available() is false and the caller sends
// one by one.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

struct io_uring_sqe;

namespace citadel::net {

// iovecs per send; the kernel's limit is 1024, and a few dozen segments
// already fill a socket buffer.
inline constexpr int kMaxSendIovecs = 64;

// Output up to this size goes out as one contiguous send (IORING_OP_SEND),
// copied together if it is in several pieces (a WebSocket header and a
// shared frame): cheaper for the kernel than a sendmsg, which copies in the
// msghdr and imports the iovec array first.
inline constexpr std::size_t kSendStageBytes = 1024;

// One socket's send, filled in by its owner.
struct SendRequest {
  msghdr msg{};
  iovec iov[kMaxSendIovecs];
  std::size_t offered = 0;                     // bytes the iovecs hold
  alignas(64) uint8_t stage[kSendStageBytes];  // SendBatch's copy of small output
};

class SendBatch {
 public:
  // The result of a send that was never submitted (the ring failed).
  static constexpr int kNotSent = -1'000'000;

  // Sets up a ring of `capacity` entries; call on the thread that will send.
  explicit SendBatch(unsigned capacity);
  ~SendBatch();
  SendBatch(const SendBatch&) = delete;
  SendBatch& operator=(const SendBatch&) = delete;

  bool available() const { return ring_ != nullptr; }
  unsigned capacity() const { return static_cast<unsigned>(requests_.size()); }
  // Request slot i, 0 <= i < capacity().
  SendRequest& request(unsigned i) { return requests_[i]; }

  // Sends request i on fds[i] for every i < fds.size() <= capacity(), in one
  // submission, and stores in results[i] the bytes sent or -errno (kNotSent
  // if the ring failed before taking it: the caller sends it itself; the
  // ring is then shut and available() turns false).
  void send(std::span<const int> fds, std::span<int> results);

  // Sends for every item of a random-access range, capacity() per
  // submission: prepare(item, request) fills the request and returns the
  // socket, or -1 to skip the item; complete(item, request, result) gets
  // each prepared item's result, after its submission. complete may add to
  // other containers but must not change `items`. Returns the number of
  // submissions made.
  template <class Items, class Prepare, class Complete>
  unsigned send_all(Items& items, Prepare&& prepare, Complete&& complete) {
    unsigned submissions = 0;
    std::size_t next = 0;
    while (next < items.size()) {
      unsigned count = 0;
      for (; next < items.size() && count < capacity(); ++next) {
        const int fd = prepare(items[next], requests_[count]);
        if (fd < 0) continue;
        fds_[count] = fd;
        picked_[count] = next;
        ++count;
      }
      if (count == 0) continue;
      send(std::span(fds_).first(count), results_);
      ++submissions;
      for (unsigned i = 0; i < count; ++i) complete(items[picked_[i]], requests_[i], results_[i]);
    }
    return submissions;
  }

 private:
  struct Ring;
  static void prepare(io_uring_sqe* sqe, int fd, SendRequest& request);
  void reap(unsigned expected, std::span<int> results);
  void shut();

  std::unique_ptr<Ring> ring_;
  std::vector<SendRequest> requests_;
  // send_all's bookkeeping, capacity() each.
  std::vector<int> fds_;
  std::vector<std::size_t> picked_;
  std::vector<int> results_;
};

}  // namespace citadel::net
