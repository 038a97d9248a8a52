// fleet-login-burst-bench: what a burst of logins does to a node's etcd
// lease (issue 18, docs/fleet.md "Sessions across the fleet"; run by
// bench/run-login-burst.sh, a benchmark, not a test).
//
// One process stands for a gateway's etcd side, wired as src/app wires it:
// FleetSessions and the node's LeaseKeeper on one EtcdClient, completions on
// this thread (the service loop's part). It logs in --users players at
// --rate a second, each a fresh session record that the login's reply waits
// for (as AuthReply does), while
//   - the LeaseKeeper renews a --ttl s lease as the node's membership does
//     (its failures and a loss are what fence a game node's rooms), and
//   - a probe on a client of its own renews a second lease every 100 ms and
//     times each answer: how long etcd takes to answer a renewal under the
//     burst (etcd answers one only once it has applied what it committed).
//
// --mode grouped: the session records as the node writes them (up to 64 in
// one transaction, two transactions away at once, at most 32 calls in
// flight). --mode per-login: one put per login, all at once, no limit: how
// the node wrote them before (the reference, in the same run).
//
// Prints one JSON line.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "etcd/task_queue.h"
#include "fleet/etcd/etcd_client.h"
#include "fleet/etcd/lease_keeper.h"
#include "fleet/sessions/fleet_sessions.h"

namespace {

using namespace citadel;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

double ms_since(Clock::time_point t, Clock::time_point now = Clock::now()) {
  return std::chrono::duration<double, std::milli>(now - t).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fleet-login-burst-bench: a login burst's session records against a node's lease"};
  uint16_t port = 0;
  std::string mode = "grouped";
  int users = 4000;
  int rate = 1000;
  int ttl = 2;
  std::string cluster = "burst";
  app.add_option("--etcd-port", port, "etcd's client port on 127.0.0.1")->required();
  app.add_option("--mode", mode, "grouped | per-login")
      ->check(CLI::IsMember({"grouped", "per-login"}));
  app.add_option("--users", users, "logins")->check(CLI::Range(1, 1000000));
  app.add_option("--rate", rate, "logins a second")->check(CLI::Range(1, 1000000));
  app.add_option("--ttl", ttl, "the node's lease TTL, s")->check(CLI::Range(1, 60));
  app.add_option("--cluster", cluster, "key prefix (one per run)");
  CLI11_PARSE(app, argc, argv);

  const bool grouped = mode == "grouped";
  test::TaskQueue queue;
  fleet::etcd::EtcdClient::Options o;
  o.endpoint.port = port;
  o.connect_timeout = milliseconds(500);  // as Membership sets them
  o.request_timeout = milliseconds(2000);
  if (!grouped) o.max_calls_in_flight = 1u << 20;
  fleet::etcd::EtcdClient client(o, queue.executor());
  fleet::etcd::EtcdClient probe_client(o, queue.executor());

  // The node's lease, kept as its membership keeps it.
  int64_t lease = 0;
  std::optional<std::string> lost;
  auto keeper = std::make_unique<fleet::etcd::LeaseKeeper>(
      client, ttl,
      fleet::etcd::LeaseKeeper::Callbacks{
          [&](fleet::etcd::LeaseGrant g) { lease = g.id; },
          [&](const fleet::etcd::Error& e) { lost = e.describe(); }});
  if (!queue.run_until([&] { return lease != 0 || lost; }, milliseconds(10000)) || lease == 0) {
    std::fprintf(stderr, "no lease: %s\n", lost.value_or("etcd did not answer").c_str());
    return 1;
  }

  fleet::sessions::FleetSessionStats stats;
  fleet::sessions::FleetSessions::Options so;
  so.cluster = cluster;
  so.node_id = "gw-bench";
  if (!grouped) {
    so.batch_max = 1;
    so.batches_in_flight = 1 << 20;
  }
  auto sessions = std::make_unique<fleet::sessions::FleetSessions>(
      client, so, [](uint64_t, uint64_t, bool) {}, stats);
  sessions->set_lease(lease);
  sessions->start();
  if (!queue.run_until([&] { return sessions->synced(); }, milliseconds(10000))) {
    std::fprintf(stderr, "the sessions prefix was not read\n");
    return 1;
  }

  // The probe's lease and its renewals, every 100 ms, one at a time.
  int64_t probe_lease = 0;
  probe_client.grant_lease(60, [&](auto g) {
    if (g) probe_lease = g->id;
  });
  queue.run_until([&] { return probe_lease != 0; }, milliseconds(5000));
  std::vector<double> renewal_ms;
  int probe_failures = 0;
  bool probing = false;
  Clock::time_point next_probe = Clock::now();

  std::vector<double> login_ms;
  login_ms.reserve(static_cast<std::size_t>(users));
  int started = 0, answered = 0;
  const auto t0 = Clock::now();
  const auto interval = std::chrono::duration<double>(1.0 / rate);
  const auto step = [&] {
    const auto now = Clock::now();
    while (started < users && now >= t0 + std::chrono::duration_cast<Clock::duration>(
                                              interval * static_cast<double>(started))) {
      const uint64_t user = static_cast<uint64_t>(++started);
      const auto at = now;
      sessions->started(user, user * 7 + 1, "u" + std::to_string(user), true);
      sessions->when_recorded(user, user * 7 + 1, [&, at] {
        login_ms.push_back(ms_since(at));
        ++answered;
      });
    }
    if (probe_lease != 0 && !probing && now >= next_probe) {
      probing = true;
      next_probe = now + milliseconds(100);
      probe_client.keep_alive_once(probe_lease, [&, sent = now](auto r) {
        probing = false;
        if (r && r->alive()) {
          renewal_ms.push_back(ms_since(sent));
        } else {
          ++probe_failures;
        }
      });
    }
  };
  // Until every login is answered; then one more TTL of quiet, so that a
  // renewal the burst held back still counts.
  const auto limit = milliseconds(static_cast<int64_t>(1000.0 * users / rate) + 30000);
  queue.run_until(
      [&] {
        step();
        return answered == users;
      },
      limit);
  const double burst_s = ms_since(t0) / 1000.0;
  const auto quiet_until = Clock::now() + std::chrono::seconds(ttl);
  queue.run_until(
      [&] {
        step();
        return Clock::now() >= quiet_until;
      },
      std::chrono::seconds(ttl + 1));

  std::printf(
      "{\"mode\":\"%s\",\"users\":%d,\"rate\":%d,\"ttl_s\":%d,\"answered\":%d,\"burst_s\":%.3f,"
      "\"login_p50_ms\":%.2f,\"login_p99_ms\":%.2f,\"login_max_ms\":%.2f,"
      "\"records_written\":%llu,\"write_failures\":%llu,\"etcd_writes\":%llu,"
      "\"renewals\":%zu,\"renewal_p50_ms\":%.2f,\"renewal_p99_ms\":%.2f,\"renewal_max_ms\":%.2f,"
      "\"probe_failures\":%d,\"keeper_renewal_failures\":%llu,\"lease_lost\":%s}\n",
      mode.c_str(), users, rate, ttl, answered, burst_s, percentile(login_ms, 0.5),
      percentile(login_ms, 0.99), percentile(login_ms, 1.0),
      static_cast<unsigned long long>(stats.records_written.load()),
      static_cast<unsigned long long>(stats.write_failures.load()),
      static_cast<unsigned long long>(stats.fresh_batches.load()), renewal_ms.size(),
      percentile(renewal_ms, 0.5), percentile(renewal_ms, 0.99), percentile(renewal_ms, 1.0),
      probe_failures, static_cast<unsigned long long>(keeper->renewal_failures()),
      lost ? "true" : "false");
  if (lost) std::fprintf(stderr, "lease lost: %s\n", lost->c_str());
  std::fflush(stdout);
  // Destroyed here, on the executor's thread, before their clients.
  sessions.reset();
  keeper.reset();
  return 0;
}
