// Cuts a byte stream into frames. Frames may arrive split across any number of
// reads or many in one read; whole frames are delivered straight from the
// caller's buffer (no copy), and only an incomplete tail is kept between feeds.
//
// The header is validated as early as the bytes allow: the magic after 2 bytes,
// the length after 8, before any memory is reserved for the payload. So a peer
// that declares a 4 GiB frame costs nothing.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "protocol/wire.h"

namespace citadel::protocol {

enum class DecodeError : uint8_t { kNone, kBadMagic, kFrameTooLarge };

// What feed() did: the error that stopped it (kNone if none), and whether the
// frame callback asked to stop early.
struct FeedResult {
  DecodeError error = DecodeError::kNone;
  bool stopped = false;
};

class FrameReader {
 public:
  explicit FrameReader(uint32_t max_payload_bytes = kDefaultMaxPayloadBytes)
      : max_payload_(max_payload_bytes) {}

  // Feeds the next bytes of the stream. Calls `on_frame(const FrameView&) -> bool`
  // for every complete frame, in order; returning false stops decoding (the
  // remaining bytes are dropped: the caller is closing the stream). On a protocol
  // error no further frames are delivered and the reader must not be fed again.
  template <class OnFrame>
  FeedResult feed(std::span<const uint8_t> bytes, OnFrame&& on_frame);

  // Bytes held for an incomplete frame.
  std::size_t buffered_bytes() const { return partial_.size(); }
  // Capacity held between frames (memory cost of this reader).
  std::size_t capacity_bytes() const { return partial_.capacity(); }
  uint32_t max_payload_bytes() const { return max_payload_; }
  void set_max_payload_bytes(uint32_t v) { max_payload_ = v; }

 private:
  // Tails bigger than this are released once consumed, so one large frame does
  // not pin memory on an otherwise idle connection.
  static constexpr std::size_t kRetainedCapacityBytes = 512;

  DecodeError check_prefix(const uint8_t* p, std::size_t n) const;
  void release_partial();

  uint32_t max_payload_;
  std::vector<uint8_t> partial_;
};

inline DecodeError FrameReader::check_prefix(const uint8_t* p, std::size_t n) const {
  if (n >= 2 && load_be16(p) != kMagic) return DecodeError::kBadMagic;
  if (n >= kHeaderBytes && load_be32(p + 4) > max_payload_) return DecodeError::kFrameTooLarge;
  return DecodeError::kNone;
}

inline void FrameReader::release_partial() {
  if (partial_.capacity() > kRetainedCapacityBytes) {
    std::vector<uint8_t>().swap(partial_);
  } else {
    partial_.clear();
  }
}

template <class OnFrame>
FeedResult FrameReader::feed(std::span<const uint8_t> bytes, OnFrame&& on_frame) {
  const uint8_t* p = bytes.data();
  std::size_t n = bytes.size();

  // 1. Finish a frame started by an earlier feed.
  if (!partial_.empty()) {
    if (partial_.size() < kHeaderBytes) {
      const std::size_t take = std::min(kHeaderBytes - partial_.size(), n);
      partial_.insert(partial_.end(), p, p + take);
      p += take;
      n -= take;
      if (auto e = check_prefix(partial_.data(), partial_.size()); e != DecodeError::kNone) {
        return {e, false};
      }
      if (partial_.size() < kHeaderBytes) return {};
      partial_.reserve(kHeaderBytes + load_be32(partial_.data() + 4));
    }
    const std::size_t want = kHeaderBytes + load_be32(partial_.data() + 4);
    const std::size_t take = std::min(want - partial_.size(), n);
    partial_.insert(partial_.end(), p, p + take);
    p += take;
    n -= take;
    if (partial_.size() < want) return {};
    const FrameView frame{
        load_be16(partial_.data() + 2),
        std::span<const uint8_t>(partial_.data() + kHeaderBytes, want - kHeaderBytes)};
    const bool keep_going = on_frame(frame);
    release_partial();
    if (!keep_going) return {DecodeError::kNone, true};
  }

  // 2. Whole frames straight from the caller's buffer.
  while (n >= kHeaderBytes) {
    if (auto e = check_prefix(p, n); e != DecodeError::kNone) return {e, false};
    const std::size_t len = load_be32(p + 4);
    if (n - kHeaderBytes < len) break;
    const FrameView frame{load_be16(p + 2), std::span<const uint8_t>(p + kHeaderBytes, len)};
    p += kHeaderBytes + len;
    n -= kHeaderBytes + len;
    if (!on_frame(frame)) return {DecodeError::kNone, true};
  }

  // 3. Keep the incomplete tail, validated as far as it goes.
  if (n > 0) {
    if (auto e = check_prefix(p, n); e != DecodeError::kNone) return {e, false};
    if (n >= kHeaderBytes) partial_.reserve(kHeaderBytes + load_be32(p + 4));
    partial_.assign(p, p + n);
  }
  return {};
}

}  // namespace citadel::protocol
