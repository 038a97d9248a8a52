// What the client library's message codecs (auth, storage, leaderboard)
// share to read and build FlatBuffers: internal to src/client.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace citadel::client::fb_io {

// A string field, "" when absent.
inline std::string copy(const flatbuffers::String* s) {
  return s == nullptr ? std::string() : std::string(s->string_view());
}

// The finished buffer's bytes.
inline std::vector<uint8_t> finish(flatbuffers::FlatBufferBuilder& b) {
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

inline flatbuffers::Offset<flatbuffers::String> string(flatbuffers::FlatBufferBuilder& b,
                                                       std::string_view s) {
  return b.CreateString(s.data(), s.size());
}

}  // namespace citadel::client::fb_io
