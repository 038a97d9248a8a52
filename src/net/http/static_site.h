// Static files on the game port: a small in-memory web site (the browser
// demo, a status page) served to plain HTTP GET/HEAD requests, so a page and
// the WebSocket it opens share one origin (and, over TLS, one certificate).
//
// Why in memory and prebuilt. The game port's loops must never block on a
// disk, and the site is small and changes only on deploys: every file is read
// once at start (and on reload, off the loops), its headers and ETag made
// then, and its bytes shared by every response that carries them (a queued
// reference, not a copy). The table is the only thing served, so no request
// can name a file outside it: path traversal is impossible by construction,
// not by filtering.
//
// Knows nothing of games or of what the files are: it maps names to bytes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/shared_bytes.h"

namespace citadel::net::http {

// Caps on what a site may hold: a deploy that grew past them (or a root
// pointed at the wrong directory) refuses to load rather than fill memory.
struct StaticSiteLimits {
  std::size_t max_files = 1000;
  std::size_t max_file_bytes = 8u << 20;    // one file
  std::size_t max_total_bytes = 64u << 20;  // all of them
};

struct StaticFile {
  std::string name;  // relative to the prefix, '/'-separated: "index.html", "img/a.png"
  std::vector<uint8_t> bytes;
};

// The answer to one request: head (status line and headers, made per request
// since it carries the Date) and the body, shared with the site's table (null
// for HEAD, 304 and bodies made per request, which are inside head).
struct StaticResponse {
  int status = 0;
  std::string head;
  SharedBytes body;
};

class StaticSite {
  struct Key {};  // only make() constructs one

 public:
  explicit StaticSite(Key) {}

  struct Built {
    std::shared_ptr<const StaticSite> site;  // null on failure
    std::string problem;
  };
  // prefix: the URL path the files live under, starting and ending with '/'
  // ("/demo/"). Names must be plain relative paths (no empty, "." or ".."
  // segments, visible ASCII without '?', '#', '%' or '\\').
  static Built make(std::string prefix, std::vector<StaticFile> files,
                    const StaticSiteLimits& limits = {});

  const std::string& prefix() const { return prefix_; }
  std::size_t file_count() const { return files_.size(); }
  std::size_t total_bytes() const { return total_bytes_; }

  // Whether a request for this path (no query) is the site's to answer: the
  // prefix, anything under it, and the prefix without its trailing slash
  // (which redirects).
  bool owns(std::string_view path) const;

  // GET or HEAD of a file: 200 (or 304 when if_none_match holds its ETag).
  // The prefix without its slash: 301 to the prefix (query kept). Another
  // name: 404. Another method: 405. target is the request target as sent
  // (query included; ignored for lookup); the caller checked owns(). Every
  // response carries Connection: close.
  StaticResponse respond(std::string_view method, std::string_view target,
                         std::string_view if_none_match,
                         std::chrono::system_clock::time_point now) const;

 private:
  struct Entry {
    std::string content_type;
    std::string etag;  // quoted, strong
    SharedBytes body;
  };

  std::string prefix_;
  std::map<std::string, Entry, std::less<>> files_;
  std::size_t total_bytes_ = 0;
};

// Why prefix (a URL path prefix for StaticSite::make) is unusable, for the
// config loader; nullopt if it is fine.
std::optional<std::string> prefix_problem(std::string_view prefix);

// Reads every regular file under root (recursively; names starting with '.'
// and anything that is not a regular file are skipped) into StaticFiles, with
// the limits applied as it goes. Blocking disk I/O: call it at start or from a
// reload thread, never on an I/O loop. On failure, files is empty and problem
// says why.
struct LoadedFiles {
  std::vector<StaticFile> files;
  std::string problem;
};
LoadedFiles load_static_directory(const std::string& root, const StaticSiteLimits& limits = {});

// The Content-Type for a file name, by its extension; application/octet-stream
// for one not listed (with nosniff, a browser will not guess).
std::string_view content_type_for(std::string_view name);

// An HTTP-date (RFC 9110 section 5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::chrono::system_clock::time_point t);

// The site being served, swapped whole on reload while the loops read it: a
// request keeps the site it started with (a shared_ptr), so a reload never
// changes a response under way.
class StaticSiteStore {
 public:
  std::shared_ptr<const StaticSite> current() const { return site_.load(); }
  void set(std::shared_ptr<const StaticSite> site) { site_.store(std::move(site)); }

 private:
  std::atomic<std::shared_ptr<const StaticSite>> site_;
};

}  // namespace citadel::net::http
