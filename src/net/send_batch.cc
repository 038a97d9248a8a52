#include "net/send_batch.h"

#include <liburing.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

namespace citadel::net {

struct SendBatch::Ring {
  io_uring ring{};
};

namespace {
// SUBMIT_ALL: one bad send must not stop the rest of the batch from being
// submitted. SINGLE_ISSUER and COOP_TASKRUN: only this thread submits, and it
// needs no interrupt to learn of completions (they are all inline).
int init_ring(io_uring& ring, unsigned entries) {
  io_uring_params params{};
  params.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN;
  int r = io_uring_queue_init_params(entries, &ring, &params);
  if (r == -EINVAL) {  // a kernel older than 6.0 lacks some of the flags
    params = io_uring_params{};
    params.flags = IORING_SETUP_SUBMIT_ALL;
    r = io_uring_queue_init_params(entries, &ring, &params);
  }
  return r;
}
}  // namespace

SendBatch::SendBatch(unsigned capacity) {
  auto ring = std::make_unique<Ring>();
  const int r = init_ring(ring->ring, capacity);
  if (r < 0) {
    spdlog::info("io_uring unavailable ({}): sending with one sendmsg per socket",
                 std::strerror(-r));
    return;
  }
  ring_ = std::move(ring);
  requests_.resize(capacity);
  for (auto& req : requests_) req.msg.msg_iov = req.iov;
  fds_.resize(capacity);
  picked_.resize(capacity);
  results_.resize(capacity);
}

SendBatch::~SendBatch() {
  shut();
}

void SendBatch::shut() {
  if (ring_) io_uring_queue_exit(&ring_->ring);
  ring_.reset();
}

// One piece, or small output in several: IORING_OP_SEND of one buffer.
// Else a sendmsg of the iovecs.
void SendBatch::prepare(io_uring_sqe* sqe, int fd, SendRequest& request) {
  constexpr int kFlags = MSG_NOSIGNAL | MSG_DONTWAIT;
  const auto pieces = request.msg.msg_iovlen;
  if (pieces == 1) {
    io_uring_prep_send(sqe, fd, request.iov[0].iov_base, request.iov[0].iov_len, kFlags);
    return;
  }
  std::size_t total = 0;
  for (std::size_t i = 0; i < pieces; ++i) total += request.iov[i].iov_len;
  if (total <= kSendStageBytes) {
    std::size_t at = 0;
    for (std::size_t i = 0; i < pieces; ++i) {
      std::memcpy(request.stage + at, request.iov[i].iov_base, request.iov[i].iov_len);
      at += request.iov[i].iov_len;
    }
    io_uring_prep_send(sqe, fd, request.stage, at, kFlags);
  } else {
    io_uring_prep_sendmsg(sqe, fd, &request.msg, kFlags);
  }
}

void SendBatch::send(std::span<const int> fds, std::span<int> results) {
  const auto count = static_cast<unsigned>(fds.size());
  if (!ring_) {
    for (unsigned i = 0; i < count; ++i) results[i] = kNotSent;
    return;
  }
  io_uring& ring = ring_->ring;
  for (unsigned i = 0; i < count; ++i) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);  // never null: count <= capacity, SQ empty
    prepare(sqe, fds[i], requests_[i]);
    io_uring_sqe_set_data64(sqe, i);
    results[i] = kNotSent;
  }
  unsigned submitted = 0;
  while (submitted < count) {
    const int r = io_uring_submit(&ring);
    if (r > 0) {
      submitted += static_cast<unsigned>(r);
    } else if (r == -EINTR || r == -EAGAIN || r == -EBUSY) {
      reap(0, results);  // make room in the completion queue, then retry
    } else {
      // Sends still in the submission queue would go out with a later batch,
      // pointing at reused slots: collect what was taken and shut the ring.
      spdlog::error("io_uring submit failed ({}): falling back to sendmsg", std::strerror(-r));
      reap(submitted, results);
      shut();
      return;
    }
  }
  reap(count, results);
}

// Collects completions until `expected` sends have reported (waiting only for
// sends the kernel did not finish inline, which MSG_DONTWAIT rules out in
// practice), or just what is ready when expected is 0.
void SendBatch::reap(unsigned expected, std::span<int> results) {
  io_uring& ring = ring_->ring;
  unsigned seen = 0;
  for (;;) {
    io_uring_cqe* cqe = nullptr;
    unsigned head = 0;
    unsigned batch = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      const auto i = static_cast<unsigned>(io_uring_cqe_get_data64(cqe));
      if (i < results.size()) results[i] = cqe->res;
      ++batch;
    }
    io_uring_cq_advance(&ring, batch);
    seen += batch;
    if (seen >= expected) return;
    const int r = io_uring_wait_cqe(&ring, &cqe);
    if (r < 0 && r != -EINTR) {
      spdlog::critical("io_uring wait failed ({}) with sends outstanding", std::strerror(-r));
      std::abort();  // buffers still referenced by the kernel may not be reused
    }
  }
}

}  // namespace citadel::net
