// Small helpers the black-box admin suites share for talking frames to the
// real server: a builder's bytes, and the next frame of one cmd.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <optional>
#include <span>

#include "fixture.h"

namespace citadel::test {

inline std::span<const uint8_t> bytes_of(const flatbuffers::FlatBufferBuilder& fbb) {
  return {fbb.GetBufferPointer(), fbb.GetSize()};
}

// The next frame with cmd `want`, skipping pushes and pings in between (at
// most `max_skipped` of them); nullopt when none arrives in `wait`.
inline std::optional<Frame> next_of(TestClient& c, uint16_t want,
                                    std::chrono::milliseconds wait = 5s, int max_skipped = 200) {
  for (int i = 0; i <= max_skipped; ++i) {
    const ReadResult r = c.read_frame(wait);
    if (r.status != ReadStatus::kFrame) return std::nullopt;
    if (r.frame.cmd == want) return r.frame;
  }
  return std::nullopt;
}

}  // namespace citadel::test
