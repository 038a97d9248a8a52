// StaticSite (src/net/http): the in-memory table of files the game port serves
// to plain GETs, its responses byte by byte, and its routing inside the
// WebSocket handshake reader (a plain GET under the prefix gets a file, every
// other request is judged as an upgrade, exactly as before).
#include "net/http/static_site.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "net/websocket/handshake.h"

namespace citadel::net::http {
namespace {

using namespace std::chrono_literals;

std::vector<uint8_t> bytes_of(std::string_view s) {
  return {s.begin(), s.end()};
}

std::shared_ptr<const StaticSite> demo_site(const StaticSiteLimits& limits = {}) {
  std::vector<StaticFile> files;
  files.push_back({"index.html", bytes_of("<!doctype html><title>demo</title>")});
  files.push_back({"demo.js", bytes_of("console.log(1)")});
  files.push_back({"img/logo.png", bytes_of("\x89PNG")});
  auto built = StaticSite::make("/demo/", std::move(files), limits);
  EXPECT_TRUE(built.site) << built.problem;
  return built.site;
}

// 1994-11-06 08:49:37 UTC, RFC 9110's example date.
const std::chrono::system_clock::time_point kNow =
    std::chrono::system_clock::from_time_t(784111777);

std::string header(const std::string& head, std::string_view name) {
  const std::string key = "\r\n" + std::string(name) + ": ";
  const std::size_t at = head.find(key);
  if (at == std::string::npos) return "<absent>";
  const std::size_t start = at + key.size();
  return head.substr(start, head.find("\r\n", start) - start);
}

TEST(StaticSite, GetServesTheFileWithItsHeadersAndSharesTheBytes) {
  const auto site = demo_site();
  const StaticResponse r = site->respond("GET", "/demo/demo.js", "", kNow);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.head.starts_with("HTTP/1.1 200 OK\r\n")) << r.head;
  EXPECT_TRUE(r.head.ends_with("\r\n\r\n"));
  EXPECT_EQ(header(r.head, "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(header(r.head, "Content-Length"), "14");
  EXPECT_EQ(header(r.head, "Cache-Control"), "no-cache");
  EXPECT_EQ(header(r.head, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header(r.head, "Connection"), "close");
  EXPECT_EQ(header(r.head, "Date"), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(header(r.head, "Content-Security-Policy"), "<absent>");  // HTML only
  ASSERT_TRUE(r.body);
  EXPECT_EQ(std::string(r.body->begin(), r.body->end()), "console.log(1)");
  // The same bytes for every request: queued by reference, never copied.
  EXPECT_EQ(site->respond("GET", "/demo/demo.js?v=2", "", kNow).body.get(), r.body.get());
}

TEST(StaticSite, ThePrefixServesIndexHtmlWithAContentSecurityPolicy) {
  const auto site = demo_site();
  const StaticResponse r = site->respond("GET", "/demo/", "", kNow);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(header(r.head, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(header(r.head, "Content-Security-Policy").find("connect-src 'self'"),
            std::string::npos);
  EXPECT_EQ(std::string(r.body->begin(), r.body->end()), "<!doctype html><title>demo</title>");
  EXPECT_EQ(site->respond("GET", "/demo/?room=1", "", kNow).body.get(), r.body.get());
  EXPECT_EQ(site->respond("GET", "/demo/img/logo.png", "", kNow).status, 200);
  EXPECT_EQ(header(site->respond("GET", "/demo/img/logo.png", "", kNow).head, "Content-Type"),
            "image/png");
}

TEST(StaticSite, HeadHasGetsHeadersAndNoBody) {
  const auto site = demo_site();
  const StaticResponse get = site->respond("GET", "/demo/index.html", "", kNow);
  const StaticResponse head = site->respond("HEAD", "/demo/index.html", "", kNow);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.head, get.head);
  EXPECT_FALSE(head.body);
  const StaticResponse missing = site->respond("HEAD", "/demo/nope", "", kNow);
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(missing.head.ends_with("\r\n\r\n")) << "a HEAD 404 carries no body";
}

TEST(StaticSite, ThePrefixWithoutItsSlashRedirects) {
  const auto site = demo_site();
  EXPECT_TRUE(site->owns("/demo"));
  const StaticResponse r = site->respond("GET", "/demo", "", kNow);
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(header(r.head, "Location"), "/demo/");
  EXPECT_EQ(header(site->respond("GET", "/demo?x=1", "", kNow).head, "Location"), "/demo/?x=1");
}

TEST(StaticSite, UnknownNamesAre404AndNothingOutsideTheTableIsReachable) {
  const auto site = demo_site();
  for (const char* target :
       {"/demo/nope.js", "/demo/../citadel.db", "/demo/..%2fcitadel.secret", "/demo/%2e%2e/x",
        "/demo/img/", "/demo/img", "/demo//demo.js", "/demo/./demo.js", "/demo/DEMO.JS",
        "/demo/demo.js/", "/demo/index.html%00"}) {
    const StaticResponse r = site->respond("GET", target, "", kNow);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_FALSE(r.body) << target;
    EXPECT_EQ(header(r.head, "Content-Type"), "text/plain; charset=utf-8") << target;
  }
  EXPECT_FALSE(site->owns("/"));
  EXPECT_FALSE(site->owns("/demox"));
  EXPECT_FALSE(site->owns("/other/demo/"));
}

TEST(StaticSite, OtherMethodsAre405WithAllow) {
  const auto site = demo_site();
  const StaticResponse r = site->respond("POST", "/demo/", "", kNow);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(header(r.head, "Allow"), "GET, HEAD");
}

TEST(StaticSite, AMatchingETagGets304WithoutABody) {
  const auto site = demo_site();
  const std::string etag = header(site->respond("GET", "/demo/demo.js", "", kNow).head, "ETag");
  ASSERT_EQ(etag.size(), 18u) << etag;  // a quoted 64-bit hash
  for (const std::string& inm : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    const StaticResponse r = site->respond("GET", "/demo/demo.js", inm, kNow);
    EXPECT_EQ(r.status, 304) << inm;
    EXPECT_FALSE(r.body);
    EXPECT_EQ(header(r.head, "Content-Length"), "<absent>");
  }
  EXPECT_EQ(site->respond("GET", "/demo/demo.js", "\"other\"", kNow).status, 200);
  // Another file's tag differs.
  EXPECT_NE(header(site->respond("GET", "/demo/", "", kNow).head, "ETag"), etag);
}

TEST(StaticSite, MakeRefusesBadNamesPrefixesAndSizesOverTheCaps) {
  auto one = [](std::string name, std::size_t size) {
    std::vector<StaticFile> f;
    f.push_back({std::move(name), std::vector<uint8_t>(size, 'x')});
    return f;
  };
  for (const char* bad :
       {"../x", "a/../b", "./a", "a//b", "/abs", "a b", "a?b", "a%2e", "a\\b", "dir/", ""}) {
    EXPECT_FALSE(StaticSite::make("/demo/", one(bad, 1)).site) << bad;
  }
  for (const char* bad : {"demo/", "/demo", "", "/a b/", "/a/../b/"}) {
    EXPECT_FALSE(StaticSite::make(bad, one("a", 1)).site) << bad;
  }
  EXPECT_TRUE(StaticSite::make("/", one("a", 1)).site);
  StaticSiteLimits limits;
  limits.max_file_bytes = 10;
  limits.max_total_bytes = 15;
  limits.max_files = 2;
  EXPECT_TRUE(StaticSite::make("/d/", one("a", 10), limits).site);
  const auto too_big = StaticSite::make("/d/", one("a", 11), limits);
  EXPECT_FALSE(too_big.site);
  EXPECT_NE(too_big.problem.find("cap"), std::string::npos) << too_big.problem;
  std::vector<StaticFile> two;
  two.push_back({"a", std::vector<uint8_t>(8)});
  two.push_back({"b", std::vector<uint8_t>(8)});
  EXPECT_FALSE(StaticSite::make("/d/", std::move(two), limits).site);  // 16 > 15 in total
  std::vector<StaticFile> three;
  for (const char* n : {"a", "b", "c"}) three.push_back({n, {}});
  EXPECT_FALSE(StaticSite::make("/d/", std::move(three), limits).site);
}

TEST(StaticSite, ContentTypesByExtension) {
  EXPECT_EQ(content_type_for("a.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("x/y.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("demo.js.map"), "application/json");
  EXPECT_EQ(content_type_for("a.wasm"), "application/wasm");
  EXPECT_EQ(content_type_for("noext"), "application/octet-stream");
  EXPECT_EQ(content_type_for("dir.js/file"), "application/octet-stream");
}

TEST(StaticSite, LoadDirectoryReadsRegularFilesSkipsDotFilesAndLinksAndKeepsCaps) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("citadel-static-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "img");
  fs::create_directories(dir / ".git");
  std::ofstream(dir / "index.html") << "hi";
  std::ofstream(dir / "img" / "a.png") << "png";
  std::ofstream(dir / ".secret") << "no";
  std::ofstream(dir / ".git" / "config") << "no";
  fs::create_symlink("/etc/passwd", dir / "passwd");
  LoadedFiles loaded = load_static_directory(dir.string());
  ASSERT_EQ(loaded.problem, "");
  std::vector<std::string> names;
  for (const auto& f : loaded.files) names.push_back(f.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"img/a.png", "index.html"}));

  StaticSiteLimits limits;
  limits.max_file_bytes = 2;
  EXPECT_NE(load_static_directory(dir.string(), limits).problem, "");
  EXPECT_NE(load_static_directory((dir / "missing").string()).problem, "");
  fs::remove_all(dir);
}

TEST(StaticSiteStore, ARequestKeepsTheSiteItStartedWith) {
  StaticSiteStore store;
  EXPECT_FALSE(store.current());
  store.set(demo_site());
  const auto held = store.current();
  std::vector<StaticFile> files;
  files.push_back({"index.html", bytes_of("new")});
  store.set(StaticSite::make("/demo/", std::move(files)).site);
  EXPECT_EQ(held->file_count(), 3u);
  EXPECT_EQ(store.current()->file_count(), 1u);
}

// ---- inside the handshake reader ----

using websocket::HandshakeConfig;
using websocket::HandshakeParser;
using State = HandshakeParser::State;

struct Fed {
  State state;
  int status;
  std::string head;
  SharedBytes body;
};

Fed feed(const HandshakeConfig& config, const std::string& request) {
  HandshakeParser p(config);
  p.feed({reinterpret_cast<const uint8_t*>(request.data()), request.size()});
  return {p.state(), p.status_code(), p.response(), p.response_body()};
}

class StaticInHandshake : public testing::Test {
 protected:
  StaticInHandshake() {
    store_.set(demo_site());
    config_.static_site = &store_;
  }
  StaticSiteStore store_;
  HandshakeConfig config_;
};

TEST_F(StaticInHandshake, APlainGetUnderThePrefixIsServed) {
  const Fed f = feed(config_, "GET /demo/ HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(f.state, State::kServed);
  EXPECT_EQ(f.status, 200);
  ASSERT_TRUE(f.body);
  EXPECT_EQ(f.body->size(), 34u);
  const Fed head = feed(config_, "HEAD /demo/demo.js HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(head.state, State::kServed);
  EXPECT_EQ(head.status, 200);
  EXPECT_FALSE(head.body);
  // HTTP/1.0 may leave Host out.
  EXPECT_EQ(feed(config_, "GET /demo/demo.js HTTP/1.0\r\n\r\n").status, 200);
  EXPECT_EQ(feed(config_, "GET /demo HTTP/1.1\r\nHost: h\r\n\r\n").status, 301);
  EXPECT_EQ(feed(config_, "GET /demo/x HTTP/1.1\r\nHost: h\r\n\r\n").status, 404);
  EXPECT_EQ(feed(config_, "DELETE /demo/ HTTP/1.1\r\nHost: h\r\n\r\n").status, 405);
  const Fed etag =
      feed(config_, "GET /demo/ HTTP/1.1\r\nHost: h\r\nIf-None-Match: " + header(f.head, "ETag") +
                        "\r\n\r\n");
  EXPECT_EQ(etag.status, 304);
}

TEST_F(StaticInHandshake, BadStaticRequestsAreRefusedWithTheHandshakeErrors) {
  EXPECT_EQ(feed(config_, "GET /demo/ HTTP/1.1\r\n\r\n").status, 400);  // no Host
  EXPECT_EQ(feed(config_, "GET /demo/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").status, 400);
  EXPECT_EQ(feed(config_, "GET /demo/ HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n").status,
            400);
  EXPECT_EQ(feed(config_, "GET /demo/ HTTP/2.0\r\nHost: a\r\n\r\n").status, 505);
  EXPECT_EQ(feed(config_, "GET /demo/ HTTP/1.1\nHost: a\n\n").status, 400);  // bare LF
  const Fed big =
      feed(config_, "GET /demo/ HTTP/1.1\r\nHost: a\r\nX: " + std::string(9000, 'x') + "\r\n\r\n");
  EXPECT_EQ(big.state, State::kRejected);
  EXPECT_EQ(big.status, 431);
}

TEST_F(StaticInHandshake, EverythingElseIsStillJudgedAsAnUpgrade) {
  // A plain GET of the WebSocket path is still a bad upgrade (400), another
  // path outside the prefix still 404 from the upgrade's point of view.
  EXPECT_EQ(feed(config_, "GET / HTTP/1.1\r\nHost: a\r\n\r\n").status, 400);
  const Fed other = feed(config_, "GET /other HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(other.state, State::kRejected);
  EXPECT_EQ(other.status, 404);
  const std::string upgrade =
      "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
  EXPECT_EQ(feed(config_, upgrade).state, State::kAccepted);
  // The WebSocket path wins when it lies under the prefix.
  HandshakeConfig inside = config_;
  inside.path = "/demo/ws";
  std::string ws_upgrade = upgrade;
  ws_upgrade.replace(4, 1, "/demo/ws");
  EXPECT_EQ(feed(inside, ws_upgrade).state, State::kAccepted);
  // No site: the prefix is an ordinary wrong path for an upgrade.
  HandshakeConfig none;
  EXPECT_EQ(feed(none, "GET /demo/ HTTP/1.1\r\nHost: a\r\n\r\n").status, 404);
}

}  // namespace
}  // namespace citadel::net::http
