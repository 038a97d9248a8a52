#include "client/transport/client_stream.h"

#include "protocol/wire.h"

namespace citadel::client::transport {

namespace ws = net::websocket;
using net::tls::TlsSession;

std::size_t framed_bytes(Transport t, std::size_t payload_bytes) {
  return uses_websocket(t) ? citadel_message_bytes(payload_bytes)
                           : protocol::kHeaderBytes + payload_bytes;
}

void append_framed(Transport t, MaskKeys& keys, std::vector<uint8_t>& out, uint16_t cmd,
                   std::span<const uint8_t> payload) {
  if (uses_websocket(t)) {
    append_citadel_frame(out, cmd, payload, keys.next());
  } else {
    protocol::append_frame(out, cmd, payload);
  }
}

ClientStream::ClientStream(const StreamSettings& settings) : settings_(&settings) {}

ClientStream::~ClientStream() = default;

ClientStream::Status ClientStream::start(std::vector<uint8_t>& out) {
  out_ = &out;
  if (uses_tls(settings_->transport)) {
    tls_ = std::make_unique<TlsSession>(settings_->tls_context, /*server=*/false);
    uint8_t none[1];
    std::size_t n = 0;
    if (tls_->read(none, n) == TlsSession::Read::kFailed) set_failed(tls_->error());
    drain_ciphertext(out);  // the ClientHello
  } else if (uses_websocket(settings_->transport)) {
    upgrade_ = std::make_unique<WsClientHandshake>(settings_->host, settings_->path);
    const auto request = upgrade_->request_bytes();
    out.insert(out.end(), request.begin(), request.end());
  } else {
    status_ = Status::kOpen;
  }
  out_ = nullptr;
  return status_;
}

ClientStream::Status ClientStream::receive(std::span<const uint8_t> wire,
                                           std::span<uint8_t> scratch, std::vector<uint8_t>& out,
                                           StreamSink& sink) {
  if (status_ == Status::kClosed || status_ == Status::kFailed) return status_;
  sink_ = &sink;
  out_ = &out;
  if (!tls_) {
    process_plain(wire);
  } else {
    tls_->feed(wire);
    for (;;) {
      std::size_t n = 0;
      const TlsSession::Read r = tls_->read(scratch, n);
      if (!tls_established_ && tls_->handshake_done()) tls_established();
      if (r == TlsSession::Read::kData) {
        if (!process_plain(scratch.first(n))) break;
        continue;
      }
      if (r == TlsSession::Read::kPeerClosed) {
        status_ = Status::kClosed;
        error_ = "the server ended TLS (close_notify)";
      } else if (r == TlsSession::Read::kFailed) {
        set_failed(tls_->error());
      }
      break;
    }
    drain_ciphertext(out);
  }
  sink_ = nullptr;
  out_ = nullptr;
  return status_;
}

// False when nothing more may be read (closed, failed, or the sink stopped).
bool ClientStream::process_plain(std::span<const uint8_t> plain) {
  if (status_ == Status::kClosed || status_ == Status::kFailed) return false;
  if (upgrade_) {
    std::size_t used = 0;
    const auto result = upgrade_->feed(plain, used);
    if (result == WsClientHandshake::Result::kIncomplete) return true;
    if (result == WsClientHandshake::Result::kRefused) {
      set_failed(upgrade_->error());
      return false;
    }
    upgrade_.reset();
    status_ = Status::kOpen;
    plain = plain.subspan(used);
    if (plain.empty()) return true;
  }
  if (!uses_websocket(settings_->transport)) return sink_->on_stream_bytes(plain);
  switch (frames_.feed(plain, *this)) {
    case WsServerFrames::State::kOpen:
      return true;
    case WsServerFrames::State::kFailed: {
      std::vector<uint8_t> close;
      append_client_close(close, frames_.close_code(), frames_.error(), keys_.next());
      send_plain(close);
      set_failed("the server broke WebSocket framing: " + frames_.error());
      return false;
    }
    case WsServerFrames::State::kClosed:
    case WsServerFrames::State::kStopped:
      return false;
  }
  return false;
}

void ClientStream::tls_established() {
  tls_established_ = true;
  if (uses_websocket(settings_->transport)) {
    upgrade_ = std::make_unique<WsClientHandshake>(settings_->host, settings_->path);
    send_plain(upgrade_->request_bytes());
  } else {
    status_ = Status::kOpen;
  }
}

bool ClientStream::on_message_bytes(std::span<const uint8_t> bytes) {
  return sink_->on_stream_bytes(bytes);
}

bool ClientStream::on_control(uint8_t opcode, std::span<const uint8_t> payload) {
  std::vector<uint8_t> reply;  // rare: a pong or the answer to a close
  if (opcode == ws::opcode::kPing) {
    append_client_frame(reply, ws::opcode::kPong, payload, keys_.next());
    send_plain(reply);
  } else if (opcode == ws::opcode::kClose) {
    uint16_t code = ws::close_code::kNoStatus;
    std::string_view reason;
    if (payload.size() >= 2) {
      code = protocol::load_be16(payload.data());
      reason =
          std::string_view(reinterpret_cast<const char*>(payload.data()) + 2, payload.size() - 2);
    }
    // Echo the code, as the server does (1005 stands for an empty close).
    append_client_close(reply,
                        ws::is_valid_wire_close_code(code) ? code : ws::close_code::kNoStatus, {},
                        keys_.next());
    send_plain(reply);
    status_ = Status::kClosed;
    error_ = "the server closed the WebSocket (" + std::to_string(code) +
             (reason.empty() ? "" : ": " + std::string(reason)) + ")";
  }
  return true;
}

void ClientStream::append_frame(std::vector<uint8_t>& plain, uint16_t cmd,
                                std::span<const uint8_t> payload) {
  append_framed(settings_->transport, keys_, plain, cmd, payload);
}

bool ClientStream::seal(std::span<const uint8_t> plain, std::vector<uint8_t>& out) {
  if (!tls_) {
    out.insert(out.end(), plain.begin(), plain.end());
    return true;
  }
  if (!tls_->write(plain)) {
    set_failed(tls_->error());
    return false;
  }
  drain_ciphertext(out);
  return true;
}

void ClientStream::close(std::vector<uint8_t>& out) {
  out_ = &out;
  if (uses_websocket(settings_->transport) && status_ == Status::kOpen) {
    std::vector<uint8_t> close;
    append_client_close(close, ws::close_code::kNormal, {}, keys_.next());
    send_plain(close);
  }
  if (tls_) {
    tls_->close();
    drain_ciphertext(out);
  }
  if (status_ == Status::kOpen || status_ == Status::kHandshaking) {
    status_ = Status::kClosed;
    error_ = "closed by the client";
  }
  out_ = nullptr;
}

void ClientStream::send_plain(std::span<const uint8_t> plain) {
  if (tls_) {
    if (tls_->write(plain)) {
      drain_ciphertext(*out_);
    } else {
      set_failed(tls_->error());
    }
  } else {
    out_->insert(out_->end(), plain.begin(), plain.end());
  }
}

void ClientStream::drain_ciphertext(std::vector<uint8_t>& out) {
  for (std::size_t pending = tls_->pending_ciphertext(); pending > 0;
       pending = tls_->pending_ciphertext()) {
    const std::size_t at = out.size();
    out.resize(at + pending);
    const std::size_t taken = tls_->take_ciphertext(std::span<uint8_t>(out.data() + at, pending));
    out.resize(at + taken);
    if (taken == 0) break;
  }
}

void ClientStream::set_failed(std::string why) {
  if (status_ == Status::kFailed) return;
  status_ = Status::kFailed;
  error_ = std::move(why);
}

std::string ClientStream::tls_version() const {
  return tls_ && tls_->handshake_done() ? tls_->protocol_version() : std::string();
}

}  // namespace citadel::client::transport
