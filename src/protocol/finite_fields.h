// Non-finite numbers (NaN, +inf, -inf) in a client's message. The FlatBuffers
// verifier checks offsets and lengths, not values: a float field may hold
// any bit pattern, and one NaN in game state spreads (NaN + 1 is NaN, and
// NaN != NaN makes it look changed on every tick). So every float and
// double a client sends is checked before game code sees it.
//
// The check walks the table with the schema's mini-reflection tables (flatc
// --reflect-names), so it covers every float field, nested tables, structs
// and vectors included, without code per message. A table with no float
// anywhere in it is not walked at all.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <span>
#include <string>

namespace citadel::protocol {

// True if `type` or anything it contains has a float or double field.
bool has_float_fields(const flatbuffers::TypeTable* type);

// The name of the first field holding a non-finite float or double in the
// verified buffer (with its index for a vector element, e.g. "path[3]"), or
// an empty string when every number is finite. Only for buffers that passed
// the verifier.
std::string first_non_finite_field(const uint8_t* verified_buffer,
                                   const flatbuffers::TypeTable* type);

// For a generated table type (its schema compiled with flatc
// --reflect-names): the same, with the float scan skipped for tables that
// have no float in them.
template <class Table>
std::string first_non_finite_field(std::span<const uint8_t> verified_payload) {
  static_assert(
      requires { Table::MiniReflectTypeTable(); },
      "compile the schema with flatc --reflect-names, so its floats can be checked");
  static const bool has_floats = has_float_fields(Table::MiniReflectTypeTable());
  if (!has_floats) return {};
  return first_non_finite_field(verified_payload.data(), Table::MiniReflectTypeTable());
}

}  // namespace citadel::protocol
