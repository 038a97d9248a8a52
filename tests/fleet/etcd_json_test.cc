// The etcd JSON gateway's format (src/fleet/etcd/etcd_json.h), no server:
// answers captured from etcd 3.4.23 parse to the right values; etcd's error
// bodies become kEtcd; anything else malformed becomes kMalformed, never a
// crash or an exception.
#include "fleet/etcd/etcd_json.h"

#include <gtest/gtest.h>

#include <string>

#include "fleet/etcd/base64.h"

namespace citadel::fleet::etcd {
namespace {

TEST(EtcdBase64, RoundTripsBytes) {
  const std::string bytes("a\0\xff/rooms/1", 11);
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_FALSE(base64_decode("Zm9"));
  EXPECT_FALSE(base64_decode("Zm9v!"));
}

TEST(EtcdPrefixEnd, IncrementsTheLastByteThatCan) {
  EXPECT_EQ(prefix_end("/rooms/"), "/rooms0");
  EXPECT_EQ(prefix_end(std::string("a\xff", 2)), "b");
  EXPECT_EQ(prefix_end(""), std::string(1, '\0'));
}

TEST(EtcdDecimalIdAfter, ReadsOneSpellingOfAnIdAfterThePrefix) {
  EXPECT_EQ(decimal_id_after("/c/rooms/42", "/c/rooms/"), 42u);
  EXPECT_EQ(decimal_id_after("/c/rooms/18446744073709551615", "/c/rooms/"), UINT64_MAX);
  for (const char* other :
       {"/c/rooms/", "/c/rooms/042", "/c/rooms/0", "/c/rooms/4x", "/c/rooms/+4", "/c/rooms/-4",
        "/c/rooms/18446744073709551616", "/c/room/42", "/d/rooms/42", ""}) {
    EXPECT_FALSE(decimal_id_after(other, "/c/rooms/")) << other;
  }
}

TEST(EtcdJson, ParsesARange) {
  const auto r = json::parse_range(
      R"({"header":{"cluster_id":"1","member_id":"2","revision":"7","raft_term":"2"},)"
      R"("kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"6","version":"3",)"
      R"("value":"YmFy","lease":"12"}],"count":"1"})");
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->revision, 7);
  ASSERT_EQ(r->kvs.size(), 1u);
  EXPECT_EQ(r->kvs[0].key, "foo");
  EXPECT_EQ(r->kvs[0].value, "bar");
  EXPECT_EQ(r->kvs[0].create_revision, 2);
  EXPECT_EQ(r->kvs[0].mod_revision, 6);
  EXPECT_EQ(r->kvs[0].version, 3);
  EXPECT_EQ(r->kvs[0].lease, 12);
}

TEST(EtcdJson, ZeroValuesAreLeftOut) {
  const auto r = json::parse_range(R"({"header":{"revision":"2"}})");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->kvs.empty());
  EXPECT_EQ(r->count, 0);
}

TEST(EtcdJson, ParsesATxn) {
  const auto ok =
      json::parse_txn(R"({"header":{"revision":"3"},"succeeded":true,"responses":[{"response_put":)"
                      R"({"header":{"revision":"3"}}}]})");
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->succeeded);
  ASSERT_EQ(ok->responses.size(), 1u);
  EXPECT_EQ(ok->responses[0].kind, TxnOp::Kind::kPut);
  const auto failed = json::parse_txn(
      R"({"header":{"revision":"3"},"responses":[{"response_range":{"header":{"revision":"3"},)"
      R"("kvs":[{"key":"eA==","create_revision":"3","mod_revision":"3","version":"1",)"
      R"("value":"MQ=="}],"count":"1"}}]})");
  ASSERT_TRUE(failed);
  EXPECT_FALSE(failed->succeeded);
  ASSERT_EQ(failed->responses.size(), 1u);
  ASSERT_EQ(failed->responses[0].kvs.size(), 1u);
  EXPECT_EQ(failed->responses[0].kvs[0].value, "1");
}

TEST(EtcdJson, KeepAliveOfAGoneLeaseHasNoTtl) {
  const auto alive = json::parse_keepalive(R"({"result":{"header":{},"ID":"5","TTL":"3"}})");
  ASSERT_TRUE(alive);
  EXPECT_EQ(alive->ttl, 3);
  const auto gone = json::parse_keepalive(R"({"result":{"header":{},"ID":"5"}})"
                                          "\n");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->alive());
}

TEST(EtcdJson, EtcdErrorsInBothShapes) {
  const auto unary =
      json::parse_empty(R"({"error":"etcdserver: requested lease not found","message":)"
                        R"("etcdserver: requested lease not found","code":5})");
  ASSERT_FALSE(unary);
  EXPECT_EQ(unary.error().kind, Error::Kind::kEtcd);
  EXPECT_EQ(unary.error().code, 5);
  EXPECT_EQ(unary.error().message, "etcdserver: requested lease not found");
  const auto streamed = json::parse_keepalive(
      R"({"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader"}})");
  ASSERT_FALSE(streamed);
  EXPECT_EQ(streamed.error().kind, Error::Kind::kEtcd);
  EXPECT_EQ(streamed.error().code, 14);
}

TEST(EtcdJson, WatchLines) {
  const auto created =
      json::parse_watch_line(R"({"result":{"header":{"revision":"4"},"created":true}})");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->kind, json::WatchMessage::Kind::kCreated);
  EXPECT_EQ(created->batch.revision, 4);
  const auto events = json::parse_watch_line(
      R"({"result":{"header":{"revision":"4"},"events":[{"kv":{"key":"eA==","create_revision":)"
      R"("3","mod_revision":"3","version":"1","value":"MQ=="}},{"type":"DELETE","kv":)"
      R"({"key":"eA==","mod_revision":"4"}}]}})");
  ASSERT_TRUE(events);
  ASSERT_EQ(events->batch.events.size(), 2u);
  EXPECT_EQ(events->batch.events[0].type, WatchEvent::Type::kPut);
  EXPECT_EQ(events->batch.events[1].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(events->batch.events[1].kv.mod_revision, 4);
  const auto compacted = json::parse_watch_line(
      R"({"result":{"header":{"raft_term":"2"},"canceled":true,"compact_revision":"4"}})");
  ASSERT_TRUE(compacted);
  EXPECT_EQ(compacted->kind, json::WatchMessage::Kind::kCanceled);
  EXPECT_EQ(compacted->error.kind, Error::Kind::kCompacted);
  EXPECT_EQ(compacted->error.compact_revision, 4);
}

TEST(EtcdJson, MalformedAnswersAreErrorsNotCrashes) {
  for (const char* bad :
       {"", "{", "[]", "null", "42", R"({"header":[]})", R"({"header":{"revision":"x7"}})",
        R"({"header":{"revision":"7x"}})", R"({"kvs":{}})", R"({"kvs":[{"key":"!!"}]})",
        R"({"kvs":[1]})", R"({"count":1.5})", R"({"count":"99999999999999999999"})",
        R"({"result":3})", R"({"error":7})", R"({"succeeded":"yes"})",
        R"({"responses":[{"response_nope":{}}]})", "\xff\xfe"}) {
    const auto range = json::parse_range(bad);
    const auto txn = json::parse_txn(bad);
    const auto watch = json::parse_watch_line(bad);
    EXPECT_TRUE(!range || !txn || !watch) << bad;
    if (!range) {
      EXPECT_TRUE(range.error().kind == Error::Kind::kMalformed ||
                  range.error().kind == Error::Kind::kEtcd)
          << bad;
    }
  }
  std::string deep(100000, '[');
  EXPECT_FALSE(json::parse_range(deep));
  EXPECT_FALSE(json::parse_grant(R"({"header":{},"TTL":"5"})"));  // a grant without an ID
}

TEST(EtcdJson, RequestBodiesUseTheGatewayForms) {
  EXPECT_EQ(json::put_body("foo", "bar", 12), R"({"key":"Zm9v","lease":"12","value":"YmFy"})");
  const Compare absent = Compare::absent("x");
  const TxnOp put = TxnOp::put("x", "1", 7);
  const std::string body = json::txn_body({&absent, 1}, {&put, 1}, {});
  EXPECT_NE(body.find(R"("target":"CREATE")"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("create_revision":"0")"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("request_put")"), std::string::npos) << body;
  EXPECT_EQ(json::watch_create_body("a", "b", 0),
            R"({"create_request":{"key":"YQ==","range_end":"Yg=="}})");
}

}  // namespace
}  // namespace citadel::fleet::etcd
