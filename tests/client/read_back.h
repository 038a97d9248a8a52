// Reading the client library's encoded messages back with the generated
// FlatBuffers code, as the server reads them, and building replies the way
// the server builds them (storage_messages_test, leaderboard_messages_test).
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "protocol/verified_payload.h"

namespace citadel::client::test {

// A payload read back with the generated code; the payload lives as long as
// the table read from it.
template <class Table>
struct ReadBack {
  explicit ReadBack(std::vector<uint8_t> bytes)
      : payload(std::move(bytes)), table(protocol::verified_root<Table>(payload)) {}
  const Table* operator->() const { return table; }
  bool ok() const { return table != nullptr; }

  std::vector<uint8_t> payload;
  const Table* table;
};

// A string field's text, "<absent>" when the field was left out (so a test
// tells an absent field from an empty one).
inline std::string field_text(const flatbuffers::String* s) {
  return s == nullptr ? "<absent>" : std::string(s->string_view());
}

// The finished buffer's bytes.
inline std::vector<uint8_t> finished_bytes(flatbuffers::FlatBufferBuilder& b) {
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

}  // namespace citadel::client::test
