// Turns a frame's payload into a FlatBuffers table only after the verifier
// has checked every offset and length in it: a handler never reads a byte
// the peer could point outside the payload.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>
#include <vector>

namespace citadel::protocol {

// Limits for one payload: nesting depth and table count. A 64 KiB payload
// cannot legitimately hold more tables than this.
inline constexpr flatbuffers::uoffset_t kMaxVerifierDepth = 32;
inline constexpr flatbuffers::uoffset_t kMaxVerifierTables = 16 * 1024;

// Frames sit at any offset in the read buffer, and FlatBuffers reads scalars
// in place, so a misaligned payload is first copied into this thread's
// aligned scratch space (reused: no allocation per message).
inline std::span<const uint8_t> aligned_payload(std::span<const uint8_t> payload) {
  // Empty: nothing to copy (and memcpy into an empty vector's null data()
  // would be undefined, even for 0 bytes).
  if (payload.empty()) return payload;
  if (reinterpret_cast<uintptr_t>(payload.data()) % alignof(uint64_t) == 0) return payload;
  thread_local std::vector<uint64_t> scratch;
  scratch.resize((payload.size() + sizeof(uint64_t) - 1) / sizeof(uint64_t));
  std::memcpy(scratch.data(), payload.data(), payload.size());
  return {reinterpret_cast<const uint8_t*>(scratch.data()), payload.size()};
}

// Returns the verified root table, or nullptr if the payload is not a valid
// `Table` buffer. The pointer is valid while `payload`'s bytes (or this
// thread's scratch, for a misaligned payload) are unchanged.
template <class Table>
const Table* verified_root(std::span<const uint8_t> payload) {
  const auto bytes = aligned_payload(payload);
  if (bytes.empty()) return nullptr;
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), kMaxVerifierDepth, kMaxVerifierTables);
  if (!verifier.VerifyBuffer<Table>(nullptr)) return nullptr;
  return flatbuffers::GetRoot<Table>(bytes.data());
}

// The first `limit` elements of a verified vector of 8-byte scalars, copied
// bytewise. FlatBuffers' verifier (2.0.8) checks a vector's length field
// for 4-byte alignment but not its 8-byte elements, so a crafted payload
// can put them 4 bytes off, where reading them in place (begin(), operator[])
// is undefined behaviour.
template <class T>
std::vector<T> copy_scalars(const flatbuffers::Vector<T>& v,
                            std::size_t limit = static_cast<std::size_t>(-1)) {
  static_assert(std::is_arithmetic_v<T>);
  std::vector<T> out(std::min<std::size_t>(v.size(), limit));
  if (!out.empty()) std::memcpy(out.data(), v.Data(), out.size() * sizeof(T));
  for (T& x : out) x = flatbuffers::EndianScalar(x);
  return out;
}

}  // namespace citadel::protocol
