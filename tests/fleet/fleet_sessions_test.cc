// Sessions across the fleet (docs/fleet.md "Sessions across the fleet"),
// black box: two real `citadel` processes on one real etcd
// (tests/support/etcd) and one real PostgreSQL (tests/support/postgres), so
// both see the same accounts, sharing one token secret file. Clients speak
// frames (tests/integration/test_client.h); the nodes are observed through
// their replies, ERROR frames and /metrics. Every wait polls an event with
// a deadline; nothing sleeps a fixed time to synchronise.
#include <gtest/gtest.h>

#include <flatbuffers/flatbuffers.h>

#include <csignal>
#include <filesystem>
#include <functional>
#include <regex>
#include <string>
#include <thread>

#include "admin_process.h"
#include "etcd/etcd_server.h"
#include "fixture.h"
#include "http_client.h"
#include "postgres/postgres_server.h"
#include "protocol/auth_generated.h"
#include "protocol/commands.h"
#include "protocol/wire.h"
#include "server_process.h"
#include "support/deadline.h"

namespace citadel::test {
namespace {

namespace msg = citadel::msg;
namespace cmd = citadel::protocol::cmd;

std::span<const uint8_t> bytes_of(const flatbuffers::FlatBufferBuilder& fbb) {
  return {fbb.GetBufferPointer(), fbb.GetSize()};
}

// The next frame with cmd `want`, skipping pushes in between.
std::optional<Frame> next_of(TestClient& c, uint16_t want, std::chrono::milliseconds wait = 5s) {
  for (int i = 0; i < 100; ++i) {
    const ReadResult r = c.read_frame(wait);
    if (r.status != ReadStatus::kFrame) return std::nullopt;
    if (r.frame.cmd == want) return r.frame;
  }
  return std::nullopt;
}

struct Reply {
  msg::AuthResult result = msg::AuthResult::InternalError;
  std::string message;
  uint64_t user_id = 0;
  std::string token;
  bool resumed = false;
  bool resync = false;
};

std::optional<Reply> read_auth_reply(TestClient& c) {
  const auto frame = next_of(c, cmd::kAuthReply);
  if (!frame) return std::nullopt;
  const auto* r = flatbuffers::GetRoot<msg::AuthReply>(frame->payload.data());
  Reply out;
  out.result = r->result();
  out.message = r->message() ? r->message()->str() : "";
  out.user_id = r->user_id();
  out.token = r->token() ? r->token()->str() : "";
  out.resumed = r->resumed();
  out.resync = r->resync_required();
  return out;
}

void send_guest_login(TestClient& c, const std::string& device) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(msg::CreateGuestLoginDirect(fbb, 1, device.c_str()));
  ASSERT_TRUE(c.send_frame(cmd::kGuestLogin, bytes_of(fbb)));
}

void send_resume(TestClient& c, const std::string& token) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(msg::CreateResumeDirect(fbb, 2, token.c_str(), 0));
  ASSERT_TRUE(c.send_frame(cmd::kResume, bytes_of(fbb)));
}

// The connection got ERROR 11 (logged in elsewhere) and was closed.
bool kicked(TestClient& c, std::string* seen = nullptr) {
  std::vector<Frame> frames;
  const bool closed = c.wait_closed(10s, &frames);
  for (const Frame& f : frames) {
    if (seen) *seen += f.describe() + "\n";
    if (closed && f.cmd == cmd::kError &&
        f.error_code() == static_cast<uint16_t>(protocol::ErrorCode::kLoggedInElsewhere)) {
      return true;
    }
  }
  return false;
}

const std::string kByLogin = "citadel_fleet_session_takeovers_total{by=\"login\"}";
const std::string kByResume = "citadel_fleet_session_takeovers_total{by=\"resume\"}";
const std::string kLocal = "citadel_fleet_session_local_users";
const std::string kNodes = "citadel_fleet_nodes{role=\"all\"}";

class FleetSessions : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("citadel-fleet-sessions-" + std::to_string(::getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    database_ = PostgresServer::shared().create_database();
  }
  void TearDown() override {
    for (auto* node : {&n1_, &n2_}) node->server.reset();  // stopped by PID
    std::filesystem::remove_all(dir_);
  }

  // Both nodes: the same etcd, database and token secret (the first start
  // creates the file, the second reads it: the bytes every node must share).
  AdminServerProcess start_node(const std::string& id) {
    ServerOptions o;
    o.config_yaml = "fleet:\n  etcd: " + etcd_.client_url() + "\n  node_id: " + id +
                    "\n  lease_ttl_ms: 2000\nstore:\n  backend: postgres\n  postgres: {url: '" +
                    database_ + "'}\nauth:\n  token_secret_file: " + (dir_ / "secret").string() +
                    "\ncrash:\n  enabled: false\nrecovery:\n  enabled: false\n";
    AdminServerProcess node;
    std::string why;
    EXPECT_TRUE(start_with_admin(o, node, &why)) << why;
    return node;
  }
  void start_both() {
    n1_ = start_node("node-1");
    n2_ = start_node("node-2");
    ASSERT_TRUE(n1_.server && n2_.server);
    // Both members (their records are written on their leases from now on)
    // and each sees the other.
    for (auto* n : {&n1_, &n2_}) {
      ASSERT_TRUE(
          eventually([&] { return metric(n->admin_port, "citadel_fleet_member") == 1; }, 10s))
          << n->server->output();
      ASSERT_TRUE(eventually([&] { return metric(n->admin_port, kNodes) == 2; }, 10s))
          << n->server->output();
    }
  }

  Reply guest(TestClient& c, AdminServerProcess& node, const std::string& device) {
    EXPECT_TRUE(c.connect(node.server->port()));
    send_guest_login(c, device);
    const auto reply = read_auth_reply(c);
    EXPECT_TRUE(reply.has_value());
    return reply.value_or(Reply{});
  }
  Reply resume(TestClient& c, AdminServerProcess& node, const std::string& token) {
    EXPECT_TRUE(c.connect(node.server->port()));
    send_resume(c, token);
    const auto reply = read_auth_reply(c);
    EXPECT_TRUE(reply.has_value());
    return reply.value_or(Reply{});
  }
  std::string logs() { return n1_.server->output() + "\n----\n" + n2_.server->output(); }

  EtcdServer etcd_;
  std::filesystem::path dir_;
  std::string database_;
  AdminServerProcess n1_, n2_;
};

TEST_F(FleetSessions, ALoginOnAnotherNodeTakesTheSessionOver) {
  ASSERT_NO_FATAL_FAILURE(start_both());
  TestClient c1, c2;
  const Reply first = guest(c1, n1_, "device-takeover-1");
  ASSERT_EQ(first.result, msg::AuthResult::Ok) << first.message;
  const Reply second = guest(c2, n2_, "device-takeover-1");
  ASSERT_EQ(second.result, msg::AuthResult::Ok) << second.message;
  EXPECT_EQ(second.user_id, first.user_id);  // one account, in the shared database
  EXPECT_NE(second.token, first.token);

  std::string seen;
  EXPECT_TRUE(kicked(c1, &seen)) << seen << logs();
  EXPECT_TRUE(c2.ping()) << "the newer login must keep working";
  EXPECT_TRUE(eventually([&] { return metric(n1_.admin_port, kByLogin) == 1; }, 5s));
  EXPECT_TRUE(eventually([&] { return metric(n1_.admin_port, kLocal) == 0; }, 5s));
  EXPECT_EQ(metric(n2_.admin_port, kLocal), 1);
  EXPECT_EQ(metric(n2_.admin_port, kByLogin), 0);
}

TEST_F(FleetSessions, TwoRacingLoginsLeaveExactlyOneHolder) {
  ASSERT_NO_FATAL_FAILURE(start_both());
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // The account exists first, so both logins below are the same user; a
    // new one each round, so no session of an earlier round is around.
    const std::string device = "device-race-" + std::to_string(round);
    {
      TestClient c;
      ASSERT_EQ(guest(c, n1_, device).result, msg::AuthResult::Ok);
      flatbuffers::FlatBufferBuilder fbb;
      fbb.Finish(msg::CreateLogout(fbb, 3));
      ASSERT_TRUE(c.send_frame(cmd::kLogout, bytes_of(fbb)));
      ASSERT_TRUE(read_auth_reply(c));
    }
    const double n1_kicks_before = metric(n1_.admin_port, kByLogin);
    const double kicks_before = n1_kicks_before + metric(n2_.admin_port, kByLogin);
    const double local_before = metric(n1_.admin_port, kLocal) + metric(n2_.admin_port, kLocal);
    TestClient a, b;
    ASSERT_TRUE(a.connect(n1_.server->port()));
    ASSERT_TRUE(b.connect(n2_.server->port()));
    // Both sent before either answer is read: the two nodes race.
    send_guest_login(a, device);
    send_guest_login(b, device);
    const auto ra = read_auth_reply(a);
    const auto rb = read_auth_reply(b);
    ASSERT_TRUE(ra && rb);
    ASSERT_EQ(ra->result, msg::AuthResult::Ok);
    ASSERT_EQ(rb->result, msg::AuthResult::Ok);
    // Exactly one node ends its session (the one whose record etcd ordered
    // first), the other keeps it.
    ASSERT_TRUE(eventually(
        [&] {
          return metric(n1_.admin_port, kByLogin) + metric(n2_.admin_port, kByLogin) ==
                 kicks_before + 1;
        },
        10s))
        << logs();
    const bool one_lost = metric(n1_.admin_port, kByLogin) > n1_kicks_before;
    TestClient& loser = one_lost ? a : b;
    TestClient& winner = one_lost ? b : a;
    std::string seen;
    EXPECT_TRUE(kicked(loser, &seen)) << seen;
    EXPECT_TRUE(winner.ping());
    EXPECT_EQ(metric(n1_.admin_port, kLocal) + metric(n2_.admin_port, kLocal), local_before + 1);
    EXPECT_EQ(metric(n1_.admin_port, kByLogin) + metric(n2_.admin_port, kByLogin), kicks_before + 1)
        << "never two kicks: somebody must hold the session";
  }
}

TEST_F(FleetSessions, AResumeOnAnotherNodeAfterKill9IsAdopted) {
  ASSERT_NO_FATAL_FAILURE(start_both());
  TestClient c1;
  const Reply login = guest(c1, n1_, "device-kill-1");
  ASSERT_EQ(login.result, msg::AuthResult::Ok);
  ASSERT_TRUE(n1_.server->stop(SIGKILL, 5s));
  // Node 1's lease runs out (TTL 2 s), and its session record with it.
  ASSERT_TRUE(eventually([&] { return metric(n2_.admin_port, kNodes) == 1; }, 10s));
  TestClient c2;
  const Reply resumed = resume(c2, n2_, login.token);
  ASSERT_EQ(resumed.result, msg::AuthResult::Ok) << resumed.message << logs();
  EXPECT_TRUE(resumed.resumed);
  EXPECT_TRUE(resumed.resync) << "its pushes died with node 1";
  EXPECT_EQ(resumed.user_id, login.user_id);
  EXPECT_TRUE(c2.ping());
  EXPECT_EQ(
      metric(n2_.admin_port, "citadel_fleet_session_remote_resumes_total{result=\"adopted\"}"), 1);
  // The renewed token resumes on node 2 like any local one.
  c2.close();
  TestClient c3;
  const Reply again = resume(c3, n2_, resumed.token);
  EXPECT_EQ(again.result, msg::AuthResult::Ok) << again.message;
}

TEST_F(FleetSessions, AResumeOnAnotherNodeTakesADetachedSessionOver) {
  ASSERT_NO_FATAL_FAILURE(start_both());
  TestClient c1;
  const Reply login = guest(c1, n1_, "device-detached-1");
  ASSERT_EQ(login.result, msg::AuthResult::Ok);
  c1.close();  // node 1 keeps the session for its grace period
  TestClient c2;
  const Reply resumed = resume(c2, n2_, login.token);
  ASSERT_EQ(resumed.result, msg::AuthResult::Ok) << resumed.message << logs();
  EXPECT_TRUE(resumed.resumed);
  EXPECT_TRUE(resumed.resync);
  EXPECT_TRUE(c2.ping());
  EXPECT_EQ(
      metric(n2_.admin_port, "citadel_fleet_session_remote_resumes_total{result=\"taken_over\"}"),
      1);
  // Node 1 forgot its copy, silently (nobody was connected to it).
  EXPECT_TRUE(eventually([&] { return metric(n1_.admin_port, kByResume) == 1; }, 5s)) << logs();
  EXPECT_TRUE(eventually([&] { return metric(n1_.admin_port, kLocal) == 0; }, 5s));
  EXPECT_EQ(metric(n2_.admin_port, kLocal), 1);
  // The old token named the same session: node 1 now asks etcd and hands
  // it back only by the same takeover, so resuming there works as well and
  // ends node 2's copy with ERROR 11.
  TestClient c3;
  const Reply back = resume(c3, n1_, login.token);
  ASSERT_EQ(back.result, msg::AuthResult::Ok) << back.message;
  std::string seen;
  EXPECT_TRUE(kicked(c2, &seen)) << seen;
}

TEST_F(FleetSessions, ASupersededOrEndedTokenIsRefused) {
  ASSERT_NO_FATAL_FAILURE(start_both());
  TestClient c1, c2;
  const Reply old_login = guest(c1, n1_, "device-superseded-1");
  ASSERT_EQ(old_login.result, msg::AuthResult::Ok);
  const Reply new_login = guest(c2, n2_, "device-superseded-1");
  ASSERT_EQ(new_login.result, msg::AuthResult::Ok);
  ASSERT_TRUE(kicked(c1));
  // The old token, on either node: replaced by the newer login.
  for (auto* node : {&n1_, &n2_}) {
    TestClient c;
    const Reply r = resume(c, *node, old_login.token);
    EXPECT_EQ(r.result, msg::AuthResult::SessionGone) << r.message;
    EXPECT_EQ(r.message, "session replaced by a newer login: log in again");
  }
  EXPECT_TRUE(c2.ping()) << "a refused resume leaves the holder alone";
  // A logout ends the session fleet-wide: its token resumes nowhere.
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(msg::CreateLogout(fbb, 3));
  ASSERT_TRUE(c2.send_frame(cmd::kLogout, bytes_of(fbb)));
  ASSERT_TRUE(read_auth_reply(c2));
  // The Logout's reply comes on arrival; its tombstone a round trip later.
  ASSERT_TRUE(eventually(
      [&] { return metric(n2_.admin_port, "citadel_fleet_session_tombstones_total") == 1; }, 5s));
  TestClient c3;
  const Reply ended = resume(c3, n1_, new_login.token);
  EXPECT_EQ(ended.result, msg::AuthResult::SessionGone) << ended.message;
  EXPECT_EQ(ended.message, "session ended (logged out or grace period passed): log in again");
  // Still after node 2 died: the tombstone does not live on its lease.
  ASSERT_TRUE(n2_.server->stop(SIGKILL, 5s));
  ASSERT_TRUE(eventually([&] { return metric(n1_.admin_port, kNodes) == 1; }, 10s));
  TestClient c4;
  const Reply still = resume(c4, n1_, new_login.token);
  EXPECT_EQ(still.result, msg::AuthResult::SessionGone) << still.message;
  EXPECT_EQ(still.message, "session ended (logged out or grace period passed): log in again");
}

TEST_F(FleetSessions, WithEtcdAwayLoginsGoOnAndRecordsAreWrittenWhenItReturns) {
  ASSERT_NO_FATAL_FAILURE(start_both());
  const std::string written = "citadel_fleet_session_records_written_total";
  TestClient before;
  ASSERT_EQ(guest(before, n1_, "device-outage-1").result, msg::AuthResult::Ok);
  EXPECT_EQ(metric(n1_.admin_port, written), 1);

  etcd_.stop();
  // A login while etcd is away does not hang: it goes on locally, at once
  // or after one refused write (connection refused comes back at once).
  TestClient during;
  const auto asked = Clock::now();
  ASSERT_EQ(guest(during, n1_, "device-outage-2").result, msg::AuthResult::Ok);
  EXPECT_LT(Clock::now() - asked, 3s);
  ASSERT_TRUE(eventually([&] { return metric(n1_.admin_port, "citadel_fleet_member") == 0; }, 10s));

  // Back: node 1 registers again and writes both records on its new lease.
  etcd_.start();
  ASSERT_TRUE(eventually([&] { return metric(n1_.admin_port, "citadel_fleet_member") == 1; }, 15s))
      << logs();
  ASSERT_TRUE(eventually([&] { return metric(n1_.admin_port, written) >= 3; }, 10s)) << logs();
  EXPECT_GE(metric(n1_.admin_port, "citadel_fleet_session_record_write_failures_total"), 0)
      << "exported";
  // The records are live again: a login on node 2 takes both users over.
  ASSERT_TRUE(eventually([&] { return metric(n2_.admin_port, "citadel_fleet_member") == 1; }, 15s));
  TestClient over1, over2;
  ASSERT_EQ(guest(over1, n2_, "device-outage-1").result, msg::AuthResult::Ok);
  ASSERT_EQ(guest(over2, n2_, "device-outage-2").result, msg::AuthResult::Ok);
  EXPECT_TRUE(kicked(before)) << logs();
  EXPECT_TRUE(kicked(during)) << logs();
}

}  // namespace
}  // namespace citadel::test
