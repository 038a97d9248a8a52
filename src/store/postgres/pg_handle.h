// RAII for libpq handles: a connection and a result, each in a unique_ptr
// with its own deleter, plus small helpers for binary parameters.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>

namespace citadel::store::pg {

struct ConnCloser {
  void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
};
using Conn = std::unique_ptr<PGconn, ConnCloser>;

struct ResultClearer {
  void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultClearer>;

// Type oids of the parameters we send (pg_type.h is a server header).
inline constexpr Oid kInt8Oid = 20;
inline constexpr Oid kTextOid = 25;

// An int64 as PostgreSQL's binary int8: 8 bytes, big-endian.
struct BinaryInt8 {
  explicit BinaryInt8(int64_t value) {
    auto v = static_cast<uint64_t>(value);
    for (int i = 7; i >= 0; --i) {
      bytes[i] = static_cast<char>(v & 0xff);
      v >>= 8;
    }
  }
  char bytes[8];
};

// The connection's last error, on one line (libpq ends it with a newline).
std::string error_message(const PGconn* conn);
// A result's error, on one line.
std::string error_message(const PGresult* result);

// Column helpers for text-format results; NULL reads as "" or 0.
std::string text_at(const PGresult* result, int row, int column);
int64_t int64_at(const PGresult* result, int row, int column);
bool bool_at(const PGresult* result, int row, int column);

}  // namespace citadel::store::pg
