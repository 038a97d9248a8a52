// Reading a string field of a received message. Every string field of the
// schemas is optional on the wire: a client may leave it out. Handlers read
// an absent field as "" rather than branching on null at every use.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <string_view>

namespace citadel::protocol {

inline std::string_view text_of(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : s->string_view();
}

}  // namespace citadel::protocol
