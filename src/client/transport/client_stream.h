// One client connection's wire, whatever the transport: the handshakes
// (TLS, the WebSocket upgrade, or both), then Citadel frames in and out.
// I/O-free, like the pieces it joins (net::tls::TlsSession,
// WsClientHandshake, WsServerFrames, ws_client_frames.h): the owner keeps
// the socket, sends what lands in `out`, and feeds what it reads. The
// library's asio Connection and citadel-bench's epoll engines both drive it.
//
//   tcp  frames as they are
//   ws   the upgrade, then each frame as one masked binary message
//   tls  the TLS handshake, then frames inside TLS
//   wss  the TLS handshake, the upgrade inside it, then messages inside TLS
//
// Outgoing frames take two steps, so a caller can batch: append_frame()
// writes a frame in the stream's framing (plain bytes), and for tls and wss
// seal() encrypts a run of them with one SSL_write (as many records as it
// takes). Bytes the stream must send by itself (handshake records, the
// upgrade request, a pong, the answer to a close) are appended to the `out`
// given to start() and receive(), ready for the socket (already sealed), and
// always whole: they can go between two sealed runs, or between two frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "client/transport/endpoint.h"
#include "client/transport/ws_client_frames.h"
#include "client/transport/ws_client_handshake.h"
#include "client/transport/ws_server_frames.h"
#include "net/tls/tls_context.h"
#include "net/tls/tls_session.h"

namespace citadel::client::transport {

struct StreamSettings {
  Transport transport = Transport::kTcp;
  std::string host;                  // the upgrade's Host header, "127.0.0.1:7777"
  std::string path = "/";            // the upgrade's request target
  net::tls::ContextPtr tls_context;  // tls, wss: from make_client_context()
};

// Receives the Citadel byte stream: frames, split anywhere.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // False stops the stream (the caller is closing).
  virtual bool on_stream_bytes(std::span<const uint8_t> bytes) = 0;
};

// The plaintext size of one frame with payload_bytes in this framing.
std::size_t framed_bytes(Transport t, std::size_t payload_bytes);
// Appends one frame in the transport's framing (a masked binary message for
// ws and wss, with a fresh key from `keys`), not yet sealed.
void append_framed(Transport t, MaskKeys& keys, std::vector<uint8_t>& out, uint16_t cmd,
                   std::span<const uint8_t> payload);

class ClientStream final : private WsServerFrameHandler {
 public:
  enum class Status : uint8_t {
    kHandshaking,
    kOpen,
    kClosed,  // the server closed (WebSocket close, TLS close_notify): error() says how
    kFailed,  // a handshake was refused or the server broke a protocol: error()
  };

  // `settings` must outlive the stream (one copy serves every connection).
  explicit ClientStream(const StreamSettings& settings);
  ~ClientStream() override;
  ClientStream(const ClientStream&) = delete;
  ClientStream& operator=(const ClientStream&) = delete;

  // Once, right after the TCP connect: appends the first bytes to send (a
  // ClientHello, or the upgrade request). tcp is open at once.
  Status start(std::vector<uint8_t>& out);

  // Bytes read from the socket. Citadel bytes go to `sink`; bytes to send
  // back are appended to `out`. `scratch` receives decrypted records (tls,
  // wss; 16 KiB or more is best): one buffer can serve every stream of a
  // thread.
  Status receive(std::span<const uint8_t> wire, std::span<uint8_t> scratch,
                 std::vector<uint8_t>& out, StreamSink& sink);

  // See framed_bytes() and append_framed(); only once open.
  void append_frame(std::vector<uint8_t>& plain, uint16_t cmd, std::span<const uint8_t> payload);
  // tls, wss: encrypts `plain` (one SSL_write) and appends the records to
  // `out`. tcp, ws: appends `plain` unchanged. False if encryption failed.
  bool seal(std::span<const uint8_t> plain, std::vector<uint8_t>& out);
  // A polite end: a WebSocket close (1000), then a TLS close_notify.
  void close(std::vector<uint8_t>& out);

  Transport transport() const { return settings_->transport; }
  bool encrypted() const { return tls_ != nullptr; }
  Status status() const { return status_; }
  const std::string& error() const { return error_; }
  // "TLSv1.3" once the TLS handshake is done; "" otherwise.
  std::string tls_version() const;

 private:
  bool process_plain(std::span<const uint8_t> plain);
  void tls_established();
  void send_plain(std::span<const uint8_t> plain);
  void drain_ciphertext(std::vector<uint8_t>& out);
  void set_failed(std::string why);
  bool on_message_bytes(std::span<const uint8_t> bytes) override;
  bool on_control(uint8_t opcode, std::span<const uint8_t> payload) override;

  const StreamSettings* settings_;
  std::unique_ptr<net::tls::TlsSession> tls_;
  std::unique_ptr<WsClientHandshake> upgrade_;  // while the upgrade is in progress
  WsServerFrames frames_;
  MaskKeys keys_;
  Status status_ = Status::kHandshaking;
  bool tls_established_ = false;
  std::string error_;
  // Valid during receive() only.
  StreamSink* sink_ = nullptr;
  std::vector<uint8_t>* out_ = nullptr;
};

}  // namespace citadel::client::transport
