// One node link's socket, owned by one EventLoop for its whole life (issue
// 18, docs/fleet.md "Node links"). It reads link frames and hands each to
// its handler on the loop's thread; it queues what this node sends and
// writes it with one gather write per loop turn, however many players'
// frames the turn produced (the batching); it sends a heartbeat every
// `heartbeat` and closes a link whose peer has said nothing for `dead_after`
// (a peer that is gone without a FIN, a partition); and it closes a link
// whose peer does not read: output queued beyond max_output_bytes.
//
// Flow control is the queue's size, which the owner reads (queued_bytes)
// before it accepts more work for the link: a gateway refuses a player's
// frame with an error rather than queue past the soft limit, and the hard
// limit here bounds the memory a stuck peer can hold.
//
// A Deliver of shared frames to several of the peer's connections in a row
// (a room's broadcast) goes out as one link frame naming all of them, with
// the bytes once: deliver_in_loop() coalesces until a different frame, a
// different message or the turn's write.
//
// Dialling (connect_in_loop) or adopting an accepted socket (adopt_in_loop);
// either way on_link_open, frames, then on_link_closed exactly once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/event_loop.h"
#include "net/output_queue.h"
#include "net/shared_bytes.h"
#include "net/unique_fd.h"
#include "protocol/frame_reader.h"

namespace citadel::fleet::link {

class LinkConnection final : public net::IoHandler,
                             public std::enable_shared_from_this<LinkConnection> {
 public:
  class Handler {
   public:
    // The socket is connected (dialled) or adopted: the owner says Hello.
    virtual void on_link_open(LinkConnection& link) = 0;
    // One link frame that is not a heartbeat (those are answered here).
    virtual void on_link_frame(LinkConnection& link, uint16_t cmd,
                               std::span<const uint8_t> payload) = 0;
    // Closed, for the reason given: exactly once, also when a dial fails
    // before on_link_open. The owner may drop its last reference here.
    virtual void on_link_closed(LinkConnection& link, std::string_view why) = 0;

   protected:
    ~Handler() = default;
  };

  struct Options {
    std::chrono::milliseconds heartbeat{500};
    std::chrono::milliseconds dead_after{3000};
    std::chrono::milliseconds connect_timeout{2000};
    std::size_t max_output_bytes = std::size_t{64} << 20;
  };

  struct Counters {
    uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0, writes = 0;
    uint64_t delivers_coalesced = 0;  // ids added to a Deliver already queued
  };

  LinkConnection(net::EventLoop& loop, Handler& handler, Options options);
  ~LinkConnection();
  LinkConnection(const LinkConnection&) = delete;
  LinkConnection& operator=(const LinkConnection&) = delete;

  // Loop thread. Starts a non-blocking connect to host:port (an IPv4 or
  // IPv6 literal); on_link_open when connected, on_link_closed if not.
  void connect_in_loop(const std::string& host, uint16_t port);
  // Loop thread. Takes an accepted, non-blocking socket; on_link_open at once.
  void adopt_in_loop(net::UniqueFd fd);

  // Loop thread. Queues encoded link frames (written at the end of the turn).
  void send_in_loop(std::span<const uint8_t> frames);
  // Loop thread. Queues shared client frames for one of the peer's
  // connections, coalesced with the Deliver before it when the bytes are
  // the same object.
  void deliver_in_loop(uint64_t peer_connection_id, const net::SharedBytes& frames);
  // Loop thread. Queues client frames made for one connection only (a
  // reply), copied: one Deliver naming that connection.
  void deliver_copy_in_loop(uint64_t peer_connection_id, std::span<const uint8_t> frames);
  // Loop thread. Closes now (output not yet written is dropped).
  void close_in_loop(std::string_view why);

  bool open() const { return state_ == State::kOpen; }
  // Bytes queued and not yet written (flow control).
  std::size_t queued_bytes() const { return queue_.bytes() + pending_deliver_bytes(); }
  net::EventLoop& loop() { return loop_; }
  const Counters& counters() const { return counters_; }
  // Round trip of the last heartbeat answered (zero until one is).
  std::chrono::nanoseconds last_rtt() const { return last_rtt_; }

  void handle_events_in_loop(uint32_t events) override;

 private:
  enum class State : uint8_t { kIdle, kConnecting, kOpen, kClosed };

  void opened_in_loop();
  void read_in_loop();
  void write_in_loop();
  void schedule_write_in_loop();
  void materialise_deliver_in_loop();
  std::size_t pending_deliver_bytes() const;
  void heartbeat_in_loop();
  void on_frame_in_loop(const protocol::FrameView& frame);

  net::EventLoop& loop_;
  Handler& handler_;
  const Options options_;
  State state_ = State::kIdle;
  net::UniqueFd fd_;
  protocol::FrameReader reader_;
  net::OutputQueue queue_;
  std::vector<uint8_t> scratch_;  // encodes a heartbeat before it joins the queue
  // A Deliver's head. Not scratch_: send_in_loop(scratch_) materialises the
  // pending Deliver first, which must not overwrite the frame being sent
  // (it did: a heartbeat in the same turn as a coalesced Deliver corrupted
  // the stream).
  std::vector<uint8_t> head_;
  // The Deliver being gathered: these ids, these bytes.
  net::SharedBytes pending_frames_;
  std::vector<uint64_t> pending_ids_;
  bool write_scheduled_ = false;
  bool want_write_ = false;  // EPOLLOUT armed after a partial write
  net::EventLoop::Clock::time_point last_heard_{};
  uint64_t next_nonce_ = 0;
  uint64_t outstanding_nonce_ = 0;
  net::EventLoop::Clock::time_point nonce_sent_{};
  std::chrono::nanoseconds last_rtt_{0};
  std::optional<net::TimerQueue::TimerId> timer_;
  Counters counters_;
};

}  // namespace citadel::fleet::link
