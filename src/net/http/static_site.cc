#include "net/http/static_site.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace citadel::net::http {

namespace {

constexpr std::string_view kIndex = "index.html";

// Kept strict so a name can never mean anything but itself in a URL: no
// escapes to decode, no segments to resolve.
bool is_plain_name(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.back() == '/') return false;
  for (char c : name) {
    if (c <= 0x20 || c >= 0x7F || c == '?' || c == '#' || c == '%' || c == '\\') return false;
  }
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t end = std::min(name.find('/', start), name.size());
    const std::string_view segment = name.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    start = end + 1;
  }
  return true;
}

// FNV-1a, 64 bits: an ETag only has to change when the bytes do.
uint64_t fnv1a(const std::vector<uint8_t>& bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes) {
    h ^= b;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string_view reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 301:
      return "Moved Permanently";
    case 304:
      return "Not Modified";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    default:
      return "Error";
  }
}

// Whether an If-None-Match list (RFC 9110 section 13.1.2: "*" or ETags,
// compared weakly) names etag.
bool etag_matches(std::string_view list, std::string_view etag) {
  std::size_t start = 0;
  while (start < list.size()) {
    std::size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    std::string_view tag = list.substr(start, end - start);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag == "*") return true;
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == etag) return true;
    start = end + 1;
  }
  return false;
}

void start_head(std::string& out, int status, std::chrono::system_clock::time_point now) {
  out.append("HTTP/1.1 ").append(std::to_string(status)).append(" ");
  out.append(reason(status)).append("\r\n");
  out.append("Date: ").append(http_date(now)).append("\r\n");
}

// The response after the request: the connection closes, so no request is
// ever read after a response (no pipelining to get wrong).
void end_head(std::string& out) {
  out.append("X-Content-Type-Options: nosniff\r\n");
  out.append("Connection: close\r\n\r\n");
}

// 301, 404, 405: a one-line text body, left out for HEAD (its
// Content-Length still says what GET would carry).
StaticResponse small_response(int status, bool head_only, std::string_view extra_headers,
                              std::string_view text, std::chrono::system_clock::time_point now) {
  const std::string body = std::string(text) + "\n";
  StaticResponse r;
  r.status = status;
  start_head(r.head, status, now);
  r.head.append(extra_headers);
  r.head.append("Content-Type: text/plain; charset=utf-8\r\n");
  r.head.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  r.head.append("Cache-Control: no-store\r\n");
  end_head(r.head);
  if (!head_only) r.head.append(body);
  return r;
}

}  // namespace

std::string_view content_type_for(std::string_view name) {
  struct Type {
    std::string_view extension;
    std::string_view type;
  };
  static constexpr std::array<Type, 14> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".wasm", "application/wasm"},
      {".woff2", "font/woff2"},
  }};
  const std::size_t slash = name.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? name : name.substr(slash + 1);
  const std::size_t dot = base.rfind('.');
  if (dot != std::string_view::npos) {
    const std::string_view ext = base.substr(dot);
    for (const Type& t : kTypes) {
      if (t.extension.size() == ext.size() &&
          std::equal(ext.begin(), ext.end(), t.extension.begin(),
                     [](char a, char b) { return (a | 0x20) == b || a == b; })) {
        return t.type;
      }
    }
  }
  return "application/octet-stream";
}

std::string http_date(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  // The C locale's names, whatever the process's locale: HTTP's are English.
  static constexpr std::array<const char*, 7> kDays{"Sun", "Mon", "Tue", "Wed",
                                                    "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::optional<std::string> prefix_problem(std::string_view prefix) {
  if (prefix.empty() || prefix.front() != '/' || prefix.back() != '/' ||
      (prefix.size() > 1 && !is_plain_name(prefix.substr(1, prefix.size() - 2)))) {
    return "must start and end with '/' and hold plain segments (no empty, '.' or '..' "
           "segment, no '?', '#', '%', '\\' or whitespace): '" +
           std::string(prefix) + "'";
  }
  return std::nullopt;
}

StaticSite::Built StaticSite::make(std::string prefix, std::vector<StaticFile> files,
                                   const StaticSiteLimits& limits) {
  Built out;
  if (auto problem = prefix_problem(prefix)) {
    out.problem = "path " + *problem;
    return out;
  }
  if (files.size() > limits.max_files) {
    out.problem = "more than " + std::to_string(limits.max_files) + " files";
    return out;
  }
  auto site = std::make_shared<StaticSite>(Key{});
  site->prefix_ = std::move(prefix);
  for (StaticFile& f : files) {
    if (!is_plain_name(f.name)) {
      out.problem = "file name not servable as a URL path: '" + f.name + "'";
      return out;
    }
    if (f.bytes.size() > limits.max_file_bytes) {
      out.problem = f.name + " is " + std::to_string(f.bytes.size()) + " bytes; the cap is " +
                    std::to_string(limits.max_file_bytes);
      return out;
    }
    site->total_bytes_ += f.bytes.size();
    if (site->total_bytes_ > limits.max_total_bytes) {
      out.problem =
          "files total more than the cap of " + std::to_string(limits.max_total_bytes) + " bytes";
      return out;
    }
    char etag[24];
    std::snprintf(etag, sizeof etag, "\"%016llx\"",
                  static_cast<unsigned long long>(fnv1a(f.bytes)));
    Entry entry{std::string(content_type_for(f.name)), etag,
                std::make_shared<const std::vector<uint8_t>>(std::move(f.bytes))};
    if (!site->files_.emplace(std::move(f.name), std::move(entry)).second) {
      out.problem = "file listed twice";
      return out;
    }
  }
  out.site = std::move(site);
  return out;
}

bool StaticSite::owns(std::string_view path) const {
  if (path.starts_with(prefix_)) return true;
  return prefix_.size() > 1 && path == std::string_view(prefix_).substr(0, prefix_.size() - 1);
}

StaticResponse StaticSite::respond(std::string_view method, std::string_view target,
                                   std::string_view if_none_match,
                                   std::chrono::system_clock::time_point now) const {
  const std::size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q);
  const bool head_only = method == "HEAD";
  if (method != "GET" && !head_only) {
    return small_response(405, false, "Allow: GET, HEAD\r\n", "method must be GET or HEAD", now);
  }
  if (!path.starts_with(prefix_)) {
    // The prefix without its slash: relative URLs in the page resolve
    // against the directory only with the slash.
    const std::string location = "Location: " + prefix_ + std::string(query) + "\r\n";
    return small_response(301, head_only, location, "moved to " + prefix_, now);
  }
  std::string name(path.substr(prefix_.size()));
  if (name.empty() || name.back() == '/') name.append(kIndex);
  const auto it = files_.find(name);
  if (it == files_.end()) return small_response(404, head_only, "", "no such file", now);
  const Entry& e = it->second;

  StaticResponse r;
  const bool not_modified = !if_none_match.empty() && etag_matches(if_none_match, e.etag);
  r.status = not_modified ? 304 : 200;
  start_head(r.head, r.status, now);
  r.head.append("ETag: ").append(e.etag).append("\r\n");
  // Revalidate every time (the ETag makes that a 304): a redeployed demo
  // must not run stale JavaScript against a newer server.
  r.head.append("Cache-Control: no-cache\r\n");
  if (!not_modified) {
    r.head.append("Content-Type: ").append(e.content_type).append("\r\n");
    r.head.append("Content-Length: ").append(std::to_string(e.body->size())).append("\r\n");
  }
  if (e.content_type.starts_with("text/html")) {
    // The page may load only its own files and talk only to its own origin
    // (which covers ws:// and wss:// to the same host and port).
    r.head.append(
        "Content-Security-Policy: default-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'\r\n");
    r.head.append("Referrer-Policy: no-referrer\r\n");
  }
  end_head(r.head);
  if (!not_modified && !head_only) r.body = e.body;
  return r;
}

LoadedFiles load_static_directory(const std::string& root, const StaticSiteLimits& limits) {
  namespace fs = std::filesystem;
  LoadedFiles out;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    out.problem = "not a directory: " + root;
    return out;
  }
  std::size_t total = 0;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    const std::string base = p.filename().string();
    if (!base.empty() && base.front() == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    // Symbolic links are not followed: the site is what the directory holds.
    if (it->is_symlink(ec) || !it->is_regular_file(ec)) continue;
    const std::uintmax_t size = it->file_size(ec);
    if (ec) break;
    if (size > limits.max_file_bytes) {
      out.problem = p.string() + " is " + std::to_string(size) + " bytes; the cap is " +
                    std::to_string(limits.max_file_bytes);
      out.files.clear();
      return out;
    }
    total += size;
    if (total > limits.max_total_bytes || out.files.size() >= limits.max_files) {
      out.problem = root + " holds more than " + std::to_string(limits.max_files) + " files or " +
                    std::to_string(limits.max_total_bytes) + " bytes";
      out.files.clear();
      return out;
    }
    std::ifstream in(p, std::ios::binary);
    std::vector<uint8_t> bytes(size);
    if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size))) {
      out.problem = "cannot read " + p.string();
      out.files.clear();
      return out;
    }
    out.files.push_back({fs::relative(p, root).generic_string(), std::move(bytes)});
  }
  if (ec) {
    out.problem = "cannot list " + root + ": " + ec.message();
    out.files.clear();
  }
  return out;
}

}  // namespace citadel::net::http
