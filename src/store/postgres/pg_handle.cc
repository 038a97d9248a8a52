#include "store/postgres/pg_handle.h"

#include <cstdlib>

namespace citadel::store::pg {
namespace {

std::string one_line(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

}  // namespace

std::string error_message(const PGconn* conn) {
  return one_line(PQerrorMessage(conn));
}

std::string error_message(const PGresult* result) {
  return one_line(PQresultErrorMessage(result));
}

std::string text_at(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column)) return {};
  return {PQgetvalue(result, row, column),
          static_cast<std::size_t>(PQgetlength(result, row, column))};
}

int64_t int64_at(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column)) return 0;
  return std::strtoll(PQgetvalue(result, row, column), nullptr, 10);
}

bool bool_at(const PGresult* result, int row, int column) {
  return !PQgetisnull(result, row, column) && PQgetvalue(result, row, column)[0] == 't';
}

}  // namespace citadel::store::pg
