// The JSON form of application messages (FlatBuffers' schema-based JSON), for
// citadel-cli, tests and debugging. Not used on the server's message path.
// Not thread-safe: one codec per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flatbuffers {
class Parser;
}

namespace citadel::protocol {

class JsonCodec {
 public:
  // Parses the schemas compiled into the binary. Throws std::runtime_error if
  // they do not parse (a build error, not a user error).
  JsonCodec();
  ~JsonCodec();

  // JSON text -> payload for cmd's table. On failure returns false and sets
  // `error` (unknown cmd, a cmd without a table, or the parser's message).
  bool to_binary(uint16_t cmd, std::string_view json, std::vector<uint8_t>& out,
                 std::string& error);
  // Payload -> JSON text. The payload is verified first; on failure returns
  // false and sets `error`.
  bool to_json(uint16_t cmd, std::span<const uint8_t> payload, std::string& out,
               std::string& error);

 private:
  std::unique_ptr<flatbuffers::Parser> parser_;
};

}  // namespace citadel::protocol
