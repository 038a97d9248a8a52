#include "fleet/etcd/lease_keeper.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>

#include "fleet/etcd/etcd_json.h"
#include "fleet/etcd/http_call.h"
#include "ops/asio_no_throw.h"

namespace citadel::fleet::etcd {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct LeaseKeeper::State {
  std::atomic<bool> stopped{false};
  std::atomic<int64_t> lease{0};
  std::atomic<uint64_t> renewals{0};
  std::atomic<uint64_t> renewal_failures{0};
  asio::steady_timer* pause = nullptr;  // "citadel-etcd" thread only
};

namespace {
using ops::kNoThrow;

// After a failed renewal, try again this soon (or at TTL/3 if sooner).
constexpr milliseconds kRetry{200};
// A renewal is never given less time than this, even right at the deadline.
constexpr milliseconds kMinCallTime{50};

struct KeeperSpec {
  EtcdClient::Options options;
  EtcdClient::Executor executor;
  int64_t ttl_seconds;
  LeaseKeeper::Callbacks callbacks;
};

// Runs `f` on the executor unless the keeper was stopped by then.
template <class F>
void deliver(const KeeperSpec& spec, const std::shared_ptr<LeaseKeeper::State>& state, F f) {
  spec.executor([state, f = std::move(f)]() mutable {
    if (!state->stopped.load()) f();
  });
}

void report_lost(const KeeperSpec& spec, const std::shared_ptr<LeaseKeeper::State>& state,
                 Error error) {
  deliver(spec, state, [lost = spec.callbacks.lost, error = std::move(error)] {
    if (lost) lost(error);
  });
}

template <class T>
asio::awaitable<Result<T>> unary(const KeeperSpec& spec, const char* target, std::string body,
                                 milliseconds timeout, Result<T> (*parse)(std::string_view)) {
  auto reply = co_await http_post(
      spec.options.endpoint, target, std::move(body),
      CallLimits{spec.options.connect_timeout, timeout, spec.options.max_answer_bytes});
  if (!reply) co_return reply.error();
  co_return interpret(reply.value(), parse);
}

asio::awaitable<void> run_keeper(KeeperSpec spec, std::shared_ptr<LeaseKeeper::State> state) {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  state->pause = &pause;
  struct Forget {
    LeaseKeeper::State& s;
    ~Forget() { s.pause = nullptr; }
  } forget{*state};

  const auto grant_sent = Clock::now();
  auto grant = co_await unary(spec, "/v3/lease/grant", json::grant_body(spec.ttl_seconds),
                              spec.options.request_timeout, &json::parse_grant);
  if (state->stopped.load()) co_return;
  if (!grant) {
    report_lost(spec, state, grant.error());
    co_return;
  }
  const LeaseGrant granted = grant.value();
  state->lease.store(granted.id);
  auto deadline = grant_sent + std::chrono::seconds(granted.ttl);
  const milliseconds interval = std::max(milliseconds(granted.ttl * 1000 / 3), kMinCallTime);
  deliver(spec, state, [cb = spec.callbacks.granted, granted] {
    if (cb) cb(granted);
  });

  // Counted from the send, like the deadline: a grant (or renewal) that took
  // long must not push the next renewal past the deadline, which would
  // report a healthy lease lost.
  auto next = grant_sent + interval;
  Error last_error{Error::Kind::kUnreachable, 0, "no renewal yet"};
  while (!state->stopped.load()) {
    pause.expires_at(std::min(next, deadline));
    co_await pause.async_wait(kNoThrow);
    if (state->stopped.load()) co_return;
    const auto sent = Clock::now();
    if (sent >= deadline) {
      last_error.message = "lease " + std::to_string(granted.id) + " not renewed within its " +
                           std::to_string(granted.ttl) + " s TTL (last: " + last_error.describe() +
                           ")";
      report_lost(spec, state, last_error);
      co_return;
    }
    // The call ends by the deadline, so a hung etcd cannot hold the loss back.
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - sent);
    const auto timeout = std::max(std::min(left, spec.options.request_timeout), kMinCallTime);
    auto renewed = co_await unary(spec, "/v3/lease/keepalive", json::lease_id_body(granted.id),
                                  timeout, &json::parse_keepalive);
    if (state->stopped.load()) co_return;
    if (renewed && !renewed->alive()) {
      state->renewal_failures.fetch_add(1);
      report_lost(spec, state,
                  Error{Error::Kind::kEtcd, 0,
                        "lease " + std::to_string(granted.id) + " expired or was revoked"});
      co_return;
    }
    if (renewed) {
      deadline = sent + std::chrono::seconds(renewed->ttl);
      next = sent + interval;
      state->renewals.fetch_add(1);
    } else {
      last_error = renewed.error();
      state->renewal_failures.fetch_add(1);
      next = Clock::now() + std::min(kRetry, interval);
    }
  }
}

}  // namespace

LeaseKeeper::LeaseKeeper(EtcdClient& client, int64_t ttl_seconds, Callbacks callbacks)
    : client_(client), state_(std::make_shared<State>()) {
  KeeperSpec spec{client.options(), client.executor(), ttl_seconds, std::move(callbacks)};
  asio::co_spawn(client.io(), run_keeper(std::move(spec), state_), asio::detached);
}

LeaseKeeper::~LeaseKeeper() {
  stop();
}

void LeaseKeeper::stop() {
  if (state_->stopped.exchange(true)) return;
  asio::post(client_.io(), [state = state_] {
    if (state->pause != nullptr) state->pause->cancel();
  });
}

int64_t LeaseKeeper::lease() const {
  return state_->lease.load();
}

uint64_t LeaseKeeper::renewals() const {
  return state_->renewals.load();
}

uint64_t LeaseKeeper::renewal_failures() const {
  return state_->renewal_failures.load();
}

}  // namespace citadel::fleet::etcd
