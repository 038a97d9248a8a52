#include "app/store_conflicts_admin.h"

#include <fmt/format.h>

#include "ops/json_escape.h"

namespace citadel::app {
namespace {

using Answer = ops::admin::AdminSources::AdminAnswer;

// The database could not be asked: the operator retries later.
Answer unavailable(const std::string& error) {
  return {503, "PostgreSQL: " + error + "\n", "text/plain; charset=utf-8"};
}

void append_row(std::string& out, const store::wb::ConflictRow& c) {
  out += fmt::format(R"({{"id":{},"collection":)", c.id);
  ops::append_json_quoted(out, c.collection);
  out += R"(,"key":)";
  ops::append_json_quoted(out, c.key);
  out += fmt::format(R"(,"owner":{},"op":"{}","value":)", c.owner_id,
                     c.is_delete ? "delete" : "write");
  // The value is kept as written (a JSON object's text): quoted, so a
  // client reads it exactly, whatever it holds.
  if (c.value) {
    ops::append_json_quoted(out, *c.value);
  } else {
    out += "null";
  }
  out +=
      fmt::format(R"(,"base_version":{},"version":{},"found_version":{},"at_unix_ms":{},"log_id":)",
                  c.base_version, c.version, c.found_version, c.at_unix_ms);
  ops::append_json_quoted(out, c.log_id);
  out += fmt::format(R"(,"seq":{}}})", c.seq);
}

}  // namespace

std::string conflicts_json(const std::vector<store::wb::ConflictRow>& rows, uint32_t limit) {
  std::string out = R"({"conflicts":[)";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i > 0) out += ',';
    append_row(out, rows[i]);
  }
  out += R"(],"next_after":)";
  out += !rows.empty() && rows.size() >= limit ? std::to_string(rows.back().id) : "null";
  out += "}\n";
  return out;
}

void wire_store_conflicts(ops::admin::AdminSources& sources, store::wb::ConflictAdmin& conflicts) {
  sources.list_store_conflicts = [&conflicts](int64_t after, uint32_t limit, auto done) {
    conflicts.list(after, limit, [limit, done = std::move(done)](store::wb::ConflictPage page) {
      if (!page.error.empty()) return done(unavailable(page.error));
      done(Answer{200, conflicts_json(page.rows, limit)});
    });
  };
  sources.dismiss_store_conflict = [&conflicts](int64_t id, auto done) {
    conflicts.dismiss(id, [id, done = std::move(done)](store::wb::DismissOutcome outcome) {
      if (!outcome.error.empty()) return done(unavailable(outcome.error));
      if (!outcome.found) {
        return done(Answer{404, fmt::format("no conflict {} (already dismissed?)\n", id),
                           "text/plain; charset=utf-8"});
      }
      done(Answer{200, fmt::format("conflict {} dismissed\n", id), "text/plain; charset=utf-8"});
    });
  };
}

}  // namespace citadel::app
