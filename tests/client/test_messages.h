// FlatBuffers payloads for tests, written in their JSON form (the same
// JsonCodec citadel-cli uses), so a test reads like the protocol docs.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/json_codec.h"

namespace citadel::client::test {

// The payload of `cmd` for `json`, as a string (FakePeer::send takes one).
// Throws on JSON that does not fit the cmd's table: a broken test.
inline std::string payload_of(uint16_t cmd, std::string_view json) {
  thread_local protocol::JsonCodec codec;
  std::vector<uint8_t> out;
  std::string error;
  if (!codec.to_binary(cmd, json, out, error)) {
    throw std::runtime_error("payload_of(" + std::to_string(cmd) + "): " + error);
  }
  return {out.begin(), out.end()};
}

inline std::vector<uint8_t> bytes_of(uint16_t cmd, std::string_view json) {
  const std::string p = payload_of(cmd, json);
  return {p.begin(), p.end()};
}

// The JSON form of a payload ("" if it does not decode).
inline std::string json_of(uint16_t cmd, std::string_view payload) {
  thread_local protocol::JsonCodec codec;
  std::string out;
  std::string error;
  codec.to_json(cmd, {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()}, out,
                error);
  return out;
}

}  // namespace citadel::client::test
