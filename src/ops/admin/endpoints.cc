#include "ops/admin/endpoints.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>

#include <spdlog/spdlog.h>

#include <charconv>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>

#include "ops/admin/bearer_auth.h"
#include "ops/admin/core_metrics.h"
#include "ops/admin/cpu_profiler.h"
#include "ops/admin/health.h"
#include "ops/admin/leaderboard_record_path.h"
#include "ops/admin/metrics_writer.h"
#include "ops/admin/process_stats.h"

namespace citadel::ops::admin {
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

// Used when /debug/profile has no ?seconds= (as Go's net/http/pprof does).
constexpr uint32_t kDefaultProfileSeconds = 30;

// The value of `key` in a query string "a=1&b=2" (no percent-decoding: the
// only parameter is a number).
std::optional<std::string_view> query_param(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) {
      return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

}  // namespace

Response make_response(http::status status, unsigned http_version, std::string body,
                       std::string_view content_type) {
  Response res{status, http_version};
  res.set(http::field::server, "citadel-admin");
  res.set(http::field::content_type, content_type);
  // Every answer is live state: a cache in between must not keep it.
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

namespace {

// 405 with Allow: each path takes one method.
Response method_not_allowed(http::verb wanted, unsigned http_version) {
  const std::string_view name = http::to_string(wanted);
  Response res = make_response(http::status::method_not_allowed, http_version,
                               "only " + std::string(name) + " is served here\n");
  res.set(http::field::allow, name);
  return res;
}

// A query parameter that must be an integer in [low, high]; `fallback` when
// absent. nullopt when present but not such a number.
std::optional<int64_t> int_param(std::string_view query, std::string_view key, int64_t fallback,
                                 int64_t low, int64_t high) {
  const auto text = query_param(query, key);
  if (!text) return fallback;
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc{} || end != text->data() + text->size() || value < low || value > high) {
    return std::nullopt;
  }
  return value;
}

constexpr std::string_view kConflictsPath = "/store/conflicts";
// GET /store/conflicts without ?limit=, and the most one page holds.
constexpr int64_t kDefaultConflictsPage = 100;
constexpr int64_t kMaxConflictsPage = 1000;

}  // namespace

Endpoints::Endpoints(const AdminConfig& config, AdminSources sources,
                     std::vector<MetricsCollector> collectors)
    : config_(config), sources_(std::move(sources)), collectors_(std::move(collectors)) {}

Endpoints::Health Endpoints::health() const {
  HealthInputs in;
  in.draining = sources_.draining && sources_.draining();
  in.version = sources_.version;
  in.uptime = std::chrono::steady_clock::now() - sources_.started_steady;
  if (sources_.stats) in.stats = sources_.stats();
  if (sources_.fleet_member) in.fleet_member = sources_.fleet_member();
  in.process = read_process_stats(CountOpenFds::kNo);
  return {in.draining, health_ok(in), health_json(in)};
}

std::string Endpoints::metrics_text() const {
  MetricsWriter out;
  const bool draining = sources_.draining && sources_.draining();
  write_core_metrics(out, sources_, sources_.stats ? sources_.stats() : net::StatsSnapshot{},
                     draining);
  write_process_metrics(out, sources_, read_process_stats(CountOpenFds::kYes));
  for (const MetricsCollector& collect : collectors_) collect(out);
  return out.take();
}

asio::awaitable<Response> Endpoints::handle(const Request& request) {
  const unsigned version = request.version();
  if (!config_.token.empty()) {
    const auto it = request.find(http::field::authorization);
    if (it == request.end() ||
        !bearer_token_matches(std::string_view(it->value()), config_.token)) {
      Response res =
          make_response(http::status::unauthorized, version,
                        it == request.end() ? "missing bearer token\n" : "wrong bearer token\n");
      res.set(http::field::www_authenticate, "Bearer realm=\"citadel-admin\"");
      co_return res;
    }
  }

  const std::string_view target(request.target().data(), request.target().size());
  const std::size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);

  if (path == "/leaderboards" && sources_.create_leaderboard) {
    if (request.method() != http::verb::post) {
      co_return method_not_allowed(http::verb::post, version);
    }
    co_return co_await create_leaderboard(request.body(), version);
  }
  if (sources_.delete_leaderboard_record && is_leaderboard_record_path(path)) {
    co_return co_await delete_leaderboard_record(path, request.method(), version);
  }
  if (path == kConflictsPath || path.starts_with(std::string(kConflictsPath) + "/")) {
    co_return co_await store_conflicts(request.method(), path, query, version);
  }
  if (sources_.plugins_status &&
      (path == "/plugins" || path == "/plugins/load" || path == "/plugins/rollback")) {
    const http::verb wanted = path == "/plugins" ? http::verb::get : http::verb::post;
    if (request.method() != wanted) co_return method_not_allowed(wanted, version);
    if (path == "/plugins") {
      co_return make_response(http::status::ok, version, sources_.plugins_status(),
                              "application/json");
    }
    // 422: the library or the type was refused; nothing changed.
    ReloadAnswer answer = path == "/plugins/load" ? sources_.plugins_load(request.body())
                                                  : sources_.plugins_rollback(request.body());
    co_return make_response(answer.ok ? http::status::ok : http::status::unprocessable_entity,
                            version, std::move(answer.json), "application/json");
  }
  if (path == "/fleet/drain") {
    // Draining changes the node (it leaves the fleet): POST, as a reload.
    if (request.method() != http::verb::post) {
      co_return method_not_allowed(http::verb::post, version);
    }
    if (!sources_.fleet_drain) {
      co_return make_response(http::status::not_found, version,
                              "{\"ok\":false,\"error\":\"no fleet: fleet.etcd is not set, this "
                              "node runs alone; stop it with SIGTERM\"}\n",
                              "application/json");
    }
    ReloadAnswer answer = sources_.fleet_drain();
    co_return make_response(answer.ok ? http::status::accepted : http::status::conflict, version,
                            std::move(answer.json), "application/json");
  }
  if (path == "/fleet" || path == "/fleet/nodes") {
    if (request.method() != http::verb::get) co_return method_not_allowed(http::verb::get, version);
    if (!sources_.fleet_status) {
      co_return make_response(
          http::status::ok, version,
          std::string("{\"configured\":false,\"message\":\"no fleet: fleet.etcd is not set, this "
                      "node runs alone\"") +
              (path == "/fleet/nodes" ? ",\"nodes\":[]}\n" : "}\n"),
          "application/json");
    }
    co_return make_response(http::status::ok, version,
                            path == "/fleet" ? sources_.fleet_status() : sources_.fleet_nodes(),
                            "application/json");
  }
  const bool config_paths =
      sources_.config_status && (path == "/config" || path == "/config/reload");
  const bool known =
      path == "/health" || path == "/metrics" || path == "/debug/profile" || config_paths;
  if (!known) {
    co_return make_response(
        http::status::not_found, version,
        "no such endpoint; try /health, /metrics, /config, /config/reload, /plugins, "
        "/store/conflicts, /fleet, /fleet/nodes, /fleet/drain or /debug/profile\n");
  }
  // Reloading changes the server, so it takes POST; everything else only reads.
  const http::verb wanted = path == "/config/reload" ? http::verb::post : http::verb::get;
  if (request.method() != wanted) co_return method_not_allowed(wanted, version);
  if (path == "/config") {
    co_return make_response(http::status::ok, version, sources_.config_status(),
                            "application/json");
  }
  if (path == "/config/reload") {
    // The file is read and checked on this (admin) thread; the live keys
    // are posted to their loops, never waited on. 422: the file is wrong,
    // nothing changed.
    ReloadAnswer answer = sources_.config_reload();
    co_return make_response(answer.ok ? http::status::ok : http::status::unprocessable_entity,
                            version, std::move(answer.json), "application/json");
  }

  if (path == "/health") {
    Health h = health();
    // 503 while draining, so a load balancer stops sending new players here
    // while the ones already connected finish; and, with a fleet, while the
    // node is not a member (it must not be sent players it cannot own).
    co_return make_response(h.ok ? http::status::ok : http::status::service_unavailable, version,
                            std::move(h.json), "application/json");
  }
  if (path == "/metrics") {
    co_return make_response(http::status::ok, version, metrics_text(), kPrometheusTextContentType);
  }
  co_return co_await profile(query, version);
}

// The answer of a call to another thread's service. The coroutine that
// made the call polls the slot rather than being posted to the admin
// executor: the service may answer after the admin server has stopped, when
// posting to its executor would no longer be safe. These calls are rare; a
// few wake-ups a request cost nothing.
struct Endpoints::AnswerSlot {
  std::mutex mutex;
  std::optional<AdminSources::AdminAnswer> answer;
};

std::shared_ptr<Endpoints::AnswerSlot> Endpoints::start_call(
    const std::function<void(AdminSources::AdminAnswerDone)>& call) {
  auto slot = std::make_shared<AnswerSlot>();
  call([slot](AdminSources::AdminAnswer answer) {
    std::lock_guard lock(slot->mutex);
    slot->answer = std::move(answer);
  });
  return slot;
}

asio::awaitable<Response> Endpoints::create_leaderboard(std::string body, unsigned version) {
  // Named, not a temporary of the co_await below: g++ 12 may destroy a
  // temporary of a co_await's full-expression twice.
  const auto slot = start_call([&](AdminSources::AdminAnswerDone done) {
    sources_.create_leaderboard(std::move(body),
                                [done = std::move(done)](unsigned status, std::string text) {
                                  done({status, text + "\n", "text/plain; charset=utf-8"});
                                });
  });
  co_return co_await await_answer(
      slot, version, "the server did not answer in time; the board may have been made\n");
}

asio::awaitable<Response> Endpoints::delete_leaderboard_record(std::string_view path,
                                                               http::verb method,
                                                               unsigned version) {
  if (method != http::verb::delete_) co_return method_not_allowed(http::verb::delete_, version);
  std::string error;
  auto parsed = parse_leaderboard_record_path(path, error);
  if (!parsed) co_return make_response(http::status::bad_request, version, error + "\n");
  const auto slot = start_call([&](AdminSources::AdminAnswerDone done) {
    sources_.delete_leaderboard_record(std::move(parsed->board_id), parsed->user_id,
                                       [done = std::move(done)](unsigned status, std::string text) {
                                         done({status, text + "\n", "text/plain; charset=utf-8"});
                                       });
  });
  co_return co_await await_answer(
      slot, version, "the server did not answer in time; the record may have been deleted\n");
}

asio::awaitable<Response> Endpoints::store_conflicts(http::verb method, std::string_view path,
                                                     std::string_view query, unsigned version) {
  if (!sources_.list_store_conflicts) {
    co_return make_response(http::status::not_found, version,
                            "write-behind is not configured (store.write_behind.enabled): no "
                            "conflicts to show\n");
  }
  if (path == kConflictsPath) {
    if (method != http::verb::get) co_return method_not_allowed(http::verb::get, version);
    const auto limit = int_param(query, "limit", kDefaultConflictsPage, 1, kMaxConflictsPage);
    const auto after = int_param(query, "after", 0, 0, std::numeric_limits<int64_t>::max());
    if (!limit || !after) {
      co_return make_response(http::status::bad_request, version,
                              "limit must be an integer from 1 to " +
                                  std::to_string(kMaxConflictsPage) +
                                  ", after a conflict id (0 or more)\n");
    }
    const auto slot = start_call([&](AdminSources::AdminAnswerDone done) {
      sources_.list_store_conflicts(*after, static_cast<uint32_t>(*limit), std::move(done));
    });
    co_return co_await await_answer(slot, version, "PostgreSQL did not answer in time\n");
  }
  if (method != http::verb::delete_) co_return method_not_allowed(http::verb::delete_, version);
  const std::string_view id_text = path.substr(kConflictsPath.size() + 1);
  int64_t id = 0;
  const auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (ec != std::errc{} || end != id_text.data() + id_text.size() || id < 1) {
    co_return make_response(
        http::status::bad_request, version,
        "DELETE /store/conflicts/{id}: id must be a conflict's id (1 or more)\n");
  }
  const auto slot = start_call([&](AdminSources::AdminAnswerDone done) {
    sources_.dismiss_store_conflict(id, std::move(done));
  });
  co_return co_await await_answer(
      slot, version, "PostgreSQL did not answer in time; the conflict may have been dismissed\n");
}

asio::awaitable<Response> Endpoints::await_answer(const std::shared_ptr<AnswerSlot>& slot,
                                                  unsigned version, std::string_view timeout_text) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (int waited_ms = 0; waited_ms < kAdminCallTimeoutMs; waited_ms += kAdminPollMs) {
    {
      std::lock_guard lock(slot->mutex);
      if (slot->answer) {
        AdminSources::AdminAnswer& a = *slot->answer;
        co_return make_response(static_cast<http::status>(a.status), version, std::move(a.body),
                                a.content_type);
      }
    }
    timer.expires_after(std::chrono::milliseconds(kAdminPollMs));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return make_response(http::status::service_unavailable, version, std::string(timeout_text));
}

asio::awaitable<Response> Endpoints::profile(std::string_view query, unsigned version) {
  uint32_t seconds = std::min(kDefaultProfileSeconds, config_.profile_max_seconds);
  if (const auto text = query_param(query, "seconds")) {
    uint32_t value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size() || value < 1 ||
        value > config_.profile_max_seconds) {
      co_return make_response(http::status::bad_request, version,
                              "seconds must be an integer from 1 to " +
                                  std::to_string(config_.profile_max_seconds) +
                                  " (admin.profile_max_seconds)\n");
    }
    seconds = value;
  }

  CpuProfileRun::StartResult started = CpuProfileRun::start(std::chrono::seconds(seconds));
  if (started.error == CpuProfileRun::StartError::kBusy) {
    co_return make_response(http::status::conflict, version, started.message + "\n");
  }
  if (!started.run) {
    co_return make_response(http::status::internal_server_error, version, started.message + "\n");
  }
  spdlog::info("admin: CPU profile started for {} s", seconds);
  // Wait on a timer, not a sleep: the admin thread keeps serving /health and
  // /metrics while the profile runs. If the admin server stops meanwhile, the
  // coroutine is destroyed and the run's destructor stops the profiler.
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::seconds(seconds));
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  std::string bytes = started.run->stop_and_read();
  started.run.reset();
  spdlog::info("admin: CPU profile done ({} bytes)", bytes.size());
  if (bytes.empty()) {
    co_return make_response(http::status::internal_server_error, version,
                            "the profile file could not be read\n");
  }
  Response res =
      make_response(http::status::ok, version, std::move(bytes), "application/octet-stream");
  res.set(http::field::content_disposition, "attachment; filename=\"citadel.prof\"");
  co_return res;
}

}  // namespace citadel::ops::admin
